// The state every new sandbox namespace starts in: IPv6 off unless asked for, then lo up.
import { writeFileSync } from 'node:fs';
import { setLink } from '../netlink/requests.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { sysctlFiles } from '../netlink/sysctl.js';

/**
 * Runs inside the new namespace (its /proc/sys/net is the thread's). Only `all` disable_ipv6 is
 * written (the kernel sets `default` and lo with it), before lo goes up, so lo never gets ::1
 * (and with IPv6 asked for, nothing is written and lo keeps ::1). `sysRoot`: the sys directory
 * of the procfs to write through (PrivateProc).
 */
export function prepareSandbox(socket: NetlinkSocket, ipv6: boolean, sysRoot?: string): void {
  if (!ipv6) for (const file of sysctlFiles('disable-ipv6', undefined, sysRoot)) writeFileSync(file, '1');
  socket.one(setLink(1, 'lo', { up: true }));
}
