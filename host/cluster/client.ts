// One etcd3 client per process, set up for outages: no per-member circuit breaker (etcd3's
// default rejects every call for 5 s after three failures, even when another member serves),
// retries with a short backoff across members, and watch streams that reconnect within
// ~100 ms instead of etcd3's default of up to 30 s.
import { ExponentialBackoff, handleWhen, type IBackoff, noop, retry } from 'cockatiel';
import { Etcd3, isRecoverableError } from 'etcd3';

/** How long a call keeps retrying through an outage (a leader election takes 1.2–2 s here). */
const RETRY_ATTEMPTS = 40;

export function etcdClient(endpoints: string[]): Etcd3 {
  return new Etcd3({
    hosts: endpoints,
    dialTimeout: 2_000,
    faultHandling: {
      host: () => noop,
      global: retry(handleWhen(isRecoverableError), {
        maxAttempts: RETRY_ATTEMPTS,
        backoff: new ExponentialBackoff({ initialDelay: 25, maxDelay: 500 }),
      }),
      // etcd3 calls `.next()` on it for each backoff (a factory); its typings name the product.
      watchBackoff: new ExponentialBackoff({ initialDelay: 20, maxDelay: 500 }) as unknown as IBackoff<unknown>,
    },
  });
}
