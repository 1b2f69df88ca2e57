// nftables netlink numbers from <linux/netfilter/nfnetlink.h>, <linux/netfilter/nf_tables.h>,
// <linux/netfilter.h> and <linux/netfilter/nf_conntrack_common.h>.
export const NETLINK_NETFILTER = 12;
export const NFNL_SUBSYS_NFTABLES = 10;
export const NFNL_MSG_BATCH_BEGIN = 0x10;
export const NFNL_MSG_BATCH_END = 0x11;
export const NLA_F_NESTED = 0x8000;

export const NFPROTO_IPV4 = 2;
export const NF_INET_PRE_ROUTING = 0;
export const NF_INET_LOCAL_IN = 1;
export const NF_INET_FORWARD = 2;
export const NF_INET_LOCAL_OUT = 3;
export const NF_INET_POST_ROUTING = 4;
export const NF_DROP = 0;
export const NF_ACCEPT = 1;
export const NFT_JUMP = -3;

export const NFT_MSG = {
  NEWTABLE: 0,
  NEWCHAIN: 3,
  GETCHAIN: 4,
  NEWRULE: 6,
  GETRULE: 7,
  DELRULE: 8,
  NEWSET: 9,
  NEWSETELEM: 12,
  DELSETELEM: 14,
} as const;

export const NFTA_TABLE_NAME = 1;
export const NFTA_CHAIN = { TABLE: 1, NAME: 3, HOOK: 4, POLICY: 5, TYPE: 7 } as const;
export const NFTA_HOOK = { HOOKNUM: 1, PRIORITY: 2 } as const;
export const NFTA_RULE = { TABLE: 1, CHAIN: 2, HANDLE: 3, EXPRESSIONS: 4, USERDATA: 7 } as const;
export const NFTA_LIST_ELEM = 1;
export const NFTA_EXPR = { NAME: 1, DATA: 2 } as const;
export const NFTA_DATA = { VALUE: 1, VERDICT: 2 } as const;
export const NFTA_VERDICT = { CODE: 1, CHAIN: 2 } as const;
export const NFTA_SET = { TABLE: 1, NAME: 2, FLAGS: 3, KEY_TYPE: 4, KEY_LEN: 5, ID: 10, USERDATA: 13 } as const;
export const NFTA_SET_ELEM_LIST = { TABLE: 1, SET: 2, ELEMENTS: 3 } as const;
export const NFTA_SET_ELEM_KEY = 1;

export const NFT_REG_VERDICT = 0;
export const NFT_REG_1 = 1;
export const NFT_REG_2 = 2;
export const NFT_META = { L4PROTO: 16, IIFNAME: 6, OIFNAME: 7 } as const;
export const NFT_CMP_EQ = 0;
export const NFT_CMP_NEQ = 1;
export const NFT_PAYLOAD_NETWORK = 1;
export const NFT_PAYLOAD_TRANSPORT = 2;
export const NFT_CT_STATE = 0;
export const NFT_CT_STATUS = 2;
export const CT_STATE_ESTABLISHED_RELATED = 0x2 | 0x4;
export const IPS_DST_NAT = 0x20;
export const NFT_NAT_DNAT = 1;
export const NFT_FIB_RESULT_ADDRTYPE = 3;
export const NFTA_FIB_F_DADDR = 2;
export const RTN_LOCAL = 2;
/** nft's datatype of interface names, so that `nft list` prints a set's elements as names. */
export const TYPE_IFNAME = 41;
export const IFNAMSIZ = 16;
/** The comment TLV of a rule's user data, as nft writes and prints it. */
export const NFTNL_UDATA_RULE_COMMENT = 0;
