// Giving and taking back addresses of one pool's range (the whole pool, or a sub-pool of it),
// generic over the family's value type: number for IPv4, bigint for IPv6.
import { IpamError } from './errors.js';

/** The allocated addresses of one pool (shared by every range of that pool). */
export interface AddressStore<T> {
  has(value: T): boolean;
  take(value: T): void;
  free(value: T): void;
  /** The lowest free value in [from, to], or undefined. */
  next(from: T, to: T): T | undefined;
  /** Network and IPv4 broadcast addresses: taken for good. */
  reserved(value: T): boolean;
}

export interface AddressFamily<T> {
  /** Address text (an optional "/len" suffix is ignored) to value; undefined when malformed. */
  parse(text: string): T | undefined;
  format(value: T): string;
  step(value: T, by: 1 | -1): T;
}

export interface RangeRequest {
  preferred: string | undefined;
  /** Round-robin after the last address given instead of lowest free. */
  serial: boolean;
  /** A gateway takes the lowest free address and leaves the round-robin cursor alone. */
  gateway: boolean;
}

export class AddressRange<T extends number | bigint> {
  /** Serial mode: where the next search starts. */
  private cursor: T;

  constructor(
    private readonly store: AddressStore<T>,
    private readonly family: AddressFamily<T>,
    private readonly first: T,
    private readonly last: T,
    /** "/len" of the pool, appended to every address given. */
    private readonly suffix: string,
  ) {
    this.cursor = first;
  }

  request(req: RangeRequest): string {
    const value = req.preferred === undefined ? this.pick(req) : this.inRange(req.preferred);
    if (req.preferred !== undefined && this.store.has(value)) {
      throw new IpamError('ErrIPAlreadyAllocated', `${req.preferred} is already allocated`);
    }
    this.store.take(value);
    if (req.serial && !req.gateway && req.preferred === undefined) {
      this.cursor = value === this.last ? this.first : this.family.step(value, 1);
    }
    return this.family.format(value) + this.suffix;
  }

  /** Whether a request without a preferred address would find one. */
  available(): boolean {
    return this.store.next(this.first, this.last) !== undefined;
  }

  release(address: string): void {
    const value = this.inRange(address);
    if (!this.store.reserved(value)) this.store.free(value);
  }

  private pick(req: RangeRequest): T {
    let found: T | undefined;
    if (req.serial && !req.gateway) {
      found = this.store.next(this.cursor, this.last);
      if (found === undefined && this.cursor > this.first) {
        found = this.store.next(this.first, this.family.step(this.cursor, -1));
      }
    } else {
      found = this.store.next(this.first, this.last);
    }
    if (found === undefined) throw new IpamError('ErrNoAvailableIPs', 'no available addresses in the pool');
    return found;
  }

  private inRange(address: string): T {
    const value = typeof address === 'string' ? this.family.parse(address) : undefined;
    if (value === undefined || value < this.first || value > this.last) {
      throw new IpamError('ErrIPOutOfRange', `${address} is not an address of the pool's range`);
    }
    return value;
  }
}
