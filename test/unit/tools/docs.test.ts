import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { docsCommand, exitCodesTable, paramsTable } from '../../../tools/docs.js';
import { PARAMS } from '../../../src/params/index.js';
import { EXIT_CODES } from '../../../src/errors/exit-codes.js';

const README = new URL('../../../README.md', import.meta.url).pathname;

describe('README generated sections', () => {
  it('has one row per parameter and per exit code', () => {
    expect(paramsTable().split('\n')).toHaveLength(PARAMS.length + 2);
    expect(exitCodesTable().split('\n')).toHaveLength(EXIT_CODES.length + 2);
  });
  it('are current (run `npm run docs` after changing the tables)', () => {
    expect(docsCommand(README, 'check')).toEqual({ ok: true, message: `${README} is up to date` });
    expect(readFileSync(README, 'utf8')).toContain('| 16 | SnapshotInProgress |');
  });
});
