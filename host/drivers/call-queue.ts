// Calls to one component run one at a time, in order (components run in parallel).
export { SerialQueue as CallQueue } from '../../ipam/serial-queue.js';
