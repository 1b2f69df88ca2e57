// Reading the legacy xtables `filter` table (what iptables-legacy writes) without a process: the
// kernel hands the whole table out through getsockopt (IPT_SO_GET_INFO, IPT_SO_GET_ENTRIES) on
// a raw socket, as iptables-legacy itself reads it. Layouts from <linux/netfilter_ipv4/ip_tables.h>
// and <linux/netfilter/x_tables.h> (64-bit). Only reads: writes go through iptables-legacy-restore
// (legacy.ts), one process per batch, since legacy xtables has no netlink interface.
import { existsSync, readFileSync } from 'node:fs';
import { SOCK_RAW } from '../netlink/constants.js';
import { SyscallError, sys } from '../netlink/libc.js';
import type { Netns } from '../netlink/netns.js';
import { AF_INET } from '../netlink/validate.js';
import { NF_INET_FORWARD, NF_INET_LOCAL_IN, NF_INET_LOCAL_OUT } from './constants.js';

const IPPROTO_RAW = 255;
const SOL_IP = 0;
const IPT_SO_GET_INFO = 64;
const IPT_SO_GET_ENTRIES = 65;
const TABLE_NAME_LEN = 32;
/** struct ipt_getinfo: name, valid_hooks, hook_entry[5], underflow[5], num_entries, size. */
const GETINFO_SIZE = 84;
/** struct ipt_get_entries: name, size, then the entries (8-byte aligned). */
const ENTRIES_AT = 40;
/** struct ipt_entry: the ipt_ip (84 bytes), nfcache, then these offsets; 112 bytes in all. */
const ENTRY = { TARGET_OFFSET: 88, NEXT_OFFSET: 90, SIZE: 112 } as const;
/** struct xt_entry_match / xt_entry_target: size (u16), name[29], revision, then data at 32. */
const XT_NAME = { AT: 2, LEN: 29, DATA: 32 } as const;
const BUILTIN_CHAINS: Record<number, string> = {
  [NF_INET_LOCAL_IN]: 'INPUT',
  [NF_INET_FORWARD]: 'FORWARD',
  [NF_INET_LOCAL_OUT]: 'OUTPUT',
};
/** A standard target's verdict for DROP (-NF_DROP - 1). */
const VERDICT_DROP = -1;

/** One rule of the table: its chain, its place in it (1-based, as iptables numbers) and its comment. */
export interface XtRule {
  chain: string;
  number: number;
  comment: string | undefined;
}

export interface XtFilter {
  /** The FORWARD chain's policy drops (as dockerd sets it). */
  forwardDrops: boolean;
  /** The user-defined chains. */
  chains: Set<string>;
  rules: XtRule[];
}

/**
 * The legacy `filter` table of the namespace, or undefined when nothing made it there (no
 * iptables-legacy user; a kernel without legacy xtables has none either). The table list is
 * read first because asking the kernel for a table that is not there would create it.
 */
export function readLegacyFilter(netns: Netns): XtFilter | undefined {
  return netns.run(() => {
    const names = '/proc/thread-self/net/ip_tables_names';
    if (!existsSync(names) || !readFileSync(names, 'utf8').split('\n').includes('filter')) return undefined;
    const fd = sys.socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    try {
      return parseFilter(fd);
    } finally {
      sys.close(fd);
    }
  });
}

function parseFilter(fd: number): XtFilter {
  const info = Buffer.alloc(GETINFO_SIZE);
  info.write('filter', 0);
  sys.getsockopt(fd, SOL_IP, IPT_SO_GET_INFO, info);
  const hookEntry = (hook: number): number => info.readUInt32LE(36 + hook * 4);
  const underflow = (hook: number): number => info.readUInt32LE(56 + hook * 4);
  const size = info.readUInt32LE(80);
  const request = Buffer.alloc(ENTRIES_AT + size);
  request.write('filter', 0);
  request.writeUInt32LE(size, TABLE_NAME_LEN);
  try {
    sys.getsockopt(fd, SOL_IP, IPT_SO_GET_ENTRIES, request);
  } catch (error) {
    // EAGAIN: the table changed between the two calls; read it again.
    if (error instanceof SyscallError && error.errno === 11) return parseFilter(fd);
    throw error;
  }
  const entries = request.subarray(ENTRIES_AT);
  const starts = new Map(Object.entries(BUILTIN_CHAINS).map(([hook, name]) => [hookEntry(Number(hook)), name]));
  const policies = new Set(Object.keys(BUILTIN_CHAINS).map((hook) => underflow(Number(hook))));
  const filter: XtFilter = { forwardDrops: false, chains: new Set(), rules: [] };
  let chain: string | undefined;
  let number = 0;
  for (let at = 0; at + ENTRY.SIZE <= entries.length; ) {
    const targetAt = at + entries.readUInt16LE(at + ENTRY.TARGET_OFFSET);
    const next = at + entries.readUInt16LE(at + ENTRY.NEXT_OFFSET);
    const target = cString(entries, targetAt + XT_NAME.AT, XT_NAME.LEN);
    const begins = starts.get(at);
    if (begins !== undefined) [chain, number] = [begins, 0];
    if (target === 'ERROR') {
      // A user chain's head (its name is the data), or the table's end ("ERROR"). The entry
      // before it is the previous user chain's tail (its RETURN), not a rule.
      if (chain !== undefined && filter.chains.has(chain) && filter.rules.at(-1)?.chain === chain) filter.rules.pop();
      chain = cString(entries, targetAt + XT_NAME.DATA, XT_NAME.LEN + 1);
      number = 0;
      if (next < entries.length) filter.chains.add(chain);
    } else if (policies.has(at)) {
      if (chain === 'FORWARD') filter.forwardDrops = entries.readInt32LE(targetAt + XT_NAME.DATA) === VERDICT_DROP;
    } else if (chain !== undefined && next !== at) {
      number++;
      filter.rules.push({ chain, number, comment: commentOf(entries, at + ENTRY.SIZE, targetAt) });
    }
    if (next <= at) break;
    at = next;
  }
  return filter;
}

/** The comment match's text among the matches of one entry (between `from` and its target). */
function commentOf(entries: Buffer, from: number, to: number): string | undefined {
  for (let at = from; at < to; ) {
    const size = entries.readUInt16LE(at);
    if (size === 0) return undefined;
    if (cString(entries, at + XT_NAME.AT, XT_NAME.LEN) === 'comment')
      return cString(entries, at + XT_NAME.DATA, size - XT_NAME.DATA);
    at += size;
  }
  return undefined;
}

function cString(buffer: Buffer, at: number, max: number): string {
  const end = buffer.indexOf(0, at);
  return buffer.toString('utf8', at, end < 0 || end > at + max ? at + max : end);
}
