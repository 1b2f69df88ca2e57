// The host resources lent to a guest for one call (driverapi NetworkInfo, InterfaceInfo,
// InterfaceNameInfo, JoinInfo). They live in the worker and record what the guest sets;
// the recorded effects travel back with the call's result.
import type { InterfaceData, JoinEffects, NetworkInfoEffects } from './api.js';
import { excerpt } from '../excerpt.js';
import { guestError } from './guest-error.js';
import type { ObjectType, RouteType } from '../generated/wit/network-driver/interfaces/wasmnet-driver-resources.js';

export class NetworkInfo {
  readonly effects: NetworkInfoEffects = { tables: [] };

  tableEventRegister(tableName: string, objectType: ObjectType): void {
    if (tableName === '') throw guestError('invalid-parameter', 'table name must not be empty');
    this.effects.tables.push({ tableName, objectType });
  }
}

export class InterfaceInfo {
  constructor(readonly data: InterfaceData) {}

  setMacAddress(mac: string): void {
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac))
      throw guestError('invalid-parameter', `invalid MAC address ${excerpt(mac)}`);
    if (this.data.mac !== undefined) throw guestError('forbidden', `endpoint already has MAC address ${this.data.mac}`);
    this.data.mac = mac;
  }

  setIpAddress(cidr: string): void {
    const v6 = cidr.includes(':');
    if (!/^[0-9a-f.:]+\/\d{1,3}$/i.test(cidr))
      throw guestError('invalid-parameter', `invalid address ${excerpt(cidr)} (CIDR expected)`);
    const current = v6 ? this.data.addressIpv6 : this.data.address;
    if (current !== undefined)
      throw guestError('forbidden', `endpoint already has ${v6 ? 'IPv6' : 'IPv4'} address ${current}`);
    if (v6) this.data.addressIpv6 = cidr;
    else this.data.address = cidr;
  }

  macAddress(): string | undefined {
    return this.data.mac;
  }

  address(): string | undefined {
    return this.data.address;
  }

  addressIpv6(): string | undefined {
    return this.data.addressIpv6;
  }
}

export class InterfaceNameInfo {
  constructor(private readonly effects: JoinEffects) {}

  setNames(srcName: string, dstPrefix: string): void {
    if (srcName === '' || dstPrefix === '') throw guestError('invalid-parameter', 'interface names must not be empty');
    this.effects.names = { srcName, dstPrefix };
  }
}

export class JoinInfo {
  readonly effects: JoinEffects = { staticRoutes: [], disableGatewayService: false, tableEntries: [] };

  interfaceName(): InterfaceNameInfo {
    return new InterfaceNameInfo(this.effects);
  }

  setGateway(ip: string): void {
    this.effects.gateway = ip;
  }

  setGatewayIpv6(ip: string): void {
    this.effects.gatewayIpv6 = ip;
  }

  addStaticRoute(destination: string, routeType: RouteType, nextHop: string | undefined): void {
    if (routeType === 'next-hop' && nextHop === undefined)
      throw guestError('invalid-parameter', 'a next-hop route needs a next hop');
    this.effects.staticRoutes.push(
      nextHop === undefined ? { destination, routeType } : { destination, routeType, nextHop },
    );
  }

  disableGatewayService(): void {
    this.effects.disableGatewayService = true;
  }

  addTableEntry(tableName: string, key: string, value: Uint8Array): void {
    this.effects.tableEntries.push({ tableName, key, value });
  }
}
