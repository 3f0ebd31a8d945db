// `npm run emulator` as a user meets it: the built emulator process in region mode with a fault
// and an apps config for one instance only, driven by `fleet run` with the operator.env it
// writes; a bad fault is exit 2 before anything starts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors/exit-codes.js';
import { agentArgv, requireRoot } from '../support/lab.js';
import { HAVE_MARIADB, TestMariadb } from '../support/mariadb.js';

const EMULATOR = join(import.meta.dirname, '../../dist-tools/tools/emulator/main.js');

describe.runIf(requireRoot() && HAVE_MARIADB)('npm run emulator (the built process)', () => {
  let root: string;
  let server: TestMariadb;
  beforeAll(async () => {
    root = mkdtempSync('/tmp/asp-emucli-');
    server = new TestMariadb({
      datadir: join(root, 'db/data'),
      binlogDir: join(root, 'db/binlog'),
      runDir: join(root, 'db/run'),
      name: 'emu',
    });
    server.init();
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('an unknown fault is exit 2 with one line, before any lab or port is touched', () => {
    const r = spawnSync(
      process.execPath,
      [EMULATOR, '--faults', 'slow-create=6000,no-such-fault'],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^emulator: unknown fault no-such-fault \(known: .*\)\n$/);
  });

  it("--instances 2 with instance 2's quota fault and instance 1's apps config: each instance gets its own", async () => {
    const apps = join(root, 'apps-1.json');
    writeFileSync(
      apps,
      JSON.stringify({ apps: { db: { type: 'mysql', socketPath: server.socket, user: 'root' } } }),
      { mode: 0o600 },
    );
    chmodSync(apps, 0o600);
    const fleetRoot = join(root, 'fleet');
    const emu = spawn(
      process.execPath,
      [
        EMULATOR,
        ...['--instances', '2', '--root', fleetRoot],
        ...['--faults', '2:quota', '--apps', `1:${apps}`],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const gone = new Promise<number | null>((r) => emu.on('close', r));
    try {
      const banner = await untilLine(emu, /^# in another shell:/m);
      const [, regionId, ids] = /^# 2 instances in (\S+), tagged app=demo: (.*)$/m.exec(banner)!;
      const [first, second] = ids!.split(' ');
      const env = Object.fromEntries(
        [
          ...readFileSync(join(fleetRoot, 'operator.env'), 'utf8').matchAll(
            /^export (\w+)=(.*)$/gm,
          ),
        ].map((m) => [m[1]!, m[2]!]),
      );
      const fleet = (...args: string[]) => {
        const [file, ...pre] = agentArgv();
        const r = spawnSync(
          file!,
          [
            ...pre,
            ...['fleet', 'run', `-Region=${regionId}`, '-RamRoleName=AppSnapshotRoleName'],
            ...args,
            ...['--output', 'json'],
          ],
          {
            encoding: 'utf8',
            env: { PATH: process.env.PATH, HOME: root, APP_SNAPSHOT_FLEET_POLL_MS: '200', ...env },
          },
        );
        return { ...r, json: JSON.parse(r.stdout) };
      };
      // The apps config reached instance 1's agent: its MariaDB quiesced, AppConsistent.
      const one = fleet(`-Instances=${first}`, '-Name=emu-apps', '-Apps=db');
      expect(one.json.Instances[0], one.stdout + one.stderr).toMatchObject({
        InstanceId: first,
        ExitCode: 0,
        Consistency: 'AppConsistent',
      });
      // The quota fault is instance 2's alone.
      const both = fleet(`-Instances=${first},${second}`, '-Name=emu-faults');
      const row = (id: string) => both.json.Instances.find((i: any) => i.InstanceId === id);
      expect(row(first!).ExitCode, both.stdout).toBe(0);
      expect(row(second!).ExitCode, both.stdout).toBe(EXIT.SnapshotQuotaExceeded);
    } finally {
      emu.kill('SIGTERM');
      await gone; // the emulator removes its labs on the way out
    }
  });
});

/** All of the process's stdout once a line matches `re` (or its stderr when it exits first). */
function untilLine(child: ChildProcess, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (c) => {
      out += c;
      if (re.test(out)) resolve(out);
    });
    child.stderr!.on('data', (c) => (err += c));
    child.on('close', (code) => reject(new Error(`the emulator exited (${code}): ${err}`)));
  });
}
