// The request bodies of the REST API, as schemas.
import {
  DNS_OPTION,
  HOSTNAME,
  isIpAddress,
  MAX_DNS_ENTRIES,
  MAX_EXTRA_HOSTS,
  SEARCH_DOMAIN,
} from '../controller/sandbox-options.js';
import { array, bool, int, object, oneOf, optional, record, str, type Infer } from './schema.js';

const name = str({ min: 1, max: 255, pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/ });
const cidr = str({ min: 1, max: 64 });
const ip = str({ min: 1, max: 64 });
const strings = record(str({ max: 4096 }));
const ipAddress = str({ min: 1, max: 64, is: { what: 'an IP address', test: isIpAddress } });
/** Written to /etc/hosts: one RFC 1123 name, nothing that could start another line or entry. */
const hostname = str({ min: 1, max: 253, pattern: HOSTNAME });
const hostnameOrNone = str({ max: 253, pattern: new RegExp(`^$|${HOSTNAME.source}`) });

export const networkCreate = object({
  name,
  driver: optional(name),
  enableIPv6: optional(bool()),
  internal: optional(bool()),
  labels: optional(strings),
  options: optional(strings),
  ipam: optional(
    object({
      driver: optional(name),
      options: optional(strings),
      config: optional(
        array(
          object({
            subnet: optional(cidr),
            ipRange: optional(cidr),
            gateway: optional(ip),
            auxAddresses: optional(record(ip)),
          }),
          16,
        ),
      ),
    }),
  ),
});

export const endpointCreate = object({
  name,
  ipv4Address: optional(ip),
  ipv6Address: optional(ip),
  macAddress: optional(str({ pattern: /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/ })),
  aliases: optional(array(str({ min: 1, max: 253 }), 64)),
  options: optional(strings),
});

export const join = object({
  sandbox: str({ min: 1, max: 255 }),
  priority: optional(int(-1000000, 1000000)),
  interfaceName: optional(str({ min: 1, max: 15, pattern: /^[A-Za-z0-9_.-]+$/ })),
  handOver: optional(bool()),
  publish: optional(
    array(
      object({
        protocol: oneOf('tcp', 'udp'),
        hostIp: optional(ip),
        hostPort: int(1, 65535),
        containerPort: int(1, 65535),
      }),
      256,
    ),
  ),
});

export const leave = object({ sandbox: str({ min: 1, max: 255 }) });

export const sandboxCreate = object({
  containerId: str({ min: 1, max: 255 }),
  hostname: optional(hostnameOrNone),
  domainname: optional(hostnameOrNone),
  extraHosts: optional(array(object({ name: hostname, ip: ipAddress }), MAX_EXTRA_HOSTS)),
  dns: optional(array(ipAddress, MAX_DNS_ENTRIES)),
  dnsSearch: optional(array(str({ max: 254, pattern: SEARCH_DOMAIN }), MAX_DNS_ENTRIES)),
  dnsOptions: optional(array(str({ max: 255, pattern: DNS_OPTION }), MAX_DNS_ENTRIES)),
  ipv6: optional(bool()),
  embeddedDns: optional(bool()),
  options: optional(strings),
  externalKey: optional(str({ min: 1, max: 4096, pattern: /^\// })),
});

export const driverLoad = object({ path: str({ min: 1, max: 4096, pattern: /^\// }), name: optional(name) });
export const driverUpgrade = object({ path: str({ min: 1, max: 4096, pattern: /^\// }) });

export type NetworkCreateBody = Infer<typeof networkCreate>;

/** DELETE of a network or an endpoint: no body, or whether to remove what it holds first. */
export const remove = object({ force: optional(bool()) });
