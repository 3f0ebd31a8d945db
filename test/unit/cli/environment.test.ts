import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT } from '../../../src/cli/environment.js';

const SRC = new URL('../../../src', import.meta.url).pathname;
const TABLE = join(SRC, 'cli', 'environment.ts');

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (path.endsWith('.ts') && path !== TABLE) yield path;
  }
}

describe('ENVIRONMENT: the one table of environment variables', () => {
  it('names every variable the shipped code reads or sets, and none it does not', () => {
    const named = new Set<string>();
    for (const file of sources(SRC))
      for (const m of readFileSync(file, 'utf8').matchAll(
        /\b(?:APP_SNAPSHOT|ALIBABA_CLOUD)_[A-Z_]*[A-Z]\b/g,
      ))
        named.add(m[0]);
    expect(ENVIRONMENT.map((v) => v.name).sort()).toEqual([...named].sort());
  });
});
