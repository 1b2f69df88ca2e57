// What the Docker plugin must remember itself, since dockerd replays nothing after a restart:
// its network and endpoint ids mapped to wasmnet's, and the IPAM pools and addresses it gave.
// Saved as one JSON file, replaced atomically after every change.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface PluginState {
  /** dockerd NetworkID → wasmnet network id. */
  networks: Record<string, string>;
  /** dockerd NetworkID → its subnets (to give its pools back when it is removed through wasmnet). */
  networkPools?: Record<string, string[]>;
  /** dockerd EndpointID → wasmnet endpoint, its sandbox while joined, and the addresses IPAM gave it. */
  endpoints: Record<string, { network: string; endpoint: string; sandbox?: string; addresses?: string[] }>;
  /** IPAM pools by PoolID, with what was asked (to replay into a fresh allocator). */
  pools: Record<
    string,
    {
      addressSpace: string;
      pool: string;
      subPool?: string;
      options: Record<string, string>;
      v6: boolean;
      addresses: string[];
    }
  >;
}

export class StateFile {
  readonly state: PluginState;

  constructor(private readonly path: string) {
    this.state = load(path);
  }

  save(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state), { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}

function load(path: string): PluginState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { networks: {}, endpoints: {}, pools: {} };
    throw error;
  }
  return JSON.parse(text) as PluginState;
}
