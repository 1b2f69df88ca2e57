// Worker side of LinkDeleter: deletes one link at a time, on its own thread and socket.
import { parentPort } from 'node:worker_threads';
import { withNetns } from '../netlink/netns.js';
import { delLinkByName } from '../netlink/requests.js';
import { NetlinkSocket } from '../netlink/socket.js';
import { toWorkerError, type WorkerError } from './worker-errors.js';

export interface DeleteJob {
  id: number;
  /** The namespace file, or null for the process's own namespace. */
  path: string | null;
  name: string;
}

export interface DeleteResult {
  id: number;
  error?: WorkerError;
}

parentPort?.on('message', (job: DeleteJob) => {
  const result: DeleteResult = { id: job.id };
  try {
    // Not cached: an open socket would keep the namespace alive.
    const socket = withNetns(job.path, () => NetlinkSocket.open(job.path ?? 'self'));
    try {
      socket.one(delLinkByName(job.name));
    } finally {
      socket.close();
    }
  } catch (error) {
    result.error = toWorkerError(error, `delete link ${job.name}`, job.path ?? 'self');
  }
  parentPort?.postMessage(result);
});
