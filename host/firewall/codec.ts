// nftables netlink messages: tables, chains, sets, rules and the expressions the firewall's
// rules are made of, encoded as libnftnl would (nested attributes flagged, numbers big-endian).
import { Writer } from '../netlink/codec.js';
import * as C from './constants.js';

const be32 = (value: number): Buffer => {
  const data = Buffer.alloc(4);
  data.writeInt32BE(value);
  return data;
};
const le32 = (value: number): Buffer => {
  const data = Buffer.alloc(4);
  data.writeUInt32LE(value);
  return data;
};
export const be16 = (value: number): Buffer => {
  const data = Buffer.alloc(2);
  data.writeUInt16BE(value);
  return data;
};
/** An interface name as the kernel keeps it: NUL-padded to IFNAMSIZ. */
export const ifname = (name: string): Buffer => {
  const data = Buffer.alloc(C.IFNAMSIZ);
  data.write(name);
  return data;
};
/** A name for an exact `cmp`: its bytes and the NUL after them (nft's encoding). */
const ifnameExact = (name: string): Buffer => Buffer.from(`${name}\0`);

/** The nfgenmsg every nftables message starts with. */
export function nfgenmsg(family: number, resId = 0): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt8(family, 0);
  header.writeUInt16BE(resId, 2);
  return header;
}

export const msgType = (msg: number): number => (C.NFNL_SUBSYS_NFTABLES << 8) | msg;

type Fill = (w: Writer) => void;
const nest = (w: Writer, type: number, fill: Fill): Writer => w.nest(type | C.NLA_F_NESTED, fill);
const dataValue = (w: Writer, type: number, value: Buffer): Writer =>
  nest(w, type, (inner) => inner.attr(C.NFTA_DATA.VALUE, value));

/** One expression of a rule: its name and attributes. */
export interface Expression {
  name: string;
  fill?: Fill;
}

const reg =
  (type: number, register: number): Fill =>
  (w) =>
    w.attr(type, be32(register));

export const expr = {
  meta: (key: number): Expression => ({
    name: 'meta',
    fill: (w) => w.attr(1 /* DREG */, be32(C.NFT_REG_1)).attr(2 /* KEY */, be32(key)),
  }),
  payload: (base: number, offset: number, length: number): Expression => ({
    name: 'payload',
    fill: (w) =>
      w
        .attr(1 /* DREG */, be32(C.NFT_REG_1))
        .attr(2 /* BASE */, be32(base))
        .attr(3 /* OFFSET */, be32(offset))
        .attr(4 /* LEN */, be32(length)),
  }),
  cmp: (op: number, value: Buffer): Expression => ({
    name: 'cmp',
    fill: (w) => {
      reg(1 /* SREG */, C.NFT_REG_1)(w);
      w.attr(2 /* OP */, be32(op));
      dataValue(w, 3 /* DATA */, value);
    },
  }),
  /** reg1 = (reg1 & mask) ^ 0 */
  mask: (mask: Buffer): Expression => ({
    name: 'bitwise',
    fill: (w) => {
      w.attr(1 /* SREG */, be32(C.NFT_REG_1))
        .attr(2 /* DREG */, be32(C.NFT_REG_1))
        .attr(3 /* LEN */, be32(mask.length));
      dataValue(w, 4 /* MASK */, mask);
      dataValue(w, 5 /* XOR */, Buffer.alloc(mask.length));
    },
  }),
  ct: (key: number): Expression => ({
    name: 'ct',
    fill: (w) => w.attr(1 /* DREG */, be32(C.NFT_REG_1)).attr(2 /* KEY */, be32(key)),
  }),
  fibDaddrType: (): Expression => ({
    name: 'fib',
    fill: (w) =>
      w
        .attr(1 /* DREG */, be32(C.NFT_REG_1))
        .attr(2 /* RESULT */, be32(C.NFT_FIB_RESULT_ADDRTYPE))
        .attr(3 /* FLAGS */, be32(C.NFTA_FIB_F_DADDR)),
  }),
  lookup: (set: string): Expression => ({
    name: 'lookup',
    fill: (w) => w.str(1 /* SET */, set).attr(2 /* SREG */, be32(C.NFT_REG_1)),
  }),
  immediate: (register: number, value: Buffer): Expression => ({
    name: 'immediate',
    fill: (w) => {
      w.attr(1 /* DREG */, be32(register));
      dataValue(w, 2 /* DATA */, value);
    },
  }),
  verdict: (code: number, chain?: string): Expression => ({
    name: 'immediate',
    fill: (w) => {
      w.attr(1 /* DREG */, be32(C.NFT_REG_VERDICT));
      nest(w, 2 /* DATA */, (data) =>
        nest(data, C.NFTA_DATA.VERDICT, (verdict) => {
          verdict.attr(C.NFTA_VERDICT.CODE, be32(code));
          if (chain !== undefined) verdict.str(C.NFTA_VERDICT.CHAIN, chain);
        }),
      );
    },
  }),
  dnat: (): Expression => ({
    name: 'nat',
    fill: (w) =>
      w
        .attr(1 /* TYPE */, be32(C.NFT_NAT_DNAT))
        .attr(2 /* FAMILY */, be32(C.NFPROTO_IPV4))
        .attr(3 /* REG_ADDR_MIN */, be32(C.NFT_REG_1))
        .attr(5 /* REG_PROTO_MIN */, be32(C.NFT_REG_2)),
  }),
  masquerade: (): Expression => ({ name: 'masq' }),
  counter: (): Expression => ({
    name: 'counter',
    fill: (w) => w.attr(1 /* BYTES */, Buffer.alloc(8)).attr(2 /* PACKETS */, Buffer.alloc(8)),
  }),
};

/** Matches, each a few expressions: what a rule tests before its verdict. */
export const match = {
  iifname: (name: string, op = C.NFT_CMP_EQ): Expression[] => [
    expr.meta(C.NFT_META.IIFNAME),
    expr.cmp(op, ifnameExact(name)),
  ],
  oifname: (name: string, op = C.NFT_CMP_EQ): Expression[] => [
    expr.meta(C.NFT_META.OIFNAME),
    expr.cmp(op, ifnameExact(name)),
  ],
  oifnameIn: (set: string): Expression[] => [expr.meta(C.NFT_META.OIFNAME), expr.lookup(set)],
  /** IPv4 source (offset 12) or destination (16) inside `network`/`prefix`. */
  address: (offset: 12 | 16, network: Buffer, prefix: number): Expression[] => {
    const mask = Buffer.alloc(4);
    mask.writeUInt32BE(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
    const masked = Buffer.from(network.map((byte, i) => byte & (mask[i] as number)));
    return prefix === 32
      ? [expr.payload(C.NFT_PAYLOAD_NETWORK, offset, 4), expr.cmp(C.NFT_CMP_EQ, network)]
      : [expr.payload(C.NFT_PAYLOAD_NETWORK, offset, 4), expr.mask(mask), expr.cmp(C.NFT_CMP_EQ, masked)];
  },
  l4proto: (protocol: number): Expression[] => [
    expr.meta(C.NFT_META.L4PROTO),
    expr.cmp(C.NFT_CMP_EQ, Buffer.of(protocol)),
  ],
  dport: (port: number): Expression[] => [
    expr.payload(C.NFT_PAYLOAD_TRANSPORT, 2, 2),
    expr.cmp(C.NFT_CMP_EQ, be16(port)),
  ],
  ctState: (bits: number): Expression[] => [
    expr.ct(C.NFT_CT_STATE),
    expr.mask(le32(bits)),
    expr.cmp(C.NFT_CMP_NEQ, le32(0)),
  ],
  ctStatus: (bits: number): Expression[] => [
    expr.ct(C.NFT_CT_STATUS),
    expr.mask(le32(bits)),
    expr.cmp(C.NFT_CMP_NEQ, le32(0)),
  ],
  localDestination: (): Expression[] => [expr.fibDaddrType(), expr.cmp(C.NFT_CMP_EQ, le32(C.RTN_LOCAL))],
};

/** A message of a batch: type, extra NLM_F_* flags, payload after the nlmsghdr. */
export interface NftMessage {
  type: number;
  flags: number;
  payload: Buffer;
  what: string;
}

export function newTable(family: number, table: string): NftMessage {
  const w = new Writer().raw(nfgenmsg(family)).str(C.NFTA_TABLE_NAME, table);
  return { type: msgType(C.NFT_MSG.NEWTABLE), flags: 0x400 /* CREATE */, payload: w.done(), what: `table ${table}` };
}

export interface BaseChain {
  hook: number;
  priority: number;
  type: 'filter' | 'nat';
}

export function newChain(family: number, table: string, chain: string, base?: BaseChain): NftMessage {
  const w = new Writer().raw(nfgenmsg(family)).str(C.NFTA_CHAIN.TABLE, table).str(C.NFTA_CHAIN.NAME, chain);
  if (base !== undefined) {
    nest(w, C.NFTA_CHAIN.HOOK, (hook) =>
      hook.attr(C.NFTA_HOOK.HOOKNUM, be32(base.hook)).attr(C.NFTA_HOOK.PRIORITY, be32(base.priority)),
    );
    w.attr(C.NFTA_CHAIN.POLICY, be32(C.NF_ACCEPT)).str(C.NFTA_CHAIN.TYPE, base.type);
  }
  return { type: msgType(C.NFT_MSG.NEWCHAIN), flags: 0x400, payload: w.done(), what: `chain ${table} ${chain}` };
}

/** A set of interface names. */
export function newIfnameSet(family: number, table: string, set: string): NftMessage {
  const w = new Writer()
    .raw(nfgenmsg(family))
    .str(C.NFTA_SET.TABLE, table)
    .str(C.NFTA_SET.NAME, set)
    .attr(C.NFTA_SET.FLAGS, be32(0))
    .attr(C.NFTA_SET.KEY_TYPE, be32(C.TYPE_IFNAME))
    .attr(C.NFTA_SET.KEY_LEN, be32(C.IFNAMSIZ))
    .attr(C.NFTA_SET.ID, be32(1))
    // nft's own note that the names are kept in host byte order: `nft list` then prints them.
    .attr(C.NFTA_SET.USERDATA, Buffer.concat([Buffer.of(0, 4), le32(1)]));
  return { type: msgType(C.NFT_MSG.NEWSET), flags: 0x400, payload: w.done(), what: `set ${table} ${set}` };
}

export function setElement(family: number, table: string, set: string, key: Buffer, add: boolean): NftMessage {
  const w = new Writer()
    .raw(nfgenmsg(family))
    .str(C.NFTA_SET_ELEM_LIST.TABLE, table)
    .str(C.NFTA_SET_ELEM_LIST.SET, set);
  nest(w, C.NFTA_SET_ELEM_LIST.ELEMENTS, (list) =>
    nest(list, C.NFTA_LIST_ELEM, (element) => dataValue(element, C.NFTA_SET_ELEM_KEY, key)),
  );
  return {
    type: msgType(add ? C.NFT_MSG.NEWSETELEM : C.NFT_MSG.DELSETELEM),
    flags: add ? 0x400 : 0,
    payload: w.done(),
    what: `${add ? 'add to' : 'delete from'} set ${set}`,
  };
}

/** The comment TLV nft shows as `comment "…"`: how a rule names its owner. At most 254 bytes. */
export function comment(text: string): Buffer {
  const value = Buffer.from(`${text}\0`);
  return Buffer.concat([Buffer.of(C.NFTNL_UDATA_RULE_COMMENT, value.length), value]);
}

export function commentOf(userdata: Buffer | undefined): string | undefined {
  if (userdata === undefined || userdata.length < 2 || userdata[0] !== C.NFTNL_UDATA_RULE_COMMENT) return undefined;
  const length = userdata[1] as number;
  return userdata.toString('utf8', 2, 2 + Math.max(0, length - 1));
}

export interface RuleSpec {
  table: string;
  chain: string;
  expressions: Expression[];
  comment: string;
  /** At the chain's end (accepts), else at its start (drops come before accepts). */
  append: boolean;
}

export function newRule(family: number, rule: RuleSpec): NftMessage {
  const w = new Writer().raw(nfgenmsg(family)).str(C.NFTA_RULE.TABLE, rule.table).str(C.NFTA_RULE.CHAIN, rule.chain);
  nest(w, C.NFTA_RULE.EXPRESSIONS, (list) => {
    for (const e of rule.expressions) {
      nest(list, C.NFTA_LIST_ELEM, (element) => {
        element.str(C.NFTA_EXPR.NAME, e.name);
        if (e.fill !== undefined) nest(element, C.NFTA_EXPR.DATA, e.fill);
      });
    }
  });
  w.attr(C.NFTA_RULE.USERDATA, comment(rule.comment));
  return {
    type: msgType(C.NFT_MSG.NEWRULE),
    flags: 0x400 | (rule.append ? 0x800 : 0),
    payload: w.done(),
    what: `rule ${rule.comment}`,
  };
}

export function deleteRule(family: number, table: string, chain: string, handle: bigint): NftMessage {
  const data = Buffer.alloc(8);
  data.writeBigUInt64BE(handle);
  const w = new Writer()
    .raw(nfgenmsg(family))
    .str(C.NFTA_RULE.TABLE, table)
    .str(C.NFTA_RULE.CHAIN, chain)
    .attr(C.NFTA_RULE.HANDLE, data);
  return { type: msgType(C.NFT_MSG.DELRULE), flags: 0, payload: w.done(), what: `delete rule ${handle} of ${chain}` };
}

/** A dump request of a table's chains or of one chain's rules. */
export function dump(kind: 'chains' | 'rules', family: number, table?: string, chain?: string): NftMessage {
  const w = new Writer().raw(nfgenmsg(family));
  if (table !== undefined) w.str(C.NFTA_RULE.TABLE, table);
  if (chain !== undefined) w.str(C.NFTA_RULE.CHAIN, chain);
  return {
    type: msgType(kind === 'chains' ? C.NFT_MSG.GETCHAIN : C.NFT_MSG.GETRULE),
    flags: 0x300,
    payload: w.done(),
    what: `list ${kind}`,
  };
}
