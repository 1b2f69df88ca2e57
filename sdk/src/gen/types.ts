// AssemblyScript types and memory lift/lower helpers for WIT types.
//
// Representation: records → classes, variants → a class with `tag` and one field per payload
// case, enums → AS enums, option<T> → `T | null` (`Box<T> | null` for value types),
// result<_, E> → `E | null` (null is ok), result<T, E> → `Result<T, E>`, tuples → TupleN,
// list<u8> → Uint8Array, list<T> → Array<T>, resource handles → a class over the handle.
import type { TypeRef } from '../wit/model.js';
import { type Abi, discriminantSize } from './abi.js';
import { camel, pascal } from './names.js';

const PRIM_AS: Record<string, string> = {
  bool: 'bool',
  u8: 'u8',
  u16: 'u16',
  u32: 'u32',
  u64: 'u64',
  s8: 'i8',
  s16: 'i16',
  s32: 'i32',
  s64: 'i64',
  string: 'string',
};

export class TypeMapper {
  /** Helper function bodies emitted on demand, by name. */
  readonly helpers = new Map<string, string>();

  constructor(readonly abi: Abi) {}

  asType(type: TypeRef): string {
    switch (type.kind) {
      case 'prim':
        return PRIM_AS[type.name] as string;
      case 'list':
        return this.isBytes(type) ? 'Uint8Array' : `Array<${this.asType(type.elem)}>`;
      case 'option': {
        if (this.abi.expand(type.inner).kind === 'option') throw new Error('option<option<…>> is not supported');
        const inner = this.asType(type.inner);
        return this.isRef(type.inner) ? `${inner} | null` : `Box<${inner}> | null`;
      }
      case 'result':
        if (type.err === null) throw new Error('result without an error type is not supported');
        return type.ok === null
          ? `${this.asType(type.err)} | null`
          : `Result<${this.asType(type.ok)}, ${this.asType(type.err)}>`;
      case 'tuple':
        if (type.items.length < 2 || type.items.length > 4) throw new Error('tuples of 2 to 4 items are supported');
        return `Tuple${type.items.length}<${type.items.map((t) => this.asType(t)).join(', ')}>`;
      case 'handle':
      case 'named':
        return pascal(type.name);
    }
  }

  isBytes(type: TypeRef): boolean {
    const t = this.abi.expand(type);
    return t.kind === 'list' && t.elem.kind === 'prim' && t.elem.name === 'u8';
  }

  /** Whether the AS type is a reference (may be null) rather than a number. */
  isRef(type: TypeRef): boolean {
    const t = this.abi.expand(type);
    if (t.kind === 'prim') return t.name === 'string';
    if (t.kind === 'named') return this.abi.def(t).kind !== 'enum';
    return true;
  }

  /** A stable identifier for a type, used to name its helpers. */
  key(type: TypeRef): string {
    const t = this.abi.expand(type);
    switch (t.kind) {
      case 'prim':
        return t.name;
      case 'list':
        return `list_${this.key(t.elem)}`;
      case 'option':
        return `option_${this.key(t.inner)}`;
      case 'result':
        return `result_${t.ok ? this.key(t.ok) : 'unit'}_${t.err ? this.key(t.err) : 'unit'}`;
      case 'tuple':
        return `tuple${t.items.length}_${t.items.map((i) => this.key(i)).join('_')}`;
      case 'handle':
      case 'named':
        return pascal(t.name);
    }
  }

  /** Expression reading a value of `type` stored at `ptr + offset`. */
  load(type: TypeRef, ptr: string, offset: number): string {
    const t = this.abi.expand(type);
    switch (t.kind) {
      case 'prim':
        if (t.name === 'string') return `loadString(${ptr} + ${offset})`;
        if (t.name === 'bool') return `load<u8>(${ptr}, ${offset}) != 0`;
        return `load<${PRIM_AS[t.name]}>(${ptr}, ${offset})`;
      case 'handle':
        return `new ${this.asType(t)}(load<i32>(${ptr}, ${offset}))`;
      case 'named': {
        const def = this.abi.def(t);
        if (def.kind === 'enum') return `<${this.asType(t)}>load<${discType(def.cases.length)}>(${ptr}, ${offset})`;
        break;
      }
      case 'list':
        if (this.isBytes(t)) return `loadBytes(${ptr} + ${offset})`;
        break;
    }
    return `${this.memoryHelpers(t).load}(${ptr} + ${offset})`;
  }

  /** Statement storing `value` (an expression evaluated once) of `type` at `ptr + offset`. */
  store(type: TypeRef, value: string, ptr: string, offset: number): string {
    const t = this.abi.expand(type);
    switch (t.kind) {
      case 'prim':
        if (t.name === 'string') return `storeString(${ptr} + ${offset}, ${value});`;
        if (t.name === 'bool') return `store<u8>(${ptr}, ${value} ? 1 : 0, ${offset});`;
        return `store<${PRIM_AS[t.name]}>(${ptr}, ${value}, ${offset});`;
      case 'handle':
        return `store<i32>(${ptr}, ${value}.handle, ${offset});`;
      case 'named': {
        const def = this.abi.def(t);
        if (def.kind === 'enum') {
          const disc = discType(def.cases.length);
          return `store<${disc}>(${ptr}, <${disc}>${value}, ${offset});`;
        }
        break;
      }
      case 'list':
        if (this.isBytes(t)) return `storeBytes(${ptr} + ${offset}, ${value});`;
        break;
    }
    return `${this.memoryHelpers(t).store}(${value}, ${ptr} + ${offset});`;
  }

  /** An element's payload value as a non-null expression (for `T | null` and Box). */
  unwrapOption(inner: TypeRef, value: string): string {
    return this.isRef(inner) ? `${value}!` : `${value}!.value`;
  }

  wrapOption(inner: TypeRef, value: string): string {
    return this.isRef(inner) ? value : `new Box<${this.asType(inner)}>(${value})`;
  }

  /**
   * Emits the helper function `name` once; `body` may define further helpers (the name is
   * reserved first, so a recursive type terminates). Returns the name.
   */
  define(name: string, body: () => string): string {
    if (!this.helpers.has(name)) {
      this.helpers.set(name, '');
      this.helpers.set(name, body());
    }
    return name;
  }

  /** Lift a list from its (ptr, len) pair; the guest owns and frees the data. */
  listFromParts(type: TypeRef & { kind: 'list' }): string {
    if (this.isBytes(type)) return 'liftBytes';
    const size = this.abi.size(type.elem);
    const as = this.asType(type);
    return this.define(
      `liftList_${this.key(type)}`,
      () => `export function liftList_${this.key(type)}(ptr: usize, len: usize): ${as} {
  const out = new ${as}();
  for (let i: usize = 0; i < len; i++) out.push(${this.load(type.elem, `ptr + i * ${size}`, 0)});
  freeOwned(ptr, len * ${size});
  return out;
}`,
    );
  }

  /** Lower a list's elements into fresh memory; returns the pointer (length is v.length). */
  listToMemory(type: TypeRef & { kind: 'list' }): string {
    if (this.isBytes(type)) return 'lowerBytes';
    const size = this.abi.size(type.elem);
    return this.define(
      `lowerList_${this.key(type)}`,
      () => `export function lowerList_${this.key(type)}(v: ${this.asType(type)}): usize {
  const ptr = arenaAlloc(<usize>v.length * ${size});
  for (let i = 0; i < v.length; i++) {
    const e = v[i];
    ${this.store(type.elem, 'e', `ptr + <usize>i * ${size}`, 0)}
  }
  return ptr;
}`,
    );
  }

  private memoryHelpers(type: TypeRef): { load: string; store: string } {
    const key = this.key(type);
    const names = { load: `loadMem_${key}`, store: `storeMem_${key}` };
    if (this.helpers.has(names.load)) return names;
    const as = this.asType(type);
    this.define(names.store, () => '');
    this.define(names.load, () => {
      const [load, store] = this.memoryBodies(type);
      this.helpers.set(names.store, `export function ${names.store}(v: ${as}, at: usize): void {\n${store}\n}`);
      return `export function ${names.load}(at: usize): ${as} {\n${load}\n}`;
    });
    return names;
  }

  private memoryBodies(type: TypeRef): [string, string] {
    const t = this.abi.expand(type);
    const as = this.asType(t);
    switch (t.kind) {
      case 'list':
        return [
          `  return ${this.listFromParts(t)}(<usize>load<u32>(at), <usize>load<u32>(at, 4));`,
          `  store<u32>(at, <u32>${this.listToMemory(t)}(v));\n  store<u32>(at, <u32>v.length, 4);`,
        ];
      case 'tuple': {
        const { offsets } = this.abi.recordLayout(t.items);
        return [
          `  return new ${as}(${t.items.map((item, i) => this.load(item, 'at', offsets[i] as number)).join(', ')});`,
          t.items.map((item, i) => `  ${this.store(item, `v.f${i}`, 'at', offsets[i] as number)}`).join('\n'),
        ];
      }
      case 'option':
        return this.variantBodies([null, t.inner], {
          load: (i, payload) => (i === 0 ? 'null' : this.wrapOption(t.inner, payload)),
          tag: 'v === null ? 0 : 1',
          payload: () => this.unwrapOption(t.inner, 'v'),
        });
      case 'result': {
        const err = t.err as TypeRef;
        if (t.ok === null) {
          return this.variantBodies([null, err], {
            load: (i, payload) => (i === 0 ? 'null' : payload),
            tag: 'v === null ? 0 : 1',
            payload: () => 'v!',
          });
        }
        const ok = t.ok;
        const generics = `<${this.asType(ok)}, ${this.asType(err)}>`;
        return this.variantBodies([ok, err], {
          load: (i, payload) => (i === 0 ? `Result.ok${generics}(${payload})` : `Result.err${generics}(${payload})`),
          tag: 'v.isOk ? 0 : 1',
          payload: (i) => (i === 0 ? 'v.value' : 'v.error!'),
        });
      }
      case 'named': {
        const def = this.abi.def(t);
        if (def.kind === 'record') {
          const { offsets } = this.abi.recordLayout(def.fields.map((f) => f.type));
          return [
            `  return new ${as}(${def.fields.map((f, i) => this.load(f.type, 'at', offsets[i] as number)).join(', ')});`,
            def.fields
              .map((f, i) => `  ${this.store(f.type, `v.${camel(f.name)}`, 'at', offsets[i] as number)}`)
              .join('\n'),
          ];
        }
        if (def.kind === 'variant') {
          return this.variantBodies(
            def.cases.map((c) => c.type),
            {
              load: (i, payload) => `${as}.${camel((def.cases[i] as { name: string }).name)}(${payload ?? ''})`,
              tag: '<i32>v.tag',
              payload: (i) => variantField(this, def.cases[i] as { name: string; type: TypeRef }, 'v'),
            },
          );
        }
        break;
      }
    }
    throw new Error(`no memory helpers for ${this.key(type)}`);
  }

  private variantBodies(
    payloads: (TypeRef | null)[],
    how: { load: (index: number, payload: string) => string; tag: string; payload: (index: number) => string },
  ): [string, string] {
    const { payloadOffset } = this.abi.variantLayout(payloads);
    const disc = discType(payloads.length);
    const loads = payloads.map(
      (p, i) => `    case ${i}: return ${how.load(i, p === null ? '' : this.load(p, 'at', payloadOffset))};`,
    );
    const stores = payloads.map((p, i) =>
      p === null ? '' : `    case ${i}: { ${this.store(p, how.payload(i), 'at', payloadOffset)} break; }`,
    );
    return [
      `  switch (<i32>load<${disc}>(at)) {\n${loads.join('\n')}\n    default: unreachable();\n  }\n  return unreachable();`,
      `  const tag = ${how.tag};\n  store<${disc}>(at, <${disc}>tag);\n  switch (tag) {\n${stores.filter(Boolean).join('\n')}\n    default: break;\n  }`,
    ];
  }
}

/** The payload of a variant case read from value `v` (non-null for reference payloads). */
export function variantField(types: TypeMapper, c: { name: string; type: TypeRef }, v: string): string {
  const field = `${v}.${camel(c.name)}`;
  return types.isRef(c.type) ? `${field}!` : field;
}

export function discType(cases: number): string {
  return `u${discriminantSize(cases) * 8}`;
}
