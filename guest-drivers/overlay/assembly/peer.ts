// A row of `overlay_peer_table` (libnetwork's PeerRecord): key the endpoint id, value the
// endpoint's address, its MAC and the VTEP (underlay address) of the node it lives on, as
// "IP/PREFIX MAC VTEP". Rows come from other nodes: each field is checked before it is used.
import { macFromIPv4, parseCidr, parseIPv4 } from '@wasmnet/sdk';

export const PEER_TABLE = 'overlay_peer_table';

export class Peer {
  constructor(
    public address: string,
    public mac: string,
    public vtep: string,
  ) {}

  /** The address without its prefix, as neighbour entries take it. */
  ip(): string {
    return parseCidr(this.address)!.address;
  }

  encode(): Uint8Array {
    return Uint8Array.wrap(String.UTF8.encode(`${this.address} ${this.mac} ${this.vtep}`));
  }
}

/** The peer a row describes, or null when any field is malformed. */
export function decodePeer(value: Uint8Array): Peer | null {
  if (value.length > 128) return null;
  const fields = String.UTF8.decode(value.buffer).split(' ');
  if (fields.length != 3) return null;
  const cidr = parseCidr(fields[0]);
  if (cidr === null || cidr.address.includes(':')) return null;
  if (!isMac(fields[1]) || parseIPv4(fields[2]) < 0) return null;
  return new Peer(fields[0], fields[1], fields[2]);
}

/** A unicast MAC written as six lower-case hex pairs ("02:42:0a:00:00:02"). */
function isMac(text: string): bool {
  if (text.length != 17) return false;
  for (let i = 0; i < 17; i++) {
    const c = text.charCodeAt(i);
    if (i % 3 == 2) {
      if (c != 58) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  // The low bit of the first byte marks a multicast (or broadcast) address.
  return (I32.parseInt(text.substring(0, 2), 16) & 1) == 0;
}

/** The MAC an endpoint gets when IPAM gave it an address and the caller no MAC. */
export function endpointMac(address: string): string | null {
  const cidr = parseCidr(address);
  return cidr === null ? null : macFromIPv4(cidr.address);
}
