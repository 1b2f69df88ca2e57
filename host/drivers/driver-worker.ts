// Entry of a driver's worker thread: instantiates the transpiled component with the host
// imports, runs `init`, then serves calls one at a time. A trap leaves the instance dead:
// the reply says so (`fatal`) and the main thread replaces the whole worker.
import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { InterfaceData } from './api.js';
import { HOST_IMPORT_FUNCTIONS, type HostImports } from '../wit/host-imports.js';
import { GuestClock } from './guest-clock.js';
import { ask } from './host-channel.js';
import { guestError, guestErrorFrom } from './guest-error.js';
import type { CallMessage, FromWorker, Registration, WorkerInit } from './protocol.js';
import type { StoreWrite } from './store.js';
import { StoreUsage } from './store-quota.js';
import { LogLimiter } from './log-limit.js';
import { InterfaceInfo, InterfaceNameInfo, JoinInfo, NetworkInfo } from './resources.js';
import type { ErrorKind, WireError } from './errors.js';
import { BACKGROUND_NICE, setThreadNice } from './thread-priority.js';
import type { CoreModule } from './wasm.js';

const port = parentPort!;

// jco's glue reads `process.env.JCO_DEBUG` several times per call; in a worker, process.env is a
// C++ interceptor: a plain copy makes each read a property lookup.
process.env = { ...process.env };

// Booting this thread (a spare, started right after a load or an upgrade) and instantiating
// (jco's generated instantiate is CPU-heavy) are background work; `init` done, it serves calls.
setThreadNice(BACKGROUND_NICE);
// A worker may be started before its component is known (a spare): its first message is the
// init. One listener for the worker's whole life: removing it would unref the port, and the
// thread could exit while it loads the component.
type Incoming = WorkerInit | CallMessage | { store: Array<[string, Uint8Array]> };
let serve: (message: CallMessage | { store: Array<[string, Uint8Array]> }) => void = () => undefined;
const init = await new Promise<WorkerInit>((resolve) => {
  let first = true;
  port.on('message', (message: Incoming) => {
    if (first) resolve(message as WorkerInit);
    else serve(message as CallMessage | { store: Array<[string, Uint8Array]> });
    first = false;
  });
});
const send = (message: FromWorker): void => port.postMessage(message);
const store = new Map(init.store);
/** Checked before each write, so the guest gets its err; the host checks again. */
let storeUsage = new StoreUsage(init.storeQuota, init.store);
/** Writes not yet sent to the host: they go with the next result (see FromWorker). */
let storeWrites: StoreWrite[] = [];
function takeStoreWrites(): StoreWrite[] {
  const writes = storeWrites;
  storeWrites = [];
  storeUsage.endCall();
  return writes;
}

function storeWrite(write: StoreWrite): void {
  const refusal = storeUsage.refusal(write);
  if (refusal !== undefined) throw guestError('forbidden', `store quota: ${refusal}`);
  storeUsage.apply(write);
  const [key, value] = write;
  if (value === null) store.delete(key);
  else store.set(key, value);
  storeWrites.push(write);
}
const registrations: Registration[] = [];
const clock = new GuestClock(init.clock);
const logLimiter = new LogLimiter(init.logLimits);

/** Sends the count of lines the limiter dropped, before the result of the call that logged them. */
function reportDroppedLogs(): void {
  const count = logLimiter.takeDropped();
  if (count > 0) send({ type: 'log-dropped', count });
}

/** A host import answered synchronously by the main thread; refusals become the guest's err. */
function host(op: string, ...args: unknown[]): unknown {
  clock.pause();
  const reply = ask(init.channel, port, op, args);
  clock.run();
  if (!reply.ok) throw guestErrorFrom(reply.error);
  return reply.value;
}

/** A main-thread interface's imports: each function of the WIT forwarded to the main thread as is. */
function forwarders<I extends 'netlink' | 'firewall'>(iface: I): HostImports[I] {
  const forward =
    (op: string) =>
    (...args: unknown[]) =>
      host(iface, op, ...args);
  return Object.fromEntries(HOST_IMPORT_FUNCTIONS[iface].map((op) => [op, forward(op)])) as HostImports[I];
}

function register(kind: Registration['kind'], name: string, handle: number, capability: unknown): void {
  host('register', kind, name);
  registrations.push({ kind, name, handle, capability });
}

const imports = {
  'wasmnet:driver/log': {
    log: (level, message) => {
      const line = logLimiter.admit(message);
      if (line !== undefined) send({ type: 'log', level, message: line });
    },
  } satisfies HostImports['log'],
  'wasmnet:driver/store': {
    get: (key: string) => store.get(key),
    // No round trip to the host: a call's writes travel with its result.
    set: (key: string, value: Uint8Array) => storeWrite([key, value.slice()]),
    delete: (key: string) => {
      if (store.has(key)) storeWrite([key, null]);
    },
    keys: (prefix: string) => [...store.keys()].filter((key) => key.startsWith(prefix)).sort(),
  } satisfies HostImports['store'],
  'wasmnet:driver/netlink': forwarders('netlink'),
  'wasmnet:driver/firewall': forwarders('firewall'),
  'wasmnet:driver/driver-callback': {
    registerDriver: (name, handle, capability) => register('driver', name, handle, capability),
  } satisfies HostImports['driver-callback'],
  'wasmnet:driver/ipam-callback': {
    registerIpamDriver: (name, handle, capability) => register('ipam', name, handle, capability),
  } satisfies HostImports['ipam-callback'],
  'wasmnet:driver/resources': { NetworkInfo, InterfaceInfo, InterfaceNameInfo, JoinInfo },
};

type Exports = Record<string, Record<string, (...args: unknown[]) => unknown>>;
const { instantiate } = (await import(pathToFileURL(init.jsPath).href)) as {
  instantiate(
    getCoreModule: (path: string) => CoreModule,
    imports: object,
    instantiateCore: (module: CoreModule, imports: object) => object,
  ): Exports;
};

// jco's output probes WebAssembly.promising (JSPI, absent from Node 20) in a try/catch per
// export; each miss throws a TypeError whose message makes V8 re-parse the whole instantiate
// body. Its fallback is the plain export: give it.
const webAssembly = (globalThis as unknown as { WebAssembly: { promising?: (fn: unknown) => unknown } }).WebAssembly;
webAssembly.promising ??= (fn) => fn;

/** Core instances, kept to tell memory exhaustion from other traps. */
const cores: Array<{ exports: Record<string, unknown> }> = [];
let component: Exports;
try {
  component = instantiate(
    (path) => {
      const module = init.modules[path];
      if (module === undefined) throw new Error(`component asks for unknown core module ${path}`);
      return module;
    },
    imports,
    (module: CoreModule, importObject: object) => {
      const Instance = (
        globalThis as unknown as {
          WebAssembly: { Instance: new (m: CoreModule, i: object) => { exports: Record<string, unknown> } };
        }
      ).WebAssembly.Instance;
      const instance = new Instance(module, importObject);
      cores.push(instance);
      return instance;
    },
  );
  component.plugin!.init!();
  setThreadNice(0);
  reportDroppedLogs();
  send({ type: 'ready', registrations, writes: takeStoreWrites() });
} catch (error) {
  send({ type: 'init-failed', error: describe(error, 'init').error });
  process.exit(0);
}

const face = init.world === 'ipam-driver' ? component.ipam! : component.driver!;

/** Runs one call; host resources are created here and their effects returned as the value. */
function dispatch({ method, args }: CallMessage): unknown {
  const fn = face[method];
  if (fn === undefined)
    throw Object.assign(new Error(`unknown method ${method}`), {
      payload: { tag: 'not-implemented', val: `${method} is not part of ${init.world}` },
    });
  switch (method) {
    case 'createNetwork': {
      const [handle, networkId, options, v4, v6] = args;
      const info = new NetworkInfo();
      fn(handle, networkId, options, info, v4, v6);
      return info.effects;
    }
    case 'createEndpoint': {
      const [handle, networkId, endpointId, data, options] = args;
      const info = new InterfaceInfo({ ...(data as InterfaceData) });
      fn(handle, networkId, endpointId, info, options);
      return info.data;
    }
    case 'join': {
      const [handle, networkId, endpointId, sandboxKey, options] = args;
      const info = new JoinInfo();
      fn(handle, networkId, endpointId, sandboxKey, info, options);
      return info.effects;
    }
    default:
      return fn(...args);
  }
}

const IPAM_KINDS: Record<string, ErrorKind> = { 'pool-not-found': 'not-found', internal: 'internal' };

/** A guest `err` (ComponentError with a payload) is a typed error; anything else killed the instance. */
function describe(error: unknown, method: string): { error: WireError; fatal: boolean } {
  const payload = (error as { payload?: unknown } | null)?.payload;
  if (payload !== undefined && payload !== null && typeof payload === 'object') {
    if ('tag' in payload) {
      const { tag, val } = payload as { tag: ErrorKind; val: string };
      return { error: { kind: tag, message: val }, fatal: false };
    }
    const { code, message } = payload as { code: string; message: string };
    return {
      error: { kind: IPAM_KINDS[code] ?? 'invalid-parameter', message: `${code}: ${message}`, ipamCode: code },
      fatal: false,
    };
  }
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const why = memoryExhausted()
    ? `ran out of memory (cap ${init.memoryMaxBytes / 2 ** 20} MiB) and trapped`
    : 'trapped';
  return { error: { kind: 'internal', message: `${method} ${why} (${text})` }, fatal: true };
}

/** A guest memory at 90% of its cap or more: the trap most likely followed a failed grow. */
function memoryExhausted(): boolean {
  return cores.some(({ exports }) =>
    Object.values(exports).some(
      (value) =>
        value instanceof Object &&
        'buffer' in value &&
        'grow' in value &&
        (value as { buffer: ArrayBuffer }).buffer.byteLength >= init.memoryMaxBytes * 0.9,
    ),
  );
}

/** Rough size of a result: guards the host against a guest returning huge strings or lists. */
function sizeOf(value: unknown, limit: number): number {
  let total = 0;
  const stack = [value];
  while (stack.length > 0 && total <= limit) {
    const item = stack.pop();
    if (typeof item === 'string') total += item.length;
    else if (item instanceof Uint8Array) total += item.length;
    else if (item !== null && typeof item === 'object') stack.push(...Object.values(item));
    else total += 8;
  }
  return total;
}

/**
 * After a call, the thread polls this long for the next one before it sleeps, while calls come
 * that fast: waking a sleeping thread (its vCPU halted) costs more than a call. Calls that come
 * further apart, as the controller's do, are not worth a poll: it would only take a core from the
 * host. bench/runtime measures both.
 */
const LINGER_MS = 0.1;
/** The last 8 gaps between a result and the next call, one bit each: 1 when under LINGER_MS. */
let shortGaps = 0xff;
let lastResultAt = 0;

/** Poll while at least half of the recent gaps were short. */
function lingerMs(): number {
  let short = 0;
  for (let bits = shortGaps; bits !== 0; bits &= bits - 1) short++;
  return short >= 4 ? LINGER_MS : 0;
}

serve = (first) => {
  let message: CallMessage | { store: Array<[string, Uint8Array]> } | undefined = first;
  let until = 0;
  do {
    if (message !== undefined) {
      const arrivedAt = performance.now();
      if (lastResultAt > 0) shortGaps = ((shortGaps << 1) | (arrivedAt - lastResultAt < LINGER_MS ? 1 : 0)) & 0xff;
      serveOne(message);
      lastResultAt = performance.now();
      until = lastResultAt + lingerMs();
    }
    message = receiveMessageOnPort(port)?.message as typeof message;
  } while (message !== undefined || performance.now() < until);
};

function serveOne(message: CallMessage | { store: Array<[string, Uint8Array]> }): void {
  if ('store' in message) {
    storeWrites = [];
    store.clear();
    for (const [key, value] of message.store) store.set(key, value);
    storeUsage = new StoreUsage(init.storeQuota, message.store);
    return;
  }
  clock.run();
  try {
    const value = dispatch(message);
    clock.pause();
    reportDroppedLogs();
    if (sizeOf(value, init.maxResultBytes) > init.maxResultBytes) {
      send({
        type: 'result',
        id: message.id,
        ok: false,
        fatal: false,
        error: {
          kind: 'internal',
          message: `result of ${message.method} is over the ${init.maxResultBytes}-byte limit`,
        },
        writes: takeStoreWrites(),
      });
      return;
    }
    send({ type: 'result', id: message.id, ok: true, value, writes: takeStoreWrites() });
  } catch (error) {
    clock.pause();
    reportDroppedLogs();
    const { error: wire, fatal } = describe(error, message.method);
    const writes = takeStoreWrites();
    send(
      fatal
        ? { type: 'result', id: message.id, ok: false, error: wire, fatal }
        : { type: 'result', id: message.id, ok: false, error: wire, fatal, writes },
    );
  }
}
