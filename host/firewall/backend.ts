// The firewall on nftables, spoken over netlink from this process (a rule costs no process).
// Where each rule lives:
// - NAT (DNAT of published ports, masquerade), isolation and ICC drops: the table `ip wasmnet`
//   of our own (NAT chains of several tables all run; a drop in any table's chain drops).
// - Accepting forwarded traffic: an `accept` in one table does not override a `drop` in another
//   table's chain on the same hook. So the accepts go wherever a FORWARD drop lives: next to a
//   stock dockerd on iptables-nft (table `ip filter`, chain FORWARD, policy drop) into a chain
//   of ours in that table, WASMNET-FORWARD, jumped to from the end of FORWARD, as dockerd accepts
//   its own bridges there; next to a dockerd on iptables-legacy into the same chain in the legacy
//   xtables `filter` table (legacy.ts); on a host without such a drop into `ip wasmnet`'s
//   forward chain.
// Every rule carries a comment naming its owner (driver, operation, rule): the kernel is the
// record, so a restart finds the rules again and removes those whose operation is gone.
import { NetlinkError } from '../netlink/errors.js';
import type { Netns } from '../netlink/netns.js';
import { sysctlGet, sysctlSet } from '../netlink/sysctl.js';
import {
  commentOf,
  deleteRule,
  dump,
  type NftMessage,
  newChain,
  newIfnameSet,
  newRule,
  newTable,
  setElement,
  type BaseChain,
  expr,
} from './codec.js';
import * as C from './constants.js';
import {
  ISOLATED_SET,
  isolatedElement,
  nftRules,
  type OwnedRule,
  ownerComment,
  parseOwnerComment,
  type Place,
  type PublishedPort,
  type Rule,
  ruleKey,
} from './rules.js';
import { LegacyAccepts } from './legacy.js';
import { NftSocket } from './socket.js';
import type { XtFilter } from './xtables.js';

const FAMILY = C.NFPROTO_IPV4;
export const OWN_TABLE = 'wasmnet';
const OWN_CHAINS: Record<Exclude<Place, 'accept'>, BaseChain> = {
  forward: { type: 'filter', hook: C.NF_INET_FORWARD, priority: 0 },
  prerouting: { type: 'nat', hook: C.NF_INET_PRE_ROUTING, priority: -100 },
  output: { type: 'nat', hook: C.NF_INET_LOCAL_OUT, priority: -100 },
  postrouting: { type: 'nat', hook: C.NF_INET_POST_ROUTING, priority: 100 },
};
/** dockerd's table and chain (iptables-nft), and ours in it. */
export const DOCKER_TABLE = 'filter';
const DOCKER_FORWARD = 'FORWARD';
export const ACCEPT_CHAIN = 'WASMNET-FORWARD';
const JUMP_COMMENT = 'wasmnet jump';
const ENOENT = 2;

/** One rule in the kernel: an nftables rule (by handle) or one of our legacy xtables rules (by number). */
type Located = { owned: OwnedRule } & (
  | { legacy: false; table: string; chain: string; handle: bigint }
  | { legacy: true; number: number }
);

/** Where accepts go: nftables chains, and the legacy table when its FORWARD drops. */
interface AcceptPlaces {
  nft: Array<[string, string]>;
  legacy: XtFilter | undefined;
}

export class NftFirewall {
  #socket: NftSocket | undefined;
  #ownTableReady = false;
  /** Published host ports ("tcp 8080") → the rule publishing it; loaded from the kernel once. */
  #ports: Map<string, OwnedRule> | undefined;
  /** ip_forward before this firewall turned it on, put back when no network forwards any more. */
  #forwardingBefore: string | undefined;
  readonly #legacy: LegacyAccepts;

  /** `netns`: the namespace the rules act in (the controller's host namespace). */
  constructor(private readonly netns: () => Netns) {
    this.#legacy = new LegacyAccepts(netns);
  }

  /** Adds the nftables rules of `owned` (nothing when the same owner has it already). */
  add(owned: OwnedRule): void {
    const comment = ownerComment(owned);
    const rules = nftRules(owned.rule);
    // A rule's nftables rules are added in one atomic batch: one of them present means all are.
    const probe = rules.find((rule) => rule.place !== 'accept');
    const probed = probe === undefined ? chainsOf(owned.rule) : [[OWN_TABLE, probe.place] as [string, string]];
    const mine = (rule: Located): boolean => ownerComment(rule.owned) === comment;
    if (this.#find(mine, probed, probe === undefined && inLegacy(owned.rule)).length > 0) return;
    this.#ensureOwnTable();
    const places = this.#acceptPlaces(
      rules.some((rule) => rule.place === 'accept'),
      inLegacy(owned.rule),
    );
    const messages: NftMessage[] = [];
    const element = isolatedElement(owned.rule);
    if (element !== undefined) messages.push(setElement(FAMILY, OWN_TABLE, ISOLATED_SET, element, true));
    for (const rule of rules) {
      const chains: Array<[string, string]> = rule.place === 'accept' ? places.nft : [[OWN_TABLE, rule.place]];
      for (const [table, chain] of chains)
        messages.push(newRule(FAMILY, { table, chain, expressions: rule.expressions, comment, append: rule.append }));
    }
    if (places.legacy !== undefined) this.#legacy.add(places.legacy, comment, owned.rule);
    try {
      this.#socket_().batch(messages);
    } catch (error) {
      if (places.legacy !== undefined) this.#delete(this.#find(mine, [], true));
      // Our table may have gone behind our back (a flushed ruleset): made again next time.
      this.#ownTableReady = false;
      throw error;
    }
    if (forwardsOut(owned.rule)) this.#forward(true);
    if (owned.rule.tag === 'publish') this.#portsMap().set(portKey(owned.rule.val), owned);
  }

  /** Removes `driver`'s rule (whatever operation added it); false when it had none. */
  remove(driver: string, rule: Rule): boolean {
    const key = ruleKey(rule);
    const found = this.#find(
      (rule) => rule.owned.driver === driver && ruleKey(rule.owned.rule) === key,
      chainsOf(rule),
      inLegacy(rule),
    );
    return this.#delete(found) > 0;
  }

  /** Removes every rule of `operation`; returns what each was. */
  sweep(operation: string): string[] {
    const found = this.#find((rule) => rule.owned.operation === operation);
    this.#delete(found);
    return [...new Set(found.map((rule) => ownerComment(rule.owned)))];
  }

  /** Every rule the firewall holds, once per rule (not per nftables rule). */
  rules(): OwnedRule[] {
    const seen = new Map<string, OwnedRule>();
    for (const rule of this.#find(() => true)) seen.set(ownerComment(rule.owned), rule.owned);
    return [...seen.values()];
  }

  /** The rule that publishes the host port `port` asks for (same protocol and port, any address). */
  publishedOver(port: PublishedPort): OwnedRule | undefined {
    return this.#portsMap().get(portKey(port));
  }

  close(): void {
    this.#socket?.close();
    this.#socket = undefined;
  }

  #socket_(): NftSocket {
    this.#socket ??= NftSocket.open(this.netns());
    return this.#socket;
  }

  #portsMap(): Map<string, OwnedRule> {
    if (this.#ports === undefined) {
      this.#ports = new Map();
      for (const owned of this.rules())
        if (owned.rule.tag === 'publish') this.#ports.set(portKey(owned.rule.val), owned);
    }
    return this.#ports;
  }

  #ensureOwnTable(): void {
    if (this.#ownTableReady) return;
    this.#socket_().batch([
      newTable(FAMILY, OWN_TABLE),
      ...Object.entries(OWN_CHAINS).map(([name, base]) => newChain(FAMILY, OWN_TABLE, name, base)),
      newIfnameSet(FAMILY, OWN_TABLE, ISOLATED_SET),
    ]);
    this.#ownTableReady = true;
  }

  /**
   * Where accepts go: every FORWARD that drops by default (dockerd's on iptables-nft: a chain of
   * ours made and jumped to on first use; dockerd's on iptables-legacy), else our own forward
   * chain. Asked at each rule that accepts: a dockerd may have started since. The legacy table
   * is read only for rules that have accepts there (a published port has none: its network's
   * accepts cover it).
   */
  #acceptPlaces(accepts: boolean, legacyToo: boolean): AcceptPlaces {
    if (!accepts) return { nft: [], legacy: undefined };
    const legacy = legacyToo ? this.#legacy.dropping() : undefined;
    const nft: Array<[string, string]> = this.#nftForwardDrops() ? [[DOCKER_TABLE, ACCEPT_CHAIN]] : [];
    if (nft.length === 0 && legacy === undefined) nft.push([OWN_TABLE, 'forward']);
    return { nft, legacy };
  }

  /** Whether `ip filter` FORWARD drops by default; if so, our chain there exists and is jumped to. */
  #nftForwardDrops(): boolean {
    const forward = this.#dumpOrNone(dump('chains', FAMILY, DOCKER_TABLE)).find(
      (chain) => nameOf(chain.attrs.get(C.NFTA_CHAIN.NAME)) === DOCKER_FORWARD,
    );
    if (forward === undefined || forward.attrs.get(C.NFTA_CHAIN.POLICY)?.readUInt32BE(0) !== C.NF_DROP) return false;
    const jumps = this.#dumpOrNone(dump('rules', FAMILY, DOCKER_TABLE, DOCKER_FORWARD)).some(
      (rule) => commentOf(rule.attrs.get(C.NFTA_RULE.USERDATA)) === JUMP_COMMENT,
    );
    if (!jumps) {
      this.#socket_().batch([
        newChain(FAMILY, DOCKER_TABLE, ACCEPT_CHAIN),
        newRule(FAMILY, {
          table: DOCKER_TABLE,
          chain: DOCKER_FORWARD,
          // As iptables-nft writes `-j CHAIN`: iptables keeps reading dockerd's FORWARD.
          expressions: [expr.counter(), expr.verdict(C.NFT_JUMP, ACCEPT_CHAIN)],
          comment: JUMP_COMMENT,
          append: true,
        }),
      ]);
    }
    return true;
  }

  /**
   * The firewall's rules that `wanted` picks, in the nftables `chains` and, if `legacy`, in our
   * legacy xtables chain (default: everywhere they can be).
   */
  #find(wanted: (rule: Located) => boolean, chains = ALL_CHAINS, legacy = true): Located[] {
    const found: Located[] = [];
    for (const { number, comment } of legacy ? this.#legacy.ours() : []) {
      const owned = parseOwnerComment(comment);
      if (owned === undefined) continue;
      const located: Located = { legacy: true, number, owned };
      if (wanted(located)) found.push(located);
    }
    for (const [table, chain] of chains) {
      for (const rule of this.#dumpOrNone(dump('rules', FAMILY, table, chain))) {
        const owned = parseOwnerComment(commentOf(rule.attrs.get(C.NFTA_RULE.USERDATA)));
        const handle = rule.attrs.get(C.NFTA_RULE.HANDLE);
        if (owned === undefined || handle === undefined) continue;
        const located: Located = { legacy: false, table, chain, handle: handle.readBigUInt64BE(0), owned };
        if (wanted(located)) found.push(located);
      }
    }
    return found;
  }

  #delete(rules: Located[]): number {
    if (rules.length === 0) return 0;
    this.#legacy.delete(rules.flatMap((rule) => (rule.legacy ? [rule.number] : [])));
    const messages = rules.flatMap((rule) =>
      rule.legacy ? [] : [deleteRule(FAMILY, rule.table, rule.chain, rule.handle)],
    );
    const elements = new Set<string>();
    for (const { owned } of rules) {
      const element = isolatedElement(owned.rule);
      if (element === undefined || elements.has(ruleKey(owned.rule))) continue;
      elements.add(ruleKey(owned.rule));
      messages.push(setElement(FAMILY, OWN_TABLE, ISOLATED_SET, element, false));
    }
    this.#socket_().batch(messages);
    for (const { owned } of rules) {
      if (owned.rule.tag !== 'publish') continue;
      const held = this.#ports?.get(portKey(owned.rule.val));
      if (held !== undefined && ownerComment(held) === ownerComment(owned))
        this.#ports?.delete(portKey(owned.rule.val));
    }
    if (this.#forwardingBefore !== undefined && !this.rules().some(({ rule }) => forwardsOut(rule)))
      this.#forward(false);
    return rules.length;
  }

  /** The host forwards while a network needs it (a host-wide sysctl); the value before comes back after. */
  #forward(on: boolean): void {
    if (on) {
      const before = sysctlGet(this.netns(), 'ip-forward');
      if (before === '1') return;
      this.#forwardingBefore ??= before;
      sysctlSet(this.netns(), 'ip-forward', undefined, '1');
    } else if (this.#forwardingBefore !== undefined) {
      sysctlSet(this.netns(), 'ip-forward', undefined, this.#forwardingBefore);
      this.#forwardingBefore = undefined;
    }
  }

  /** A dump, or nothing when the table or chain does not exist. */
  #dumpOrNone(request: NftMessage): ReturnType<NftSocket['dump']> {
    try {
      return this.#socket_().dump(request);
    } catch (error) {
      if (error instanceof NetlinkError && error.errno === ENOENT) return [];
      throw error;
    }
  }
}

/** Every chain the firewall's rules can be in. */
const ALL_CHAINS: ReadonlyArray<[string, string]> = [
  ...Object.keys(OWN_CHAINS).map((chain): [string, string] => [OWN_TABLE, chain]),
  [DOCKER_TABLE, ACCEPT_CHAIN],
];

/** The chains `rule`'s nftables rules can be in: a lookup of one rule reads only those. */
function chainsOf(rule: Rule): Array<[string, string]> {
  const chains = new Map<string, [string, string]>();
  for (const { place } of nftRules(rule)) {
    const where: Array<[string, string]> =
      place === 'accept'
        ? [
            [OWN_TABLE, 'forward'],
            [DOCKER_TABLE, ACCEPT_CHAIN],
          ]
        : [[OWN_TABLE, place]];
    for (const chain of where) chains.set(chain.join(' '), chain);
  }
  return [...chains.values()];
}

/** Whether `rule` has accepts that go into the legacy table when it is the one that drops. */
const inLegacy = (rule: Rule): boolean => rule.tag === 'accept-forwarding';

const forwardsOut = (rule: Rule): boolean => rule.tag === 'accept-forwarding' && rule.val.external;

/** A host port's identity: a port is published once per protocol, whatever the address. */
function portKey(port: PublishedPort): string {
  return `${port.protocol} ${port.hostPort}`;
}

function nameOf(value: Buffer | undefined): string | undefined {
  return value?.toString('utf8', 0, Math.max(0, value.indexOf(0)));
}
