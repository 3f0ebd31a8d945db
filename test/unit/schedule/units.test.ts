import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  serviceUnit,
  TEMPLATE_SERVICE,
  TEMPLATE_TIMER,
  timerUnit,
} from '../../../src/schedule/index.js';
import { timerDropIn } from '../../../src/schedule/units.js';
import { findTool } from '../../../src/system/tools.js';
import { tmp } from '../../support/tmp.js';

// systemd's own loader judges the units (no systemd needs to run): a key it does not know or a
// value it cannot parse is a warning on stderr, which is what this looks for.
describe.skipIf(!findTool('systemd-analyze', process.env))(
  'the template units, as systemd loads them',
  () => {
    async function verify(dropIn: string) {
      const dir = tmp();
      writeFileSync(join(dir, TEMPLATE_SERVICE), serviceUnit('/bin/true'));
      writeFileSync(join(dir, TEMPLATE_TIMER), timerUnit());
      mkdirSync(join(dir, 'app-snapshot-plugin@nightly.timer.d'));
      writeFileSync(join(dir, 'app-snapshot-plugin@nightly.timer.d/schedule.conf'), dropIn);
      const units = ['timer', 'service'].map((t) => join(dir, `app-snapshot-plugin@nightly.${t}`));
      const { execa } = await import('execa');
      return execa('systemd-analyze', ['verify', '--man=no', ...units], {
        env: { SYSTEMD_UNIT_PATH: `${dir}:` },
        reject: false,
      });
    }
    it('the service, the timer and a drop-in load without a single warning', async () => {
      const r = await verify(timerDropIn('Mon..Fri *-*-* 22:30:00', 600));
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
    });
    it('a bad OnCalendar in a drop-in is only a warning to systemd: why schedule add asks first', async () => {
      const r = await verify(timerDropIn('every full moon', 0));
      expect(r.stderr).toMatch(/Failed to parse calendar specification, ignoring: every full moon/);
    });
  },
);
