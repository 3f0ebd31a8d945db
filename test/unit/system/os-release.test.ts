import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  osSupportProblem,
  parseOsRelease,
} from '../../../src/system/os-release.js';

const os = (id: string, version: string) =>
  parseOsRelease(`ID="${id}"\nVERSION_ID="${version}"\nPRETTY_NAME="${id} ${version}"\n`);

describe('OS support', () => {
  it.each([
    ['ubuntu', '18.04'],
    ['ubuntu', '24.04'],
    ['debian', '12'],
    ['alinux', '2.1903'],
    ['alinux', '3'],
    ['rocky', '9.4'],
  ])('supports %s %s', (id, v) => expect(osSupportProblem(os(id, v))).toBeUndefined());

  it.each([
    ['ubuntu', '16.04', /older/],
    ['debian', '9', /older/],
    ['alinux', '2.1803', /older/],
    ['gentoo', '2.14', /not a supported/],
  ])('rejects %s %s', (id, v, re) => expect(osSupportProblem(os(id, v))).toMatch(re));

  it('uses /etc/centos-release for the CentOS 7 minor version', () => {
    expect(
      osSupportProblem(os('centos', '7'), 'CentOS Linux release 7.6.1810 (Core)'),
    ).toBeUndefined();
    expect(osSupportProblem(os('centos', '7'), 'CentOS Linux release 7.5.1804 (Core)')).toMatch(
      /older/,
    );
  });
  it('compares versions numerically', () => {
    expect(compareVersions('7.10', '7.6')).toBeGreaterThan(0);
    expect(compareVersions('18.04', '18.04')).toBe(0);
  });
});
