// The borrower's side of borrowing an address from another node's block: ask the holder in
// etcd (only it knows what it gave), wait for its answer, withdraw the ask when refused or
// unanswered. The holder answers from the same watch of borrows/ (GlobalIpam.#lend).
import { IpamError } from '../errors.js';
import type { Borrow, ClusterState, Versioned } from './cluster-state.js';

/** How long a borrower waits for the holder's answer. */
export const BORROW_ANSWER_MS = 5_000;

export class BorrowDesk {
  /** Asks of this node still waiting, by "pool address". */
  private readonly waiting = new Map<string, (borrow: Versioned<Borrow> | undefined) => void>();

  constructor(private readonly state: ClusterState) {}

  /** Borrows `address` of `block` (held by `holder`, read at `blockMod`); typed error when not given. */
  async borrow(pool: string, address: string, block: string, holder: Versioned<string>): Promise<void> {
    const id = `${pool} ${address}`;
    const answered = new Promise<Versioned<Borrow> | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), BORROW_ANSWER_MS);
      this.waiting.set(id, (borrow) => {
        clearTimeout(timer);
        resolve(borrow);
      });
    });
    try {
      if (!(await this.state.askBorrow(pool, address, block, holder.mod)))
        throw new IpamError('ErrIPAlreadyAllocated', `${address} is already borrowed, or block ${block} changed hands`);
      const answer = await answered;
      if (answer?.value.state === 'granted') return;
      await this.state.dropBorrow(pool, address);
      throw new IpamError(
        'ErrIPAlreadyAllocated',
        answer === undefined
          ? `node ${holder.value}, which holds block ${block}, did not answer for ${address}`
          : `${address} is allocated by node ${holder.value}, which holds block ${block}`,
      );
    } finally {
      this.waiting.delete(id);
    }
  }

  /** An answer to one of this node's asks; false when the change is not one. */
  answered(pool: string, address: string, borrow: Versioned<Borrow> | undefined): boolean {
    if (borrow === undefined || borrow.value.node !== this.state.node || borrow.value.state === 'asked') return false;
    this.waiting.get(`${pool} ${address}`)?.(borrow);
    return true;
  }
}
