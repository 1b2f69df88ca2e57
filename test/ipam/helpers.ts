// Shared by the IPAM tests: assert the IpamError code of a rejected call.
import assert from 'node:assert/strict';
import { IpamError, type IpamErrorCode } from 'wasmnet/ipam';

export async function rejectsWith(promise: Promise<unknown>, code: IpamErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof IpamError, `expected an IpamError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}
