// The WebAssembly global, typed locally: the project's lib (ES2023 + @types/node 20) does not
// declare it, and a global declaration here could clash with another folder's.
/** A compiled core module (WebAssembly.Module); structured-cloneable to a worker. */
export type CoreModule = object;

interface WebAssemblyApi {
  compile(bytes: Uint8Array): Promise<CoreModule>;
  Module: {
    new (bytes: Uint8Array): CoreModule;
    exports(module: CoreModule): Array<{ name: string; kind: string }>;
  };
}

export const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
