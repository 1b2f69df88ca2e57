// Where the daemon's API listens by default. Its own module, free of imports, so the CLI and the
// CNI plugin can name it without loading the server.
export const DEFAULT_API_SOCKET = '/run/wasmnet/wasmnet.sock';
