import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markerPath, writeMarker, type FrozenMarker } from '../../../src/freeze/marker.js';
import { recoverFrozen } from '../../../src/freeze/recover.js';
import { processStartTime } from '../../../src/system/process.js';
import { fakeFsfreeze } from '../../support/fake-fsfreeze.js';
import { tmp } from '../../support/tmp.js';

const MOUNTS = ['/data', '/data/logs', '/srv'];

/** A state directory whose marker names `owner` and a fake fsfreeze where `frozen` are frozen. */
function leftover(owner: { pid: number; start: string | undefined }, frozen = MOUNTS) {
  const dir = tmp();
  const fake = fakeFsfreeze(dir, '', 0, frozen);
  const marker: FrozenMarker = {
    agentPid: owner.pid,
    agentStart: owner.start,
    watchdogPid: undefined,
    mounts: MOUNTS,
    fsfreeze: fake.bin,
    createdAt: new Date().toISOString(),
  };
  writeMarker(dir, marker);
  return { dir, fake, marker };
}

// This process, but started at another time: the pid was reused, the run that froze is dead.
const dead = { pid: process.pid, start: 'another-start-time' };
const alive = { pid: process.pid, start: processStartTime(process.pid) };

describe('recoverFrozen (real marker, fake fsfreeze)', () => {
  it('without a marker: nothing to do, nothing run', () => {
    const dir = tmp();
    expect(recoverFrozen(dir)).toEqual({ thawed: [], failed: [], ownerAlive: false });
    expect(recoverFrozen(dir, true)).toEqual({ thawed: [], failed: [], ownerAlive: false });
  });

  it("thaws a dead run's freeze with the marker's fsfreeze, children first, and removes the marker", () => {
    const { dir, fake } = leftover(dead);
    const r = recoverFrozen(dir);
    expect(r).toEqual({ thawed: ['/srv', '/data/logs', '/data'], failed: [], ownerAlive: false });
    expect(fake.calls()).toEqual(['-u /srv', '-u /data/logs', '-u /data']);
    expect(fake.frozen()).toEqual([]);
    expect(existsSync(markerPath(dir))).toBe(false);
  });

  it('a mount no longer frozen is neither thawed nor a failure', () => {
    const { dir, fake } = leftover(dead, ['/data']);
    expect(recoverFrozen(dir)).toEqual({ thawed: ['/data'], failed: [], ownerAlive: false });
    expect(fake.calls()).toHaveLength(3);
    expect(existsSync(markerPath(dir))).toBe(false);
  });

  it('never touches a live run’s freeze, unless forced (the emergency thaw command)', () => {
    const { dir, fake } = leftover(alive);
    expect(recoverFrozen(dir)).toEqual({ thawed: [], failed: [], ownerAlive: true });
    expect(fake.calls()).toEqual([]);
    expect(existsSync(markerPath(dir))).toBe(true);
    const forced = recoverFrozen(dir, true);
    expect(forced.ownerAlive).toBe(true);
    expect(forced.thawed).toHaveLength(3);
    expect(fake.frozen()).toEqual([]);
    expect(existsSync(markerPath(dir))).toBe(false);
  });

  it('a thaw that fails is named and the marker kept, so that a later run tries again', () => {
    const { dir, marker } = leftover(dead);
    writeMarker(dir, { ...marker, fsfreeze: join(dir, 'no-such-fsfreeze') });
    const r = recoverFrozen(dir);
    expect(r.thawed).toEqual([]);
    expect(r.failed.map((f) => f.mount)).toEqual(['/srv', '/data/logs', '/data']);
    expect(r.failed[0]!.error).toMatch(/ENOENT/);
    expect(existsSync(markerPath(dir))).toBe(true);
  });
});
