// Caps a core module's linear memory by rewriting the maximum of every memory it defines,
// before it is compiled: Node's worker resourceLimits do not cover Wasm memory.
import { InvalidParameter } from './errors.js';

const MEMORY_SECTION = 5;
const PAGE = 65536;

export function capMemory(module: Uint8Array, maxBytes: number): Uint8Array {
  const maxPages = Math.floor(maxBytes / PAGE);
  const out: number[] = [...module.subarray(0, 8)];
  let offset = 8;
  while (offset < module.length) {
    const id = module[offset] as number;
    const [size, sizeEnd] = readLeb(module, offset + 1);
    const start = sizeEnd;
    const content = module.subarray(start, start + size);
    const body = id === MEMORY_SECTION ? rewriteMemories(content, maxPages) : [...content];
    out.push(id, ...writeLeb(body.length), ...body);
    offset = start + size;
  }
  return Uint8Array.from(out);
}

function rewriteMemories(section: Uint8Array, maxPages: number): number[] {
  const [count, countEnd] = readLeb(section, 0);
  const out = [...writeLeb(count)];
  let offset = countEnd;
  for (let i = 0; i < count; i++) {
    const flags = section[offset] as number;
    if ((flags & 0x04) !== 0) throw new InvalidParameter('64-bit memories are not supported');
    const [min, minEnd] = readLeb(section, offset + 1);
    offset = minEnd;
    let max = maxPages;
    if ((flags & 0x01) !== 0) {
      const [declared, maxEnd] = readLeb(section, offset);
      max = Math.min(declared, maxPages);
      offset = maxEnd;
    }
    if (min > maxPages) {
      throw new InvalidParameter(
        `module needs ${(min * PAGE) / 2 ** 20} MiB of memory at start; its cap is ${maxBytes(maxPages)} MiB`,
      );
    }
    out.push(flags | 0x01, ...writeLeb(min), ...writeLeb(max));
  }
  return out;
}

function maxBytes(pages: number): number {
  return (pages * PAGE) / 2 ** 20;
}

function readLeb(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  let offset = at;
  for (;;) {
    const byte = bytes[offset++];
    if (byte === undefined) throw new InvalidParameter('truncated WebAssembly module');
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [value, offset];
  }
}

function writeLeb(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}
