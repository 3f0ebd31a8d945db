// The conformance suite of Systemd.calendar (src/schedule/systemd.ts): what schedule add and
// status rely on, whichever systemd answers.
import { describe, expect, it } from 'vitest';
import type { Systemd } from '../../src/schedule/index.js';

export function describeSystemdContract(
  label: string,
  make: () => Systemd,
  now = () => new Date(),
): void {
  describe(`systemd contract: ${label}`, () => {
    it('a valid spec: its normalized form, and a next elapse in the future, in UTC', async () => {
      const a = await make().calendar('*-*-* 02:00:00');
      expect(a.kind).toBe('valid');
      if (a.kind !== 'valid') return;
      expect(a.normalized).toBe('*-*-* 02:00:00');
      expect(a.next).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00:00Z$/);
      expect(Date.parse(a.next!)).toBeGreaterThan(now().getTime());
      expect(Date.parse(a.next!) - now().getTime()).toBeLessThanOrEqual(24 * 3600_000);
    });
    it('a spec in the past never elapses again: valid, with no next', async () => {
      const a = await make().calendar('2001-01-01 00:00:00');
      expect(a).toMatchObject({ kind: 'valid', next: undefined });
    });
    it('a spec it cannot parse is refused with systemd’s reason, never thrown', async () => {
      const a = await make().calendar('every full moon');
      expect(a.kind).toBe('invalid');
      if (a.kind === 'invalid') expect(a.why).toMatch(/every full moon/);
    });
  });
}
