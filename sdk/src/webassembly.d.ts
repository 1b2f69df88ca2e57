// The slice of the WebAssembly JS API the SDK uses (lib ES2023 without DOM does not declare it).
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
}
