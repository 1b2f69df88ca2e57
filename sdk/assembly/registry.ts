// Drivers registered by a plugin, by handle; handed to the host's callback at `init`.
import { WitError } from './generated/bindings';

export class Registry<D, C> {
  private readonly names: string[] = [];
  private readonly drivers: D[] = [];
  private readonly capabilities: C[] = [];

  /** Returns the new driver's handle. */
  add(name: string, driver: D, capability: C): u32 {
    this.names.push(name);
    this.drivers.push(driver);
    this.capabilities.push(capability);
    return <u32>(this.drivers.length - 1);
  }

  /** The driver behind a handle, or null for a handle never registered. */
  get(handle: u32): D | null {
    return handle < <u32>this.drivers.length ? this.drivers[handle] : null;
  }

  /** Calls the host's register function for each driver; stops at the first refusal. */
  announce(register: (name: string, handle: u32, capability: C) => WitError | null): WitError | null {
    for (let i = 0; i < this.drivers.length; i++) {
      const error = register(this.names[i], <u32>i, this.capabilities[i]);
      if (error !== null) return error;
    }
    return null;
  }
}
