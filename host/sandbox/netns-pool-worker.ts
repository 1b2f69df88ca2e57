// Worker side of NetnsPool: keeps the shared ring full of ready sandbox namespaces (unshare,
// IPv6 off, lo up: the slow part of creating one; with `dns`, the embedded DNS's sockets bound
// inside) and unmounts deleted ones, off the main thread.
import { closeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { bindServerSocketsHere, closeServerSockets, type ServerSockets } from '../dns/sockets.js';
import { sys } from '../netlink/libc.js';
import { forgetHome, unbindNetns, unshareNetns } from '../netlink/netns.js';
import { HEAD, type PoolData, type PoolReply, type PoolRequest, slot, TAIL } from './netns-pool-ring.js';
import { PrivateProc } from './private-proc.js';
import { prepareSandbox } from './setup.js';
import { toWorkerError } from './worker-errors.js';

const { ring: buffer, size, dns } = workerData as PoolData;
const proc = PrivateProc.open();
const ring = new Int32Array(buffer);
let stopping = false;
let filling = false;

const reply = (message: PoolReply): void => parentPort?.postMessage(message);

// Runs until the ring is full: after each deletion, and when the main thread finds the ring low.
// (Not Atomics.waitAsync: a pending one keeps an unref'd worker, and the process, alive.)
async function fill(): Promise<void> {
  if (filling) return;
  filling = true;
  while (!stopping) {
    const tail = Atomics.load(ring, TAIL);
    if (tail - Atomics.load(ring, HEAD) >= size) break;
    try {
      const sysRoot = proc?.sysRoot();
      let sockets: ServerSockets | undefined;
      const spare = unshareNetns((socket) => {
        prepareSandbox(socket, false, sysRoot);
        // lo is up now: the sockets bind as they would in the finished sandbox.
        if (dns) sockets = bindServerSocketsHere(dns.address, dns.port);
      });
      const at = slot(tail, size);
      ring[at] = spare.fd;
      ring[at + 1] = spare.socketFd;
      ring[at + 2] = sockets?.udp ?? -1;
      ring[at + 3] = sockets?.tcp ?? -1;
      Atomics.store(ring, TAIL, tail + 1);
    } catch (error) {
      reply({ type: 'failed', error: toWorkerError(error, 'create a spare namespace', 'new namespace') });
      stopping = true;
    }
    // Let queued deletions and the close request in between two creations.
    await new Promise((resolve) => setImmediate(resolve));
  }
  filling = false;
}

// The spares nobody took: closing their fds is all it takes to delete them.
function closeSpares(): void {
  const tail = Atomics.load(ring, TAIL);
  for (let i = Atomics.load(ring, HEAD); i < tail; i++) {
    const at = slot(i, size);
    closeSync(ring[at] as number);
    sys.close(ring[at + 1] as number);
    if ((ring[at + 2] as number) >= 0) closeServerSockets({ udp: ring[at + 2] as number, tcp: ring[at + 3] as number });
  }
  Atomics.store(ring, HEAD, tail);
}

parentPort?.on('message', (request: PoolRequest) => {
  if (request.type === 'refill') {
    void fill();
    return;
  }
  if (request.type === 'close') {
    stopping = true;
    closeSpares();
    proc?.close();
    forgetHome();
    reply({ type: 'closed' });
    return;
  }
  try {
    unbindNetns(request.path);
    reply({ type: 'deleted', id: request.id });
  } catch (error) {
    reply({ type: 'deleted', id: request.id, error: toWorkerError(error, 'delete namespace', request.path) });
  }
  void fill();
});

void fill();
