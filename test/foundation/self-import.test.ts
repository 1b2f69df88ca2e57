import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WIT_PACKAGE } from 'wasmnet';

test('the package imports itself by name', () => {
  assert.equal(WIT_PACKAGE, 'wasmnet:driver@0.1.0');
});
