// The agent as Cloud Assistant runs it: the documented RunCommand string, argv split by
// acs-plugin-manager, merged output, tail kept, base64, SIGKILL of the plugin on timeout.
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../tools/emulator/server.js';
import { readMarker } from '../../src/freeze/marker.js';
import { AT_ONCE_MS, expectThawedWithin, requireRoot, TestLab } from '../support/lab.js';
import { agentEnvFor, emulatorByIdDir } from '../support/emulator.js';
import {
  EXECUTE_TIMEOUT,
  OUTPUT_QUOTA,
  pluginArgv,
  runCommand,
} from '../support/plugin-manager.js';
import { vendorStyleScripts } from '../support/scripts.js';
import { DOCUMENTED_ARGV, DOCUMENTED_COMMAND } from '../fixtures/documented.js';

const DOCUMENTED = DOCUMENTED_COMMAND;

describe('plugin-manager argv', () => {
  it('is the nine Go-flag words of the documented string', () => {
    expect(pluginArgv(DOCUMENTED)).toEqual(DOCUMENTED_ARGV);
  });
});

describe.skipIf(!requireRoot())('run by the plugin manager', () => {
  let lab: TestLab;
  let emulator: Emulator;
  const moved: string[] = [];
  beforeAll(async () => {
    lab = await new TestLab().up(2);
    emulator = new Emulator({ pool: lab.pool, byIdDir: emulatorByIdDir(lab), progressMs: 200 });
    await emulator.start();
    // The documented string names /tmp/prescript.sh and /tmp/postscript.sh: put ours there,
    // keeping whatever was there before.
    for (const f of ['/tmp/prescript.sh', '/tmp/postscript.sh']) {
      if (existsSync(f)) {
        renameSync(f, `${f}.asp-test-backup`);
        moved.push(f);
      }
    }
  });
  afterAll(async () => {
    rmSync('/tmp/prescript.sh', { force: true });
    rmSync('/tmp/postscript.sh', { force: true });
    for (const f of moved) renameSync(`${f}.asp-test-backup`, f);
    await emulator?.stop();
    await lab?.down();
  });
  const env = () => agentEnvFor(emulator, lab);
  const scriptsIn = (o: Parameters<typeof vendorStyleScripts>[1] = {}) => {
    const s = vendorStyleScripts(join(lab.root, 'scripts'), o);
    for (const role of ['pre', 'post'] as const) {
      rmSync(`/tmp/${role}script.sh`, { force: true });
      renameSync(s[role], `/tmp/${role}script.sh`);
    }
    return s;
  };

  it('the documented command works: exit 0, AppConsistent, the group id in the last line', async () => {
    const s = scriptsIn();
    emulator.faults = {};
    const inv = await runCommand(DOCUMENTED, { timeoutS: 60, env: env() });
    expect(inv.ExitCode).toBe(0);
    expect(inv.Dropped).toBe(0);
    expect(Buffer.from(inv.Output, 'base64').toString()).toBe(inv.text);
    expect(inv.text).toMatch(/Take AppConsistent snapshots successfully/);
    expect(inv.text.trim().split('\n').at(-1)).toMatch(
      /\[snapshotgroup="ssg-[0-9a-z]+"\] \[message="Finish whole Processes of Snapshot successfully"\]$/,
    );
    expect(readFileSync(s.evidence, 'utf8')).toBe('pre\npost\n');
    const create = emulator.requests.find((r) => r.action === 'CreateSnapshotGroup')!;
    expect(create.params).toMatchObject({
      Name: 'LinuxApp1',
      InstantAccess: 'true',
      InstantAccessRetentionDays: '1',
    });
  });

  it('a timeout kill in the middle of the freeze leaves nothing frozen', async () => {
    scriptsIn();
    emulator.faults = { 'slow-create': 8000 }; // the group call hangs while frozen
    const inv = await runCommand(DOCUMENTED, { timeoutS: 3, env: env() });
    expect(inv.ExitCode).toBe(EXECUTE_TIMEOUT);
    // The agent died by SIGKILL while frozen; its watchdog saw the pipe close and thawed.
    expect(readMarker(lab.stateDir)).toBeDefined();
    // At once: the run's deadline (-TimeoutInSeconds=30) is far off; only the thaw on the
    // closed pipe makes the filesystems writable this soon.
    for (const i of [0, 1]) await expectThawedWithin(lab.mount(i), AT_ONCE_MS);
    // The post-script could not run (SIGKILL cannot be caught): the next run says nothing is
    // left frozen and goes on.
    emulator.faults = {};
    expect((await runCommand(DOCUMENTED, { timeoutS: 60, env: env() })).ExitCode).toBe(0);
    expect(readMarker(lab.stateDir)).toBeUndefined();
  });

  it('scripts that print megabytes: the output is cut, the summary and group id survive', async () => {
    scriptsIn({ preBody: "head -c 3000000 /dev/zero | tr '\\0' x; echo" });
    emulator.faults = {};
    const inv = await runCommand(DOCUMENTED, { timeoutS: 60, env: env() });
    expect(inv.ExitCode).toBe(0);
    expect(inv.Dropped).toBeGreaterThan(0);
    expect(Buffer.byteLength(inv.text)).toBeLessThanOrEqual(OUTPUT_QUOTA);
    expect(inv.text).toMatch(
      /Prescript cost=.*\n.*Prepare Freeze=.*\n.*\[snapshotgroup="ssg-[0-9a-z]+"\] \[message="Finish whole Processes of Snapshot successfully"\]\n$/,
    );
  });
});
