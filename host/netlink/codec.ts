// Encoding of rtnetlink payloads (the part after the 16-byte nlmsghdr) and attribute parsing.

/** Builds one message payload: a fixed header struct followed by (nested) attributes. */
export class Writer {
  private buf = Buffer.alloc(256);
  private length = 0;

  private reserve(bytes: number): number {
    const at = this.length;
    const need = at + ((bytes + 3) & ~3);
    if (need > this.buf.length) {
      const bigger = Buffer.alloc(Math.max(need, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.length);
      this.buf = bigger;
    }
    this.buf.fill(0, at, need);
    this.length = need;
    return at;
  }

  /** Raw bytes (a fixed struct), padded to 4. */
  raw(bytes: Buffer): this {
    bytes.copy(this.buf, this.reserve(bytes.length));
    return this;
  }

  attr(type: number, data: Buffer): this {
    const at = this.reserve(4 + data.length);
    this.buf.writeUInt16LE(4 + data.length, at);
    this.buf.writeUInt16LE(type, at + 2);
    data.copy(this.buf, at + 4);
    return this;
  }

  u8(type: number, value: number): this {
    return this.attr(type, Buffer.of(value));
  }

  u16(type: number, value: number): this {
    const data = Buffer.alloc(2);
    data.writeUInt16LE(value);
    return this.attr(type, data);
  }

  be16(type: number, value: number): this {
    const data = Buffer.alloc(2);
    data.writeUInt16BE(value);
    return this.attr(type, data);
  }

  u32(type: number, value: number): this {
    const data = Buffer.alloc(4);
    data.writeUInt32LE(value);
    return this.attr(type, data);
  }

  str(type: number, value: string): this {
    return this.attr(type, Buffer.from(`${value}\0`));
  }

  /** A nested attribute whose content `fill` writes. */
  nest(type: number, fill: (writer: this) => void): this {
    const at = this.reserve(4);
    fill(this);
    this.buf.writeUInt16LE(this.length - at, at);
    this.buf.writeUInt16LE(type, at + 2);
    return this;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

export function ifinfomsg(family: number, index: number, flags: number, change: number): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt8(family, 0);
  header.writeInt32LE(index, 4);
  header.writeUInt32LE(flags, 8);
  header.writeUInt32LE(change, 12);
  return header;
}

/** Attributes of one level, by type (the last one wins; nested flag bits cleared). */
export function parseAttrs(buf: Buffer, start = 0, end = buf.length): Map<number, Buffer> {
  const attrs = new Map<number, Buffer>();
  let at = start;
  while (at + 4 <= end) {
    const length = buf.readUInt16LE(at);
    if (length < 4 || at + length > end) break;
    attrs.set(buf.readUInt16LE(at + 2) & 0x3fff, buf.subarray(at + 4, at + length));
    at += (length + 3) & ~3;
  }
  return attrs;
}

export function attrString(value: Buffer | undefined): string | undefined {
  if (value === undefined) return undefined;
  const nul = value.indexOf(0);
  return value.toString('utf8', 0, nul < 0 ? value.length : nul);
}
