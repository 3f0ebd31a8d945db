import { describe, expect, it } from 'vitest';
import { runSnapshot } from '../../../src/plugin/run.js';
import { expiryOf } from '../../../src/plugin/retain.js';
import { AgentError } from '../../../src/errors/errors.js';
import { harness, params } from '../../support/fakes.js';

const SCRIPTS = ['-PreScriptPath=/tmp/prescript.sh', '-PostScriptPath=/tmp/postscript.sh'];

describe('-RetentionDays', () => {
  it('sets it on every snapshot after the wait, says when they expire (JSON, tag, log), then tags', async () => {
    const h = harness();
    const r = await runSnapshot(h.deps, params(...SCRIPTS, '-RetentionDays=7'));
    expect([r.ExitCode, r.Consistency]).toEqual([0, 'AppConsistent']);
    const g = h.engine.groups.get(r.SnapshotGroupId!)!;
    expect(g.snapshots.map((s) => s.retentionDays)).toEqual([7, 7]);
    const expires = expiryOf(g, 7);
    expect(Date.parse(expires) - Date.parse(g.createdAt)).toBe(7 * 86_400_000);
    expect(r.Retention).toEqual({ Days: 7, ExpiresAt: expires });
    expect(r.Snapshots.map((s) => s.Tags)).toEqual([
      { AppConsistent: 'True', ExpiresAt: expires },
      { AppConsistent: 'True', ExpiresAt: expires },
    ]);
    expect(h.out.join('')).toContain(`Keep the snapshots 7 day(s): they expire at ${expires}`);
    expect(r.Timings.retain).toBeGreaterThanOrEqual(0);
  });

  it('absent (0): nothing set, nothing said', async () => {
    const h = harness();
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.Retention).toBeUndefined();
    expect([...h.engine.groups.values()][0]!.snapshots.map((s) => s.retentionDays)).toEqual([
      undefined,
      undefined,
    ]);
    expect(r.Timings.retain).toBeUndefined();
    expect(h.out.join('')).not.toMatch(/expire/);
  });

  it('a failure is exit 17 with a warning; the consistency tags stay, no expiry is claimed', async () => {
    const h = harness();
    h.engine.fail.retain = new AgentError(
      'RetentionFailed',
      'ModifySnapshotAttribute failed: Forbidden.RAM',
    );
    const r = await runSnapshot(h.deps, params(...SCRIPTS, '-RetentionDays=30'));
    expect(r.ExitCode).toBe(17);
    expect(r.Consistency).toBe('AppConsistent');
    expect(r.Retention).toBeUndefined();
    expect(r.Snapshots.map((s) => s.Tags)).toEqual([
      { AppConsistent: 'True' },
      { AppConsistent: 'True' },
    ]);
    expect(r.Warnings.join('\n')).toMatch(
      /no retention: they are kept \(and billed\) until deleted/,
    );
    expect(r.Error).toMatch(
      /^setting -RetentionDays=30 failed: ModifySnapshotAttribute failed: Forbidden\.RAM/,
    );
  });

  it('an engine error of another kind is RetentionFailed too', async () => {
    const h = harness();
    h.engine.fail.retain = new AgentError('ConditionCheckFailed', 'network is down');
    const r = await runSnapshot(h.deps, params('-RetentionDays=1'));
    expect(r.ExitCode).toBe(17);
    expect(r.Error).toMatch(/^setting -RetentionDays=1 failed: network is down/);
  });

  it('out of range is exit 2 when the parameters are read, before anything runs', () => {
    expect(() => params('-RetentionDays=65537')).toThrow(
      expect.objectContaining({
        exitCode: 2,
        message: '-RetentionDays must be between 0 and 65536, got 65537',
      }),
    );
  });
});
