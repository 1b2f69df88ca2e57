// Worker side of LinkDeleter: deletes one link at a time, on its own thread and socket.
import { parentPort } from 'node:worker_threads';
import { NetlinkError } from '../netlink/errors.js';
import { withNetns } from '../netlink/netns.js';
import { delLinkByName } from '../netlink/requests.js';
import { NetlinkSocket } from '../netlink/socket.js';

export interface DeleteJob {
  id: number;
  /** The namespace file, or null for the process's own namespace. */
  path: string | null;
  name: string;
}

export interface DeleteResult {
  id: number;
  error?: { errno: number; request: string; netns: string; detail?: string; message: string };
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
    result.error = error instanceof NetlinkError
      ? { errno: error.errno, request: error.request, netns: error.netns, detail: error.detail, message: error.message }
      : { errno: 0, request: `delete link ${job.name}`, netns: job.path ?? 'self', message: String(error) };
  }
  parentPort?.postMessage(result);
});
