// How long a guest has run in the current call: written by its worker, read by the main thread
// when the call's deadline timer fires. The deadline stops a runaway guest; the time the guest
// waits for the host is not its own: a host import answered late (a main thread blocked by a
// slow synchronous netlink call, a link deletion waiting for the kernel's RTNL lock behind
// namespace clean-ups) or a result the busy main thread has not taken yet.

const now = (): number => performance.timeOrigin + performance.now();

export class GuestClock {
  /** [when the guest last started running (NaN: it is not running), ms it ran before that]. */
  readonly #clock: Float64Array;

  constructor(readonly buffer = new SharedArrayBuffer(2 * Float64Array.BYTES_PER_ELEMENT)) {
    this.#clock = new Float64Array(buffer);
  }

  /** Main thread, before posting a call: nothing run yet. */
  reset(): void {
    this.#clock[0] = Number.NaN;
    this.#clock[1] = 0;
  }

  /** Worker: the guest runs (a call starts, or a host import returned). */
  run(): void {
    this.#clock[0] = now();
  }

  /** Worker: the guest waits for the host (a host import, or its result is sent). */
  pause(): void {
    const since = this.#clock[0]!;
    if (Number.isNaN(since)) return;
    this.#clock[1]! += now() - since;
    this.#clock[0] = Number.NaN;
  }

  /** Main thread: ms the guest has run in this call. */
  usedMs(): number {
    const since = this.#clock[0]!;
    return this.#clock[1]! + (Number.isNaN(since) ? 0 : Math.max(0, now() - since));
  }
}
