import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');

/** The packages of the first `apt-get install` in a text (a shell line, continuations joined). */
function aptPackages(text: string): string[] {
  const line = /apt-get install ([^&\n]*)/.exec(text.replace(/\\\n/g, ' '))?.[1] ?? '';
  return line
    .split(/\s+/)
    .filter((w) => w && !w.startsWith('-') && !w.startsWith('>'))
    .sort();
}

describe("the README's two commands", () => {
  const readme = read('README.md');
  const commands = /```sh\n([\s\S]*?)```/
    .exec(readme)![1]!
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));

  it('come first, under Develop: a lab snapshot, then the tests', () => {
    expect(readme.split('\n').slice(0, 3)).toEqual([
      '# app-snapshot-plugin',
      '',
      expect.any(String),
    ]);
    expect(readme.indexOf('## Develop')).toBeLessThan(readme.indexOf('## Install'));
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(/lab up && node dist\/cli\/main\.js -Name=\S+ -Engine=local$/);
    expect(commands[1]).toMatch(/npm run package && npm test && npm run test:vm$/);
  });

  it('install what CI installs (Debian-essential packages aside)', () => {
    const essential = ['e2fsprogs', 'util-linux'];
    const ci = aptPackages(read('.ci/run')).filter((p) => !essential.includes(p));
    expect(aptPackages(commands[1]!)).toEqual(ci);
  });

  it('the README stays short: at most 200 lines', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(200);
  });
});
