// Canonical ABI layout: size, alignment and flat (core) types of every WIT type.
import type { Case, Package, Primitive, TypeDef, TypeRef } from '../wit/model.js';

export type CoreType = 'i32' | 'i64';

/** The limits of the canonical ABI: beyond them values travel through memory. */
export const MAX_FLAT_PARAMS = 16;
export const MAX_FLAT_RESULTS = 1;

const PRIM_SIZE: Record<Primitive, number> = {
  bool: 1,
  u8: 1,
  s8: 1,
  u16: 2,
  s16: 2,
  u32: 4,
  s32: 4,
  u64: 8,
  s64: 8,
  string: 8,
};

export class Abi {
  constructor(private readonly pkg: Package) {}

  def(type: { iface: string; name: string }): TypeDef {
    const def = this.pkg.interfaces.get(type.iface)?.types.get(type.name);
    if (def === undefined) throw new Error(`unknown type ${type.iface}.${type.name}`);
    return def;
  }

  /** A named type with its aliases followed (records, variants and enums stay named). */
  expand(type: TypeRef): TypeRef {
    if (type.kind !== 'named') return type;
    const def = this.def(type);
    return def.kind === 'alias' ? this.expand(def.target) : type;
  }

  size(type: TypeRef): number {
    return this.layout(type).size;
  }

  layout(type: TypeRef): { size: number; align: number } {
    const t = this.expand(type);
    switch (t.kind) {
      case 'prim':
        return t.name === 'string' ? { size: 8, align: 4 } : { size: PRIM_SIZE[t.name], align: PRIM_SIZE[t.name] };
      case 'list':
        return { size: 8, align: 4 };
      case 'handle':
        return { size: 4, align: 4 };
      case 'tuple':
        return this.recordLayout(t.items).layout;
      case 'option':
        return this.variantLayout([null, t.inner]).layout;
      case 'result':
        return this.variantLayout([t.ok, t.err]).layout;
      case 'named': {
        const def = this.def(t);
        if (def.kind === 'record') return this.recordLayout(def.fields.map((f) => f.type)).layout;
        if (def.kind === 'variant') return this.variantLayout(def.cases.map((c) => c.type)).layout;
        if (def.kind === 'enum')
          return { size: discriminantSize(def.cases.length), align: discriminantSize(def.cases.length) };
        throw new Error(`no layout for ${t.name}`);
      }
    }
  }

  /** Field offsets of a record or tuple. */
  recordLayout(types: TypeRef[]): { offsets: number[]; layout: { size: number; align: number } } {
    let offset = 0;
    let align = 1;
    const offsets = types.map((type) => {
      const l = this.layout(type);
      offset = alignTo(offset, l.align);
      align = Math.max(align, l.align);
      const at = offset;
      offset += l.size;
      return at;
    });
    return { offsets, layout: { size: alignTo(offset, align), align } };
  }

  /** Discriminant size and payload offset of a variant given its case payloads. */
  variantLayout(payloads: (TypeRef | null)[]): {
    discSize: number;
    payloadOffset: number;
    layout: { size: number; align: number };
  } {
    const discSize = discriminantSize(payloads.length);
    let payloadAlign = 1;
    let payloadSize = 0;
    for (const p of payloads) {
      if (p === null) continue;
      const l = this.layout(p);
      payloadAlign = Math.max(payloadAlign, l.align);
      payloadSize = Math.max(payloadSize, l.size);
    }
    const align = Math.max(discSize, payloadAlign);
    const payloadOffset = alignTo(discSize, payloadAlign);
    return { discSize, payloadOffset, layout: { size: alignTo(payloadOffset + payloadSize, align), align } };
  }

  flat(type: TypeRef): CoreType[] {
    const t = this.expand(type);
    switch (t.kind) {
      case 'prim':
        if (t.name === 'string') return ['i32', 'i32'];
        return t.name === 'u64' || t.name === 's64' ? ['i64'] : ['i32'];
      case 'list':
        return ['i32', 'i32'];
      case 'handle':
        return ['i32'];
      case 'tuple':
        return t.items.flatMap((item) => this.flat(item));
      case 'option':
        return this.flatVariant([null, t.inner]);
      case 'result':
        return this.flatVariant([t.ok, t.err]);
      case 'named': {
        const def = this.def(t);
        if (def.kind === 'record') return def.fields.flatMap((f) => this.flat(f.type));
        if (def.kind === 'variant') return this.flatVariant(def.cases.map((c: Case) => c.type));
        return ['i32'];
      }
    }
  }

  flatVariant(payloads: (TypeRef | null)[]): CoreType[] {
    const joined: CoreType[] = [];
    for (const p of payloads) {
      if (p === null) continue;
      this.flat(p).forEach((core, i) => {
        const have = joined[i];
        joined[i] = have === undefined || have === core ? core : 'i64';
      });
    }
    return ['i32', ...joined];
  }
}

export function discriminantSize(cases: number): number {
  return cases <= 0x100 ? 1 : cases <= 0x10000 ? 2 : 4;
}

function alignTo(offset: number, align: number): number {
  return Math.ceil(offset / align) * align;
}
