// Typed access to the host's key/value store and to the log.
import { Level, Log, Store, WitError } from './generated/bindings';

export function storeGetString(key: string): string | null {
  const value = Store.get(key);
  if (value === null) return null;
  return String.UTF8.decode(value.buffer);
}

export function storeSetString(key: string, value: string): WitError | null {
  return Store.set(key, Uint8Array.wrap(String.UTF8.encode(value)));
}

/** Deletes every key that starts with `prefix` (a network's or an endpoint's state). */
export function storeDeletePrefix(prefix: string): void {
  const keys = Store.keys(prefix);
  for (let i = 0; i < keys.length; i++) Store.delete_(keys[i]);
}

export function logInfo(message: string): void {
  Log.log(Level.Info, message);
}

export function logWarn(message: string): void {
  Log.log(Level.Warn, message);
}

export function logError(message: string): void {
  Log.log(Level.Error, message);
}

export function logDebug(message: string): void {
  Log.log(Level.Debug, message);
}
