// Fleet and cluster read an agent's result from its vendor-format log. They read it with the
// writer's own formats (report/log-format.ts), so a reworded line changes both sides; these
// runs of the real orchestration on fakes check that what is read is what the run recorded.
import { describe, expect, it } from 'vitest';
import type { InvocationResult } from '../../../src/fleet/cloud.js';
import { outcome } from '../../../src/fleet/run.js';
import { runSnapshot } from '../../../src/plugin/run.js';
import {
  formatLine,
  groupCallMessage,
  readRunLog,
  tookMessage,
} from '../../../src/report/log-format.js';
import { harness, params } from '../../support/fakes.js';

/** One instance's RunCommand result carrying this log. */
const invocation = (log: string, exitCode: number): InvocationResult =>
  ({
    InstanceId: 'i-1',
    InvocationStatus: exitCode === 0 ? 'Success' : 'Failed',
    ExitCode: exitCode,
    Output: Buffer.from(log).toString('base64'),
  }) as InvocationResult;

describe('the fleet reads back what a run wrote', () => {
  it.each([
    ['FsConsistent', []],
    ['AppConsistent', ['-PreScriptPath=/tmp/prescript.sh', '-PostScriptPath=/tmp/postscript.sh']],
    ['None', ['-EnableFsFreeze=false']],
  ] as const)('a run that claims %s', async (claim, words) => {
    const h = harness();
    const r = await runSnapshot(h.deps, params(...words));
    expect(r.Consistency).toBe(claim);
    const o = outcome(invocation(h.out.join(''), r.ExitCode), 0, 1);
    expect(o.consistency).toBe(claim);
    expect(o.groupId).toBe(r.SnapshotGroupId);
    expect(o.exitCode).toBe(0);
  });

  it('a failed run that made a group: its id and its verdict, not the raw line nor an "also"', async () => {
    const h = harness({ scripts: { outcome: { post: { exitCode: 3 } } } });
    h.freezer.lateThaw = true;
    const r = await runSnapshot(
      h.deps,
      params('-PreScriptPath=/tmp/prescript.sh', '-PostScriptPath=/tmp/postscript.sh'),
    );
    expect(r.ExitCode).toBe(11);
    const o = outcome(invocation(h.out.join(''), r.ExitCode), 0, 1);
    expect(o.groupId).toBe(r.SnapshotGroupId);
    expect(o.consistency).toBe('None');
    expect(h.out.join('')).toContain('also: ');
    expect(o.firstError).toMatch(/^Failed with exit code 11: /);
    expect(o.firstError).not.toContain('[level=');
  });

  it('a log cut before its last line (the run was killed): the group from the group call line', () => {
    const log = [
      formatLine({ level: 'info', message: 'Freeze filesystems (1): /data' }),
      formatLine({ level: 'info', message: groupCallMessage('req-1', 'ssg-cut1', '1.2s') }),
    ].join('\n');
    expect(readRunLog(log)).toEqual({
      groupId: 'ssg-cut1',
      consistency: 'None',
      error: undefined,
    });
  });
});

describe('readRunLog', () => {
  it('reads each claim through tookMessage, and the last group named', () => {
    for (const c of ['AppConsistent', 'FsConsistent'] as const) {
      const log = [
        formatLine({ level: 'info', message: tookMessage(c) }),
        formatLine({ level: 'info', message: 'done', snapshotgroup: 'ssg-2' }),
      ].join('\n');
      expect(readRunLog(log)).toMatchObject({ consistency: c, groupId: 'ssg-2' });
    }
  });

  it('ignores what is not a log line (script output), and lines that only mention a claim', () => {
    const log = [
      '[output="',
      tookMessage('AppConsistent'),
      '"]',
      formatLine({ level: 'info', message: `not: ${tookMessage('FsConsistent')}` }),
    ].join('\n');
    expect(readRunLog(log)).toEqual({
      groupId: undefined,
      consistency: 'None',
      error: undefined,
    });
  });
});
