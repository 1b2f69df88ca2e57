// A procfs of the namespace pool's own, for the one /proc/sys write each new namespace gets.
// Every namespace that looks up /proc/sys/net leaves a "net" dentry of its own in that procfs,
// all in one hash chain, and each later lookup compares against every one of them
// (proc_sys_compare, under a spin lock), so a write's cost grows with the number of live
// namespaces, and sandbox deletes queue behind it on the pool's thread. A procfs made
// afresh every `remountEvery` namespaces keeps that chain short, and the machine's /proc never
// sees these lookups. It is mounted nowhere (fsopen + fsmount: reachable only through its fd),
// so nothing is left mounted when the process ends, however it ends.
import { sys } from '../netlink/libc.js';

export class PrivateProc {
  #uses = 0;

  private constructor(
    private fd: number,
    private readonly remountEvery: number,
  ) {}

  /** A private procfs, or undefined when the kernel or libc cannot make one (then use /proc). */
  static open(remountEvery = 256): PrivateProc | undefined {
    try {
      return new PrivateProc(sys.detachedProc(), remountEvery);
    } catch {
      return undefined;
    }
  }

  /** The sys directory for the next namespace's writes (a fresh procfs every `remountEvery`). */
  sysRoot(): string {
    if (++this.#uses % this.remountEvery === 0) {
      const fresh = sys.detachedProc();
      sys.close(this.fd);
      this.fd = fresh;
    }
    return `/proc/self/fd/${this.fd}/sys`;
  }

  close(): void {
    sys.close(this.fd);
  }
}
