// The resolved WIT structure the generator works on (the subset the contract uses).

export type Primitive = 'bool' | 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64' | 'string';

export type TypeRef =
  | { kind: 'prim'; name: Primitive }
  | { kind: 'list'; elem: TypeRef }
  | { kind: 'option'; inner: TypeRef }
  | { kind: 'result'; ok: TypeRef | null; err: TypeRef | null }
  | { kind: 'tuple'; items: TypeRef[] }
  | { kind: 'handle'; own: boolean; iface: string; name: string }
  | { kind: 'named'; iface: string; name: string };

export interface Field {
  name: string;
  type: TypeRef;
}

export interface Case {
  name: string;
  type: TypeRef | null;
}

export interface Func {
  name: string;
  params: Field[];
  result: TypeRef | null;
}

export type TypeDef =
  | { kind: 'record'; fields: Field[] }
  | { kind: 'variant'; cases: Case[] }
  | { kind: 'enum'; cases: string[] }
  | { kind: 'alias'; target: TypeRef }
  | { kind: 'resource'; methods: Func[] };

export interface Interface {
  name: string;
  /** Types defined here, in source order. */
  types: Map<string, TypeDef>;
  funcs: Func[];
}

export interface World {
  name: string;
  imports: string[];
  exports: string[];
}

export interface Package {
  /** e.g. "wasmnet:driver" */
  namespace: string;
  /** e.g. "0.1.0" */
  version: string;
  interfaces: Map<string, Interface>;
  worlds: Map<string, World>;
}
