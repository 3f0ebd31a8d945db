import { chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_TYPES, loadAppsConfig, selectApps } from '../../../src/apps/config.js';
import { PARAMS } from '../../../src/params/index.js';
import { tmp } from '../../support/tmp.js';

const me = process.getuid!();
function file(content: unknown, mode = 0o600): string {
  const p = join(tmp(), 'apps.json');
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  chmodSync(p, mode);
  return p;
}
const GOOD = {
  apps: { db1: { type: 'mysql', socketPath: '/run/mysqld/mysqld.sock', password: 'hunter2' } },
};

describe('apps config', () => {
  it('loads a private file and selects apps by name or all', () => {
    const f = loadAppsConfig(file(GOOD), me);
    expect(selectApps(f, ['db1'])[0]![1]).toMatchObject({ type: 'mysql' });
    expect(selectApps(f, ['all']).map(([n]) => n)).toEqual(['db1']);
  });
  it('refuses a file others can read, another owner, a symlink, bad JSON, incomplete apps', () => {
    expect(() => loadAppsConfig(file(GOOD, 0o644), me)).toThrow(/mode 644 lets others read it/);
    expect(() => loadAppsConfig(file(GOOD), me + 1)).toThrow(/must be owned by root/);
    const target = file(GOOD);
    const link = join(tmp(), 'link.json');
    symlinkSync(target, link);
    expect(() => loadAppsConfig(link, me)).toThrow(/cannot open it \(ELOOP\)/);
    const bad = file('{"apps": {"db1": {"password": "hunter2"');
    let message = '';
    try {
      loadAppsConfig(bad, me);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/is not valid JSON/);
    expect(message).not.toContain('hunter2');
    expect(() => loadAppsConfig(file({ apps: { x: { type: 'mysql' } } }), me)).toThrow(
      /needs socketPath or host/,
    );
    expect(() => loadAppsConfig(file({ apps: { x: { type: 'oracle' } } }), me)).toThrow(
      /unknown type oracle/,
    );
  });
  it('an unknown name in -Apps is a parameter error (exit 2) listing what is defined', () => {
    const f = loadAppsConfig(file(GOOD), me);
    expect(() => selectApps(f, ['db2'])).toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/defined: db1/) }),
    );
  });

  it("-Apps' help names every kind of quiescer there is (it once left PostgreSQL out)", () => {
    const help = PARAMS.find((p) => p.name === 'Apps')!.help;
    for (const label of Object.values(APP_TYPES)) expect(help).toContain(label);
    expect(() => loadAppsConfig(file({ apps: { x: { type: 'oracle' } } }), me)).toThrow(
      /unknown type oracle \(mysql, postgresql, sqlserver\)/,
    );
  });
});
