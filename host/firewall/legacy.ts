// Accepting forwarded traffic next to a dockerd whose rules are iptables-legacy (the kernel's
// legacy xtables, checked to work on this kernel: `iptables-legacy -L` in a fresh namespace).
// Its FORWARD drop lives in the legacy `filter` table, which no nftables rule can override, so
// the accepts go into a chain of ours there, WASMNET-FORWARD, jumped to from the end of FORWARD.
// Legacy xtables has no netlink interface: rules are read through getsockopt (xtables.ts, no
// process) and written with iptables-legacy-restore, one process per batch. Only a network's
// rules land here (its bridge's accepts, made once per network); a published port's accept is
// covered by its network's rule for traffic DNATed to the bridge, so a join adds none.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { InvalidInputError } from '../netlink/errors.js';
import type { Netns } from '../netlink/netns.js';
import type { Rule } from './rules.js';
import { readLegacyFilter, type XtFilter } from './xtables.js';

const RESTORE = 'iptables-legacy-restore';
const FORWARD = 'FORWARD';
export const LEGACY_CHAIN = 'WASMNET-FORWARD';
export const LEGACY_JUMP_COMMENT = 'wasmnet jump';

/** iptables-legacy is needed and missing, or refused a batch. */
export class LegacyFirewallError extends Error {
  override name = 'LegacyFirewallError';
}

/** The rule specs (iptables arguments, without chain and comment) a rule accepts with. */
function legacyAccepts(rule: Rule): string[][] {
  const accept = ['-j', 'ACCEPT'];
  switch (rule.tag) {
    case 'accept-forwarding': {
      const bridge = restorable(rule.val.bridge);
      if (!rule.val.external) return [['-i', bridge, '-o', bridge, ...accept]];
      return [
        ['-i', bridge, ...accept],
        ['-o', bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', ...accept],
        // Published ports of the network: what the NAT rules sent to its bridge.
        ['-o', bridge, '-m', 'conntrack', '--ctstate', 'DNAT', ...accept],
      ];
    }
    default:
      // Published ports: covered by their network's DNAT accept.
      return [];
  }
}

export class LegacyAccepts {
  constructor(private readonly netns: () => Netns) {}

  /** The legacy filter table when its FORWARD drops by default (a dockerd on iptables-legacy). */
  dropping(): XtFilter | undefined {
    const filter = readLegacyFilter(this.netns());
    return filter?.forwardDrops === true ? filter : undefined;
  }

  /** Our rules in the legacy table (undefined: no legacy table, so none). */
  ours(): XtFilter['rules'] {
    return readLegacyFilter(this.netns())?.rules.filter((rule) => rule.chain === LEGACY_CHAIN) ?? [];
  }

  /** Appends `rule`'s accepts, tagged with `comment`, making the chain and its jump on first use. */
  add(filter: XtFilter, comment: string, rule: Rule): void {
    const specs = legacyAccepts(rule);
    if (specs.length === 0) return;
    const lines: string[] = [];
    if (!filter.chains.has(LEGACY_CHAIN)) lines.push(`-N ${LEGACY_CHAIN}`);
    if (!filter.rules.some((r) => r.chain === FORWARD && r.comment === LEGACY_JUMP_COMMENT))
      lines.push(`-A ${FORWARD} -m comment --comment ${quote(LEGACY_JUMP_COMMENT)} -j ${LEGACY_CHAIN}`);
    for (const spec of specs) lines.push(`-A ${LEGACY_CHAIN} ${spec.join(' ')} -m comment --comment ${quote(comment)}`);
    this.#restore(lines);
  }

  /** Deletes rules of our chain by number (as read just before). */
  delete(numbers: number[]): void {
    if (numbers.length === 0) return;
    // Highest first: a deletion renumbers the rules after it.
    this.#restore([...new Set(numbers)].sort((a, b) => b - a).map((n) => `-D ${LEGACY_CHAIN} ${n}`));
  }

  #restore(lines: string[]): void {
    const binary = findBinary(RESTORE);
    if (binary === undefined)
      throw new LegacyFirewallError(
        `the host's FORWARD drop is in iptables-legacy (dockerd uses it), but ${RESTORE} is not installed`,
      );
    const input = `*filter\n${lines.join('\n')}\nCOMMIT\n`;
    try {
      // The thread is inside the host namespace while the process starts: it runs there.
      this.netns().run(() =>
        execFileSync(binary, ['--noflush', '--wait'], { input, stdio: ['pipe', 'ignore', 'pipe'], encoding: 'utf8' }),
      );
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new LegacyFirewallError(`${RESTORE} refused the rules: ${stderr || (error as Error).message}`);
    }
  }
}

/**
 * A link name as one iptables-restore word. Linux allows quotes and other characters in link
 * names that iptables-restore would read as syntax (a driver names its own bridges): refused.
 */
function restorable(name: string): string {
  if (!/^[A-Za-z0-9_.@+=-]+$/.test(name) || name.startsWith('-'))
    throw new InvalidInputError(`bridge name ${JSON.stringify(name)} cannot be written to iptables-legacy`);
  return name;
}

/** A comment as iptables-restore reads it: one quoted word (our comments hold no quote). */
function quote(text: string): string {
  if (/["\n\\]/.test(text)) throw new LegacyFirewallError(`comment ${JSON.stringify(text)} cannot be quoted`);
  return `"${text}"`;
}

function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  return dirs.map((dir) => join(dir, name)).find((path) => path.startsWith('/') && existsSync(path));
}
