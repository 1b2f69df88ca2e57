// Docker's legacy plugin protocol messages, with dockerd's exact field names (libnetwork
// drivers/remote/api and ipams/remote/api). Lenient on unknown fields: dockerd versions add some.
import { any, array, bool, nullable, object, record, str, type Infer } from '../schema.js';

const id = str({ min: 1, max: 256 });
const text = nullable(str({ max: 4096 }));
const options = nullable(record(any()));

const ipamData = object(
  {
    AddressSpace: text,
    Pool: str({ min: 1, max: 64 }),
    Gateway: text,
    AuxAddresses: nullable(record(str({ max: 64 }))),
  },
  true,
);

export const createNetwork = object(
  { NetworkID: id, Options: options, IPv4Data: nullable(array(ipamData)), IPv6Data: nullable(array(ipamData)) },
  true,
);
export const networkOnly = object({ NetworkID: id }, true);
export const allocateNetwork = createNetwork;
export const createEndpoint = object(
  {
    NetworkID: id,
    EndpointID: id,
    Interface: nullable(object({ Address: text, AddressIPv6: text, MacAddress: text }, true)),
    Options: options,
  },
  true,
);
export const endpointRef = object({ NetworkID: id, EndpointID: id }, true);
export const join = object(
  { NetworkID: id, EndpointID: id, SandboxKey: str({ min: 1, max: 4096 }), Options: options },
  true,
);
export const externalConnectivity = object({ NetworkID: id, EndpointID: id, Options: options }, true);
export const discovery = object({ DiscoveryType: nullable(any()), DiscoveryData: nullable(any()) }, true);

export const requestPool = object(
  {
    AddressSpace: str({ max: 256 }),
    Pool: text,
    SubPool: text,
    Options: nullable(record(str({ max: 4096 }))),
    V6: nullable(bool()),
  },
  true,
);
export const releasePool = object({ PoolID: id }, true);
export const requestAddress = object(
  { PoolID: id, Address: text, Options: nullable(record(str({ max: 4096 }))) },
  true,
);
export const releaseAddress = object({ PoolID: id, Address: str({ min: 1, max: 64 }) }, true);

export type CreateNetwork = Infer<typeof createNetwork>;
export type IpamDataMsg = Infer<typeof ipamData>;
export type CreateEndpoint = Infer<typeof createEndpoint>;
export type RequestPool = Infer<typeof requestPool>;
