// The firewall's rules as the driver asks for them (the WIT's `rule`), their text key (the
// identity a removal names, kept in each nftables rule's comment with its owner), and the
// nftables rules each one is made of.
import type * as Wit from '../generated/wit/network-driver/interfaces/wasmnet-driver-firewall.js';
import { parseCidr, parseIp } from '../netlink/validate.js';
import { match, expr, ifname, be16 } from './codec.js';
import type { Expression } from './codec.js';
import * as C from './constants.js';

export type Rule = Wit.Rule;
export type PublishedPort = Wit.PublishedPort;

/** A rule with its owner: the driver that asked and the controller operation it was serving. */
export interface OwnedRule {
  driver: string;
  operation: string;
  rule: Rule;
}

const PROTOCOLS = { tcp: 6, udp: 17 } as const;
const ANY_HOST_IP = '*';

/** The rule's identity: its kind and values, space-separated (none of them holds a space). */
export function ruleKey(rule: Rule): string {
  switch (rule.tag) {
    case 'accept-forwarding':
      return `${rule.val.external ? 'forward' : 'internal'} ${rule.val.bridge}`;
    case 'masquerade':
      return `masquerade ${rule.val.subnet} ${rule.val.bridge}`;
    case 'isolate':
      return `isolate ${rule.val}`;
    case 'drop-inter-container':
      return `icc-off ${rule.val}`;
    case 'publish': {
      const p = rule.val;
      return `publish ${p.protocol} ${p.hostIp ?? ANY_HOST_IP} ${p.hostPort} ${p.containerIp} ${p.containerPort} ${p.bridge}`;
    }
  }
}

/** The rule a key names, or undefined for a key this version does not know. */
export function parseRuleKey(key: string): Rule | undefined {
  const [kind, ...v] = key.split(' ');
  switch (kind) {
    case 'forward':
    case 'internal':
      return v.length === 1
        ? { tag: 'accept-forwarding', val: { bridge: v[0] as string, external: kind === 'forward' } }
        : undefined;
    case 'masquerade':
      return v.length === 2
        ? { tag: 'masquerade', val: { subnet: v[0] as string, bridge: v[1] as string } }
        : undefined;
    case 'isolate':
      return v.length === 1 ? { tag: 'isolate', val: v[0] as string } : undefined;
    case 'icc-off':
      return v.length === 1 ? { tag: 'drop-inter-container', val: v[0] as string } : undefined;
    case 'publish': {
      const [protocol, hostIp, hostPort, containerIp, containerPort, bridge] = v as string[];
      if (v.length !== 6 || (protocol !== 'tcp' && protocol !== 'udp')) return undefined;
      return {
        tag: 'publish',
        val: {
          bridge: bridge as string,
          protocol,
          ...(hostIp === ANY_HOST_IP ? {} : { hostIp: hostIp as string }),
          hostPort: Number(hostPort),
          containerIp: containerIp as string,
          containerPort: Number(containerPort),
        },
      };
    }
    default:
      return undefined;
  }
}

const COMMENT_PREFIX = 'wasmnet';

export function ownerComment(owned: OwnedRule): string {
  return `${COMMENT_PREFIX} ${owned.driver} ${owned.operation} ${ruleKey(owned.rule)}`;
}

export function parseOwnerComment(text: string | undefined): OwnedRule | undefined {
  const [prefix, driver, operation, ...key] = text?.split(' ') ?? [];
  if (prefix !== COMMENT_PREFIX || driver === undefined || operation === undefined) return undefined;
  const rule = parseRuleKey(key.join(' '));
  return rule === undefined ? undefined : { driver, operation, rule };
}

/** Where a rule goes: the filter chain that accepts, or one of the firewall's own chains. */
export type Place = 'accept' | 'forward' | 'prerouting' | 'output' | 'postrouting';

export interface NftRule {
  place: Place;
  expressions: Expression[];
  /** Drops go first in their chain, accepts last. */
  append: boolean;
}

/** The set of isolated bridges, in the firewall's own table. */
export const ISOLATED_SET = 'isolated';

const accept = (): Expression[] => [expr.counter(), expr.verdict(C.NF_ACCEPT)];
const drop = (): Expression[] => [expr.counter(), expr.verdict(C.NF_DROP)];

/** The nftables rules of one rule (IPv4). */
export function nftRules(rule: Rule): NftRule[] {
  switch (rule.tag) {
    case 'accept-forwarding': {
      const bridge = rule.val.bridge;
      if (!rule.val.external)
        return [
          {
            place: 'forward',
            append: false,
            expressions: [...match.iifname(bridge), ...match.oifname(bridge, C.NFT_CMP_NEQ), ...drop()],
          },
          {
            place: 'forward',
            append: false,
            expressions: [...match.iifname(bridge, C.NFT_CMP_NEQ), ...match.oifname(bridge), ...drop()],
          },
          {
            place: 'accept',
            append: true,
            expressions: [...match.iifname(bridge), ...match.oifname(bridge), ...accept()],
          },
        ];
      return [
        { place: 'accept', append: true, expressions: [...match.iifname(bridge), ...accept()] },
        {
          place: 'accept',
          append: true,
          expressions: [...match.oifname(bridge), ...match.ctState(C.CT_STATE_ESTABLISHED_RELATED), ...accept()],
        },
      ];
    }
    case 'masquerade': {
      const subnet = parseCidr(rule.val.subnet);
      return [
        {
          place: 'postrouting',
          append: true,
          expressions: [
            ...match.address(12, subnet.bytes, subnet.prefix),
            ...match.oifname(rule.val.bridge, C.NFT_CMP_NEQ),
            expr.counter(),
            expr.masquerade(),
          ],
        },
      ];
    }
    case 'isolate':
      return [
        {
          place: 'forward',
          append: false,
          expressions: [
            ...match.iifname(rule.val),
            ...match.oifnameIn(ISOLATED_SET),
            ...match.oifname(rule.val, C.NFT_CMP_NEQ),
            ...drop(),
          ],
        },
      ];
    case 'drop-inter-container':
      return [
        {
          place: 'forward',
          append: false,
          expressions: [...match.iifname(rule.val), ...match.oifname(rule.val), ...drop()],
        },
      ];
    case 'publish':
      return publishRules(rule.val);
  }
}

function publishRules(port: PublishedPort): NftRule[] {
  const protocol = PROTOCOLS[port.protocol];
  const container = parseIp(port.containerIp).bytes;
  const destination =
    port.hostIp === undefined ? match.localDestination() : match.address(16, parseIp(port.hostIp).bytes, 32);
  const dnat = [
    ...destination,
    ...match.l4proto(protocol),
    ...match.dport(port.hostPort),
    expr.counter(),
    expr.immediate(C.NFT_REG_1, container),
    expr.immediate(C.NFT_REG_2, be16(port.containerPort)),
    expr.dnat(),
  ];
  return [
    // From outside and from containers (hairpin: br_netfilter gives the reply its NAT back).
    { place: 'prerouting', append: true, expressions: dnat },
    // From the host itself.
    { place: 'output', append: true, expressions: dnat },
    {
      place: 'accept',
      append: true,
      expressions: [
        ...match.oifname(port.bridge),
        ...match.address(16, container, 32),
        ...match.l4proto(protocol),
        ...match.dport(port.containerPort),
        ...accept(),
      ],
    },
  ];
}

/** A set element per isolated bridge: the key of `rule`'s element, if it has one. */
export function isolatedElement(rule: Rule): Buffer | undefined {
  return rule.tag === 'isolate' ? ifname(rule.val) : undefined;
}
