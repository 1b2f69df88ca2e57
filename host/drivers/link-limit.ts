// How many links a driver may own at once (host and sandbox ends alike): a driver that creates
// links in a loop stops at its limit instead of filling the host namespace.
import { Forbidden } from './errors.js';

/** A bridge's endpoint owns a veth pair: 32 768 links serve 16 384 endpoints of one driver. */
export const DEFAULT_MAX_LINKS = 32_768;

export class LinkLimitExceeded extends Forbidden {
  constructor(driver: string, owned: number, limit: number) {
    super(`driver ${driver} owns ${owned} links, its limit is ${limit} (driver limit maxLinks)`);
    this.name = 'LinkLimitExceeded';
  }
}

/** Throws LinkLimitExceeded unless `driver`, owning `owned` links, may create `adding` more. */
export function checkLinkLimit(driver: string, owned: number, adding: number, limit: number): void {
  if (owned + adding > limit) throw new LinkLimitExceeded(driver, owned, limit);
}
