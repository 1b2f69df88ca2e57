// FaultPolicy: restart at once after a first fault, back off after consecutive ones, report
// unhealthy after `unhealthyAfter`, and start over once a call succeeds or an upgrade lands.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DriverUnhealthy } from '../../host/drivers/index.js';
import { FaultPolicy } from '../../host/drivers/fault-policy.js';

function policy(): { faults: FaultPolicy; clock: { now: number } } {
  const clock = { now: 1000 };
  return { faults: new FaultPolicy({ backoffMs: 100, backoffMaxMs: 300, unhealthyAfter: 3 }, () => clock.now), clock };
}

test('the first fault restarts at once; consecutive ones back off, doubling up to the cap', () => {
  const { faults } = policy();
  faults.fault('trap');
  assert.equal(faults.waitMs(), 0);
  faults.fault('trap');
  assert.equal(faults.waitMs(), 100);
  faults.fault('trap');
  assert.equal(faults.waitMs(), 200);
  faults.fault('trap');
  assert.equal(faults.waitMs(), 300, 'capped at backoffMaxMs');
});

test('health: unhealthy after unhealthyAfter consecutive faults, with the wait while none runs', () => {
  const { faults, clock } = policy();
  assert.deepEqual(faults.health(true), { healthy: true, consecutiveFaults: 0 });
  for (let i = 0; i < 3; i++) faults.fault(`fault ${i}`);
  assert.deepEqual(faults.health(false), {
    healthy: false,
    consecutiveFaults: 3,
    lastFault: 'fault 2',
    retryAfterMs: 200,
  });
  assert.equal(faults.health(true).retryAfterMs, undefined, 'no wait is reported while an instance runs');
  clock.now += 50;
  const refusal = faults.unhealthy('rogue');
  assert.ok(refusal instanceof DriverUnhealthy);
  assert.equal(refusal.retryAfterMs, 150);
  assert.equal(refusal.consecutiveFaults, 3);
  clock.now += 150;
  assert.equal(faults.waitMs(), 0, 'the backoff is over');
});

test('a success ends the run of faults; an upgrade also ends the backoff', () => {
  const { faults } = policy();
  faults.fault('trap');
  faults.fault('trap');
  faults.succeeded();
  assert.equal(faults.health(true).consecutiveFaults, 0);
  faults.fault('trap');
  assert.equal(faults.waitMs(), 0, 'a first fault again');
  faults.fault('trap');
  faults.reset();
  assert.equal(faults.waitMs(), 0);
  assert.deepEqual(faults.health(true), { healthy: true, consecutiveFaults: 0, lastFault: 'trap' });
});
