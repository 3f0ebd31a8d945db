import { describe, expect, it } from 'vitest';
import { emptyResult } from '../../../src/plugin/result.js';
import { runScriptPhase } from '../../../src/plugin/scripts-phase.js';
import { RunLog } from '../../../src/report/logger.js';
import type { ScriptRun } from '../../../src/system/runner.js';
import { FakeScripts } from '../../support/fakes.js';

const check = (path: string) => ({ ok: true, path, content: Buffer.from('true') }) as const;

async function phase(role: 'pre' | 'post', outcome: Partial<ScriptRun>, timeoutMs = 5000) {
  const out: string[] = [];
  const result = emptyResult();
  const scripts = new FakeScripts({ valid: [], outcome: { [role]: outcome } });
  const path = `/etc/${role}.sh`;
  const error = await runScriptPhase(
    scripts,
    new RunLog((t) => out.push(t)),
    result,
    role,
    check(path),
    timeoutMs,
  ).then(
    () => undefined,
    (e: unknown) => e as { message: string; exitCode: number },
  );
  return { error, log: out.join(''), result, scripts };
}

describe('runScriptPhase', () => {
  it('logs the start, the output and the success; records the script', async () => {
    const p = await phase('pre', { output: 'hello from pre\n' });
    expect(p.error).toBeUndefined();
    expect(p.log).toContain('Start to Execute Prescript /etc/pre.sh');
    expect(p.log).toContain('hello from pre');
    expect(p.log).toContain('Execute Prescript Successfully');
    expect(p.result.Scripts).toEqual([
      { Role: 'pre', Path: '/etc/pre.sh', ExitCode: 0, TimedOut: false },
    ]);
    expect(p.scripts.calls).toEqual([{ role: 'pre', timeoutMs: 5000, abortable: false }]);
  });

  it.each([
    [{ exitCode: 3 }, 'PostScript /etc/post.sh exited with 3'],
    [
      { exitCode: undefined, signal: 'SIGKILL' as const },
      'PostScript /etc/post.sh was killed by SIGKILL',
    ],
    [
      { exitCode: undefined, timedOut: true },
      'PostScript /etc/post.sh timed out after 5s; its process group was killed',
    ],
    [
      { exitCode: undefined, aborted: true },
      'PostScript /etc/post.sh was stopped: the agent was interrupted',
    ],
    [
      { exitCode: undefined, spawnError: 'ENOEXEC' },
      'PostScript /etc/post.sh could not start: ENOEXEC',
    ],
  ] as [Partial<ScriptRun>, string][])(
    'a post-script that fails (%j): exit 10, saying how',
    async (outcome, message) => {
      const p = await phase('post', outcome);
      expect(p.error?.message).toBe(message);
      expect(p.error?.exitCode).toBe(10);
      expect(p.log).not.toContain('Successfully');
      expect(p.result.Scripts[0]).toMatchObject({
        Role: 'post',
        ExitCode: outcome.exitCode ?? null,
        TimedOut: outcome.timedOut ?? false,
      });
    },
  );

  it('a pre-script that fails is exit 9; the timeout is said in whole seconds', async () => {
    const p = await phase('pre', { exitCode: undefined, timedOut: true }, 1600);
    expect(p.error?.exitCode).toBe(9);
    expect(p.error?.message).toBe(
      'Prescript /etc/pre.sh timed out after 2s; its process group was killed',
    );
  });

  it('no output, no output line', async () => {
    const p = await phase('pre', { output: '' });
    expect(p.log.split('\n').filter(Boolean)).toHaveLength(2);
  });
});
