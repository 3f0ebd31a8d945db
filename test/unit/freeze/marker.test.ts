import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  markerPath,
  readMarker,
  removeMarker,
  writeMarker,
  type FrozenMarker,
} from '../../../src/freeze/marker.js';
import { tmp } from '../../support/tmp.js';

const marker: FrozenMarker = {
  agentPid: 42,
  agentStart: '123',
  watchdogPid: 43,
  mounts: ['/data', '/logs'],
  fsfreeze: '/sbin/fsfreeze',
  createdAt: '2026-12-06T00:00:00.000Z',
};

describe('the frozen marker', () => {
  it('is written whole (no temporary file left), read back as written, removed', () => {
    const d = tmp();
    writeMarker(d, marker);
    expect(readdirSync(d)).toEqual(['frozen.json']);
    expect(readMarker(d)).toEqual(marker);
    removeMarker(d);
    expect(existsSync(markerPath(d))).toBe(false);
    expect(readMarker(d)).toBeUndefined();
  });

  it('a missing or garbled marker reads as none, and removing none is harmless', () => {
    const d = tmp();
    expect(readMarker(d)).toBeUndefined();
    removeMarker(d);
    writeFileSync(markerPath(d), '{"agentPid": 4');
    expect(readMarker(d)).toBeUndefined();
  });

  it('makes its state directory (0700) when there is none yet', () => {
    const d = `${tmp()}/state/dir`;
    writeMarker(d, marker);
    expect(readMarker(d)?.mounts).toEqual(['/data', '/logs']);
  });
});
