// Every database driver the agent ships loads in the form under test (the shipped executable
// keeps each driver in its own embedded part, a shared one for their character sets, and
// leaves out what the agent never uses: Azure AD logins, Amazon RDS CA bundles), and a server
// that cannot be reached is a clean failure of that app, not a missing module. There is no SQL
// Server on this machine: its driver meets a closed port here, as the others do.
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot, TestLab } from '../support/lab.js';

const CLOSED = { host: '127.0.0.1', port: 1 };
const APPS = {
  mysql: { type: 'mysql', ...CLOSED, user: 'root' },
  postgresql: { type: 'postgresql', ...CLOSED, user: 'postgres' },
  sqlserver: {
    type: 'sqlserver',
    server: CLOSED.host,
    port: CLOSED.port,
    user: 'sa',
    password: 'not-a-secret-here',
    databases: ['db'],
    metadataDir: '/var/opt/mssql/bkm',
  },
};

describe.skipIf(!requireRoot())('the database drivers, in the form under test', () => {
  let lab: TestLab;
  let config: string;
  beforeAll(async () => {
    lab = await new TestLab().up(1, 'ext4');
    config = join(lab.root, 'apps.json');
    writeFileSync(config, JSON.stringify({ apps: APPS }), { mode: 0o600 });
    chownSync(config, 0, 0);
  });
  afterAll(async () => {
    await lab?.down();
  });

  it.each(Object.keys(APPS))(
    '%s: the driver loads, meets the closed port, and the run fails for that app only',
    async (name) => {
      const r = await lab.snapshot([`-Name=driver-${name}`, `-Apps=${name}`], {
        env: { APP_SNAPSHOT_APPS_CONFIG: config },
      });
      const out = `${r.stdout}${r.stderr}`;
      expect(out).not.toMatch(/Cannot find (module|package)|not built into/i);
      // The quiescer's failure, before any freeze: exit 9 as a failed pre-script, nothing made.
      expect(r.json?.ExitCode, out).toBe(9);
      expect(r.json.Error).toMatch(
        new RegExp(
          `^app ${name} \\(${name}\\): cannot connect.*(ECONNREFUSED|Failed to connect to 127\\.0\\.0\\.1:1 )`,
        ),
      );
      expect(r.json.Snapshots).toEqual([]);
      expect(r.json.FreezeHeld).toBe(false);
      expect(out).not.toContain('not-a-secret-here');
    },
  );
});
