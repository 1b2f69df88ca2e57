// The controller's replay of a component's new instance (re-created after a fault, or
// upgraded), before it serves calls: the event names the instance's drivers, called directly.
import type { Capability, Driver, Ipam, IpamCapability } from './api.js';
import type { Registration } from './protocol.js';
import { driverProxy, type Invoke, ipamProxy } from './proxies.js';

/** Called after an instance was re-created (fault) or replaced (upgrade), before it serves calls:
 * the controller replays the networks and endpoints it knows this component has. */
export type ReplayHook = (event: ReplayEvent) => Promise<void>;

export interface ReplayEvent {
  owner: string;
  reason: 'restart' | 'upgrade';
  /** Drivers and IPAM drivers of the new instance, called directly (not queued), with what they registered with. */
  drivers: Map<string, { driver: Driver; capability: Capability }>;
  ipams: Map<string, { ipam: Ipam; capability: IpamCapability }>;
}

/** The event for an instance with `registrations`; `direct` calls one of its drivers. */
export function replayEvent(
  owner: string,
  reason: ReplayEvent['reason'],
  registrations: Iterable<Registration>,
  direct: (kind: Registration['kind'], name: string) => Invoke,
): ReplayEvent {
  const drivers: ReplayEvent['drivers'] = new Map();
  const ipams: ReplayEvent['ipams'] = new Map();
  for (const reg of registrations) {
    if (reg.kind === 'driver')
      drivers.set(reg.name, {
        driver: driverProxy(reg.name, direct('driver', reg.name)),
        capability: reg.capability as Capability,
      });
    else
      ipams.set(reg.name, { ipam: ipamProxy(direct('ipam', reg.name)), capability: reg.capability as IpamCapability });
  }
  return { owner, reason, drivers, ipams };
}
