// Runtime support for the generated canonical-ABI bindings.
//
// Memory the guest hands to the host (strings and lists of import arguments, export results)
// comes from an arena on the unmanaged heap: released after each import call, and by the
// cabi_post_* function after each export. Memory the host hands to the guest (through
// cabi_realloc) is owned by the guest and freed as soon as it is lifted.

/** A value type made nullable, for option<u32> and friends. */
export class Box<T> {
  constructor(public value: T) {}
}

function zero<T>(): T {
  if (isReference<T>()) return changetype<T>(0);
  else return <T>0;
}

/** result<T, E> (result<_, E> is `E | null` instead). */
export class Result<T, E> {
  private constructor(
    public readonly isOk: bool,
    private readonly okValue: T,
    public readonly error: E | null,
  ) {}
  static ok<T, E>(value: T): Result<T, E> {
    return new Result<T, E>(true, value, null);
  }
  static err<T, E>(error: E): Result<T, E> {
    return new Result<T, E>(false, zero<T>(), error);
  }
  /** The ok value; traps on an error. */
  get value(): T {
    if (!this.isOk) unreachable();
    return this.okValue;
  }
}

export class Tuple2<A, B> {
  constructor(
    public f0: A,
    public f1: B,
  ) {}
}
export class Tuple3<A, B, C> {
  constructor(
    public f0: A,
    public f1: B,
    public f2: C,
  ) {}
}
export class Tuple4<A, B, C, D> {
  constructor(
    public f0: A,
    public f1: B,
    public f2: C,
    public f3: D,
  ) {}
}

// The arena: a growable unmanaged array of pointers.
let arenaPointers: usize = 0;
let arenaLength: i32 = 0;
let arenaCapacity: i32 = 0;

/** A zero-sized allocation: an aligned, never-dereferenced address (as Rust does). */
const EMPTY: usize = 8;

export function arenaAlloc(size: usize): usize {
  if (size == 0) return EMPTY;
  if (arenaLength == arenaCapacity) {
    arenaCapacity = arenaCapacity == 0 ? 16 : arenaCapacity * 2;
    arenaPointers =
      arenaPointers == 0
        ? heap.alloc(<usize>arenaCapacity * sizeof<usize>())
        : heap.realloc(arenaPointers, <usize>arenaCapacity * sizeof<usize>());
  }
  const ptr = heap.alloc(size);
  store<usize>(arenaPointers + <usize>arenaLength * sizeof<usize>(), ptr);
  arenaLength++;
  return ptr;
}

export function arenaMark(): i32 {
  return arenaLength;
}

export function arenaRelease(mark: i32): void {
  while (arenaLength > mark) {
    arenaLength--;
    heap.free(load<usize>(arenaPointers + <usize>arenaLength * sizeof<usize>()));
  }
}

/** Free memory the host allocated through cabi_realloc (nothing was allocated for size 0). */
export function freeOwned(ptr: usize, size: usize): void {
  if (size > 0) heap.free(ptr);
}

export function liftString(ptr: usize, len: usize): string {
  if (len == 0) return '';
  const s = String.UTF8.decodeUnsafe(ptr, len);
  heap.free(ptr);
  return s;
}

export function liftBytes(ptr: usize, len: usize): Uint8Array {
  const out = new Uint8Array(<i32>len);
  if (len > 0) {
    memory.copy(out.dataStart, ptr, len);
    heap.free(ptr);
  }
  return out;
}

export function loadString(at: usize): string {
  return liftString(<usize>load<u32>(at), <usize>load<u32>(at, 4));
}

export function loadBytes(at: usize): Uint8Array {
  return liftBytes(<usize>load<u32>(at), <usize>load<u32>(at, 4));
}

/** Byte length of the string last passed to lowerString. */
export let loweredLength: usize = 0;

export function lowerString(s: string): usize {
  const len = <usize>String.UTF8.byteLength(s);
  const ptr = arenaAlloc(len);
  if (len > 0) String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, ptr);
  loweredLength = len;
  return ptr;
}

export function lowerBytes(bytes: Uint8Array): usize {
  const len = <usize>bytes.byteLength;
  const ptr = arenaAlloc(len);
  if (len > 0) memory.copy(ptr, bytes.dataStart, len);
  return ptr;
}

export function storeString(at: usize, s: string): void {
  const ptr = lowerString(s);
  store<u32>(at, <u32>ptr);
  store<u32>(at, <u32>loweredLength, 4);
}

export function storeBytes(at: usize, bytes: Uint8Array): void {
  store<u32>(at, <u32>lowerBytes(bytes));
  store<u32>(at, <u32>bytes.byteLength, 4);
}
