// @wasmnet/sdk: the programmatic API (build, mock host). Filled in by the SDK work.
export {};
