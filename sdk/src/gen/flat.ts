// Flat (core value) lifting and lowering: parameters of exports arrive as core values, and
// parameters of imports leave as core values, as long as they fit MAX_FLAT_PARAMS.
import type { TypeRef } from '../wit/model.js';
import type { CoreType } from './abi.js';
import { camel } from './names.js';
import { type TypeMapper, variantField } from './types.js';

/** A core value: an expression and its core type. */
export interface Slot {
  expr: string;
  core: CoreType;
}

export class FlatCodec {
  private temp = 0;

  constructor(private readonly types: TypeMapper) {}

  /** Expression building a value of `type` from its flat slots (joined slots may be wider). */
  lift(type: TypeRef, slots: Slot[]): string {
    const abi = this.types.abi;
    const t = abi.expand(type);
    const narrow = (i: number): string => {
      const slot = slots[i] as Slot;
      return slot.core === 'i64' && (abi.flat(t)[i] ?? 'i32') === 'i32' ? `<i32>(${slot.expr})` : slot.expr;
    };
    switch (t.kind) {
      case 'prim':
        if (t.name === 'string') return `liftString(<usize>${narrow(0)}, <usize>${narrow(1)})`;
        if (t.name === 'bool') return `(${narrow(0)} != 0)`;
        return `<${this.types.asType(t)}>${narrow(0)}`;
      case 'list':
        return `${this.types.listFromParts(t)}(<usize>${narrow(0)}, <usize>${narrow(1)})`;
      case 'handle':
        return `new ${this.types.asType(t)}(${narrow(0)})`;
      case 'tuple':
        return `new ${this.types.asType(t)}(${this.liftFields(t.items, slots).join(', ')})`;
      case 'option':
      case 'result':
        return this.liftVariantCall(t, slots);
      case 'named': {
        const def = abi.def(t);
        if (def.kind === 'enum') return `<${this.types.asType(t)}>${narrow(0)}`;
        if (def.kind === 'record')
          return `new ${this.types.asType(t)}(${this.liftFields(
            def.fields.map((f) => f.type),
            slots,
          ).join(', ')})`;
        return this.liftVariantCall(t, slots);
      }
    }
  }

  private liftFields(types: TypeRef[], slots: Slot[]): string[] {
    let at = 0;
    return types.map((type) => {
      const n = this.types.abi.flat(type).length;
      const lifted = this.lift(type, slots.slice(at, at + n));
      at += n;
      return lifted;
    });
  }

  /** Variants lift through a helper taking the discriminant and the joined payload slots. */
  private liftVariantCall(type: TypeRef, slots: Slot[]): string {
    const abi = this.types.abi;
    const flat = abi.flat(type);
    const name = this.types.define(`liftFlat_${this.types.key(type)}`, () => {
      const params = flat.map((core, i) => `a${i}: ${core}`).join(', ');
      const payloadSlots = flat.slice(1).map((core, i): Slot => ({ expr: `a${i + 1}`, core }));
      const cases = this.cases(type).map((c, i) => {
        const payload = c.type === null ? '' : this.lift(c.type, payloadSlots.slice(0, abi.flat(c.type).length));
        return `    case ${i}: return ${c.make(payload)};`;
      });
      return `export function liftFlat_${this.types.key(type)}(${params}): ${this.types.asType(type)} {\n  switch (a0) {\n${cases.join('\n')}\n    default: unreachable();\n  }\n  return unreachable();\n}`;
    });
    const args = slots.map((slot, i) => (slot.core === flat[i] ? slot.expr : `<${flat[i]}>(${slot.expr})`));
    return `${name}(${args.join(', ')})`;
  }

  /** The cases of a variant-like type: payload type, how to build it, how to read it back. */
  private cases(
    type: TypeRef,
  ): { type: TypeRef | null; make: (payload: string) => string; read: (v: string) => string }[] {
    const t = this.types.abi.expand(type);
    const types = this.types;
    if (t.kind === 'option') {
      return [
        { type: null, make: () => 'null', read: () => '' },
        { type: t.inner, make: (p) => types.wrapOption(t.inner, p), read: (v) => types.unwrapOption(t.inner, v) },
      ];
    }
    if (t.kind === 'result') {
      const err = t.err as TypeRef;
      if (t.ok === null) {
        return [
          { type: null, make: () => 'null', read: () => '' },
          { type: err, make: (p) => p, read: (v) => `${v}!` },
        ];
      }
      const generics = `<${types.asType(t.ok)}, ${types.asType(err)}>`;
      return [
        { type: t.ok, make: (p) => `Result.ok${generics}(${p})`, read: (v) => `${v}.value` },
        { type: err, make: (p) => `Result.err${generics}(${p})`, read: (v) => `${v}.error!` },
      ];
    }
    if (t.kind !== 'named') throw new Error('not a variant');
    const def = types.abi.def(t);
    if (def.kind !== 'variant') throw new Error('not a variant');
    const as = types.asType(t);
    return def.cases.map((c) => ({
      type: c.type,
      make: (p: string) => `${as}.${camel(c.name)}(${p})`,
      read: (v: string) => (c.type === null ? '' : variantField(types, { name: c.name, type: c.type }, v)),
    }));
  }

  private tag(type: TypeRef, v: string): string {
    const t = this.types.abi.expand(type);
    if (t.kind === 'option') return `(${v} === null ? 0 : 1)`;
    if (t.kind === 'result') return t.ok === null ? `(${v} === null ? 0 : 1)` : `(${v}.isOk ? 0 : 1)`;
    return `<i32>${v}.tag`;
  }

  /**
   * Statements assigning the flat slots (local variables named in `slots`) from `value`.
   * A value narrower than its (joined) slot is zero-extended.
   */
  lower(type: TypeRef, value: string, slots: Slot[]): string {
    const abi = this.types.abi;
    const t = abi.expand(type);
    const set = (i: number, expr: string, core: CoreType): string => {
      const slot = slots[i] as Slot;
      return `${slot.expr} = ${slot.core === core ? expr : `<i64><u32>(${expr})`};`;
    };
    switch (t.kind) {
      case 'prim':
        if (t.name === 'string')
          return `{ const p = lowerString(${value}); ${set(0, '<i32>p', 'i32')} ${set(1, '<i32>loweredLength', 'i32')} }`;
        if (t.name === 'bool') return set(0, `(${value} ? 1 : 0)`, 'i32');
        return t.name === 'u64' || t.name === 's64' ? set(0, `<i64>${value}`, 'i64') : set(0, `<i32>${value}`, 'i32');
      case 'list': {
        const v = this.fresh();
        return `{ const ${v} = ${value}; ${set(0, `<i32>${this.types.listToMemory(t)}(${v})`, 'i32')} ${set(1, `${v}.length`, 'i32')} }`;
      }
      case 'handle':
        return set(0, `${value}.handle`, 'i32');
      case 'tuple':
        return this.lowerFields(t.items, (_, i) => `f${i}`, value, slots);
      case 'option':
      case 'result':
        return this.lowerVariant(t, value, slots);
      case 'named': {
        const def = abi.def(t);
        if (def.kind === 'enum') return set(0, `<i32>${value}`, 'i32');
        if (def.kind === 'record')
          return this.lowerFields(
            def.fields.map((f) => f.type),
            (_, i) => camel((def.fields[i] as { name: string }).name),
            value,
            slots,
          );
        return this.lowerVariant(t, value, slots);
      }
    }
  }

  private lowerFields(
    types: TypeRef[],
    field: (type: TypeRef, i: number) => string,
    value: string,
    slots: Slot[],
  ): string {
    const v = this.fresh();
    let at = 0;
    const parts = types.map((type, i) => {
      const n = this.types.abi.flat(type).length;
      const code = this.lower(type, `${v}.${field(type, i)}`, slots.slice(at, at + n));
      at += n;
      return code;
    });
    return `{ const ${v} = ${value}; ${parts.join(' ')} }`;
  }

  private lowerVariant(type: TypeRef, value: string, slots: Slot[]): string {
    const v = this.fresh();
    const tag = this.fresh();
    const [disc, ...payload] = slots as [Slot, ...Slot[]];
    const cases = this.cases(type).map((c, i) => {
      if (c.type === null) return '';
      const n = this.types.abi.flat(c.type).length;
      return `case ${i}: { ${this.lower(c.type, c.read(v), payload.slice(0, n))} break; }`;
    });
    return `{ const ${v} = ${value}; const ${tag} = ${this.tag(type, v)}; ${disc.expr} = <${disc.core}>${tag}; switch (${tag}) { ${cases.join(' ')} default: break; } }`;
  }

  private fresh(): string {
    return `t${this.temp++}`;
  }
}
