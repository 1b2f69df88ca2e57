// Thread priority (nice) of the calling thread: Linux lets setpriority() address one thread by
// its kernel tid. Transpiling, booting a worker and instantiating run at a lower priority, so
// that the threads serving calls (main, drivers) keep their cores on a small machine.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Nice value for background work in our threads. */
export const BACKGROUND_NICE = 10;

const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());

export function setThreadNice(nice: number): void {
  try {
    setPriority(threadId, nice);
  } catch {
    // Not permitted (an unprivileged host): run at normal priority.
  }
}
