import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addSchedule,
  listSchedules,
  readSchedule,
  removeSchedule,
  type ScheduleConf,
  type ScheduleDeps,
} from '../../../src/schedule/index.js';
import { SystemdError } from '../../../src/schedule/systemd.js';
import { FakeSystemd } from '../../support/fake-systemd.js';
import { tmp } from '../../support/tmp.js';

const SPECS = { daily: { normalized: '*-*-* 00:00:00', next: '2026-12-08T00:00:00Z' } };

function setup(o: ConstructorParameters<typeof FakeSystemd>[1] = {}, packaged = false) {
  const root = tmp();
  const pkgDir = join(root, 'lib-systemd');
  mkdirSync(pkgDir);
  if (packaged) {
    writeFileSync(join(pkgDir, 'app-snapshot-plugin@.service'), '[Service]\n');
    writeFileSync(join(pkgDir, 'app-snapshot-plugin@.timer'), '[Timer]\n');
  }
  const systemd = new FakeSystemd(SPECS, o);
  const deps: ScheduleDeps = {
    paths: {
      dir: join(root, 'schedules'),
      systemdDir: join(root, 'etc-systemd'),
      packageUnitDirs: [pkgDir],
    },
    systemd,
    agentCommand: '/usr/bin/app-snapshot-plugin',
  };
  /** Every file under the root but the package's units, relative. */
  const files = () => walk(root).filter((f) => !f.startsWith('lib-systemd/'));
  return { root, deps, systemd, files };
}

function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

const nightly: ScheduleConf = {
  name: 'nightly',
  onCalendar: 'daily',
  randomizedDelaySec: 600,
  params: ['-Name=nightly', '-KeepDaily=7'],
};

describe('schedule add', () => {
  it('writes the parameter file (0600), the drop-in, and enables then starts the timer', async () => {
    const { deps, systemd, files, root } = setup({}, true);
    const r = await addSchedule(deps, nightly);
    expect(r).toMatchObject({
      enabled: true,
      wroteUnits: false,
      calendar: { next: '2026-12-08T00:00:00Z' },
    });
    expect(files().sort()).toEqual([
      'etc-systemd/app-snapshot-plugin@nightly.timer.d/schedule.conf',
      'schedules/nightly.conf',
    ]);
    expect(statSync(join(root, 'schedules/nightly.conf')).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'schedules')).mode & 0o777).toBe(0o700);
    const dropIn = readFileSync(
      join(root, 'etc-systemd/app-snapshot-plugin@nightly.timer.d/schedule.conf'),
      'utf8',
    );
    expect(dropIn).toContain('OnCalendar=daily\n');
    expect(dropIn).toContain('RandomizedDelaySec=600\n');
    expect(systemd.calls).toEqual([
      'calendar daily',
      'daemon-reload',
      'enable app-snapshot-plugin@nightly.timer',
      'start app-snapshot-plugin@nightly.timer',
    ]);
    expect(readSchedule(deps.paths, 'nightly')).toEqual(nightly);
  });

  it('writes the template units itself when no package installed them (the plugin zip)', async () => {
    const { deps, files, root } = setup();
    expect((await addSchedule(deps, nightly)).wroteUnits).toBe(true);
    expect(files()).toContain('etc-systemd/app-snapshot-plugin@.service');
    expect(files()).toContain('etc-systemd/app-snapshot-plugin@.timer');
    const service = readFileSync(join(root, 'etc-systemd/app-snapshot-plugin@.service'), 'utf8');
    expect(service).toContain('ExecStart=/usr/bin/app-snapshot-plugin schedule run %i\n');
    expect(service).toContain('KillMode=mixed');
  });

  it.each([
    [
      'a spec systemd refuses',
      { ...nightly, onCalendar: 'every full moon' },
      /--on-calendar "every full moon": Failed to parse/,
    ],
    ['parameters a run would refuse', { ...nightly, params: ['-KeepDaily=7'] }, /Name/],
    [
      'a bad parameter value',
      { ...nightly, params: ['-Name=nightly', '-KeepDaily=-1'] },
      /KeepDaily/,
    ],
    ['a name that is no file name', { ...nightly, name: '../etc' }, /schedule name/],
  ])(
    '%s: exit 2 and nothing written, nothing asked of systemd but the spec',
    async (_what, conf, why) => {
      const { deps, systemd, files } = setup();
      await expect(addSchedule(deps, conf)).rejects.toMatchObject({
        exitCode: 2,
        message: expect.stringMatching(why),
      });
      expect(files()).toEqual([]);
      expect(systemd.calls.filter((c) => !c.startsWith('calendar'))).toEqual([]);
    },
  );

  it('a systemd that fails half-way: everything written is undone (exit 1)', async () => {
    const { deps, systemd, files } = setup();
    systemd.failOn = 'start';
    await expect(addSchedule(deps, nightly)).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringContaining('Access denied'),
    });
    expect(files()).toEqual([]);
    expect(systemd.calls.at(-1)).toBe('daemon-reload');
  });

  it('added again to change it, and failing: the old schedule is back as it was', async () => {
    const { deps, systemd, root } = setup({}, true);
    await addSchedule(deps, nightly);
    const before = readFileSync(join(root, 'schedules/nightly.conf'), 'utf8');
    systemd.failOn = 'enable';
    await expect(addSchedule(deps, { ...nightly, params: ['-Name=other'] })).rejects.toThrow();
    expect(readFileSync(join(root, 'schedules/nightly.conf'), 'utf8')).toBe(before);
    expect(
      existsSync(join(root, 'etc-systemd/app-snapshot-plugin@nightly.timer.d/schedule.conf')),
    ).toBe(true);
  });

  it('systemd 219 (no systemd-analyze calendar): the loaded timer decides; refused, it is undone', async () => {
    const { deps, systemd, files } = setup({ analyzeCalendar: false, takesSpec: false }, true);
    await expect(addSchedule(deps, nightly)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('systemd did not take it'),
    });
    expect(files()).toEqual([]);
    expect(systemd.enabled.size).toBe(0);
    const ok = setup({ analyzeCalendar: false }, true);
    expect((await addSchedule(ok.deps, nightly)).calendar).toEqual({ kind: 'unknown' });
    expect(ok.systemd.started.has('app-snapshot-plugin@nightly.timer')).toBe(true);
  });

  it('where no systemd runs (a chroot, an image being built): files only, nothing enabled', async () => {
    const { deps, systemd, files } = setup({ running: false }, true);
    expect((await addSchedule(deps, nightly)).enabled).toBe(false);
    expect(files()).toHaveLength(2);
    expect(systemd.calls).toEqual(['calendar daily']);
  });
});

describe('schedule remove and list', () => {
  it('remove stops and disables the timer and leaves no file of it', async () => {
    const { deps, systemd, files } = setup({}, true);
    await addSchedule(deps, nightly);
    await addSchedule(deps, { ...nightly, name: 'hourly' });
    systemd.calls.length = 0;
    await removeSchedule(deps, 'nightly');
    expect(systemd.calls).toEqual([
      'stop app-snapshot-plugin@nightly.timer',
      'disable app-snapshot-plugin@nightly.timer',
      'reset-failed app-snapshot-plugin@nightly.service',
      'daemon-reload',
    ]);
    expect(systemd.enabled).toEqual(new Set(['app-snapshot-plugin@hourly.timer']));
    expect(files().sort()).toEqual([
      'etc-systemd/app-snapshot-plugin@hourly.timer.d/schedule.conf',
      'schedules/hourly.conf',
    ]);
    await expect(removeSchedule(deps, 'nightly')).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('no schedule nightly'),
    });
  });

  it('list reads every parameter file; one it cannot read is listed with the reason', async () => {
    const { deps, root } = setup({}, true);
    expect(listSchedules(deps.paths)).toEqual([]);
    await addSchedule(deps, nightly);
    writeFileSync(join(root, 'schedules/broken.conf'), 'on-calendar=daily\nrm -rf /\n');
    expect(listSchedules(deps.paths)).toEqual([
      { name: 'broken', error: expect.stringContaining('line 2 is not understood') },
      nightly,
    ]);
  });
});

describe('schedule add where systemd cannot answer', () => {
  it('no systemd-analyze: exit 1 with the reason, nothing written', async () => {
    const { deps, files } = setup();
    deps.systemd.calendar = async () => {
      throw new SystemdError('systemd-analyze is not installed: schedules need systemd');
    };
    await expect(addSchedule(deps, nightly)).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringContaining('schedules need systemd'),
    });
    expect(files()).toEqual([]);
  });
});
