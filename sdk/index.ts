// The AssemblyScript entry of @wasmnet/sdk (asc resolves a package import to its index.ts).
export * from './assembly/index';
