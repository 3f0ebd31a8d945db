import { describe, expect, it } from 'vitest';
import { ParticipantEngine } from '../../../src/cluster/participant.js';
import { assembleEngine } from '../../../src/cli/engine.js';
import type { SnapshotEngine } from '../../../src/engines/types.js';

const local = {
  engine: 'local',
  pool: '/tmp/asp-no-such-pool',
  ramRoleName: '',
  timeoutInSeconds: 30,
} as const;

describe('assembleEngine: the one place an engine gets its wrappers', () => {
  it('the engine the parameters name, unwrapped, when nothing asks for more', () => {
    const { engine, participant } = assembleEngine(local, {});
    expect(engine.name).toBe('local');
    expect(participant).toBeUndefined();
  });

  it('-ClusterCoordinator: a participant around it, given the token and the fingerprint', async () => {
    const { engine, participant } = assembleEngine(
      {
        ...local,
        clusterCoordinator: '10.0.0.1:7000',
        clusterFingerprint: 'AB',
        scriptTimeoutInSeconds: 5,
      },
      { clusterToken: 't0ken' },
    );
    expect(participant).toBeInstanceOf(ParticipantEngine);
    expect(engine).toBe(participant);
    expect(engine.name).toBe('local (cluster participant)');
    // What it was given is what it checks: the fingerprint here is not a SHA-256 one.
    await expect(engine.validate()).rejects.toThrow(/-ClusterFingerprint must be a SHA-256/);
  });

  it("a tool's hook wraps the outermost engine (the participant, when there is one)", () => {
    const seen: string[] = [];
    const hooks = {
      wrapEngine: (inner: SnapshotEngine): SnapshotEngine => {
        seen.push(inner.name);
        return Object.create(inner, { name: { value: 'hooked' } }) as SnapshotEngine;
      },
    };
    expect(assembleEngine(local, {}, hooks).engine.name).toBe('hooked');
    const p = assembleEngine(
      { ...local, clusterCoordinator: 'h:1', clusterFingerprint: '', scriptTimeoutInSeconds: 5 },
      {},
      hooks,
    );
    expect(p.engine.name).toBe('hooked');
    expect(seen).toEqual(['local', 'local (cluster participant)']);
  });
});
