import { describe, expect, expectTypeOf, it } from 'vitest';
import { extractParams } from '../../../src/params/words.js';
import { validateParams, type Params } from '../../../src/params/validate.js';
import { PARAMS } from '../../../src/params/schema.js';
import { ParamsError } from '../../../src/errors/errors.js';

const parse = (...words: string[]) => validateParams(extractParams(words).params);

function failure(...words: string[]): ParamsError {
  try {
    parse(...words);
  } catch (e) {
    expect(e).toBeInstanceOf(ParamsError);
    expect((e as ParamsError).exitCode).toBe(2);
    return e as ParamsError;
  }
  throw new Error('expected a ParamsError');
}

describe('validateParams', () => {
  it('fills the documented defaults', () => {
    expect(parse('-Name=snap1')).toMatchObject({
      name: 'snap1',
      enableFsFreeze: true,
      timeoutInSeconds: 30,
      scriptTimeoutInSeconds: 1800,
      instantAccess: false,
      instantAccessRetentionDays: 1,
      excludeDiskIds: [],
      engine: 'auto',
    });
  });
  it('types values with Go ParseBool rules', () => {
    const p = parse('-Name=x', '-EnableFsFreeze=F', '-InstantAccess=1', '-ExcludeDiskId=d-1,d-2');
    expect(p.enableFsFreeze).toBe(false);
    expect(p.instantAccess).toBe(true);
    expect(p.excludeDiskIds).toEqual(['d-1', 'd-2']);
  });
  it('names the parameter in every error', () => {
    expect(failure('-EnableFsFreeze=maybe', '-Name=x').message).toMatch(
      /-EnableFsFreeze must be true or false/,
    );
    expect(failure('-TimeoutInSeconds=abc', '-Name=x').message).toMatch(
      /-TimeoutInSeconds must be an integer/,
    );
    expect(failure('-TimeoutInSeconds=0', '-Name=x').parameter).toBe('TimeoutInSeconds');
    expect(failure('-InstantAccessRetentionDays=65537', '-Name=x').message).toMatch(
      /between 1 and 65536/,
    );
    expect(failure('-Engine=aws', '-Name=x').message).toMatch(/one of auto, local, ecs/);
  });
  it('requires Name, also when empty', () => {
    expect(failure().message).toBe('-Name is required');
    expect(failure('-Name=').parameter).toBe('Name');
  });
  it('rejects duplicates, including through an alias', () => {
    expect(failure('-Name=a', '--name=b').message).toMatch(/given twice/);
    expect(
      failure('-Name=a', '-InstantAccessRetentionDays=1', '-InstantAccessRentalDays=2').message,
    ).toMatch(/InstantAccessRetentionDays is given twice/);
  });
});

describe('Params: derived from the table', () => {
  it('has one field per row of PARAMS, each typed by its row', () => {
    const p = validateParams(extractParams(['-Name=n1']).params);
    const keys = PARAMS.map((s) =>
      s.name === 'ExcludeDiskId' ? 'excludeDiskIds' : s.name[0]!.toLowerCase() + s.name.slice(1),
    );
    expect(Object.keys(p).sort()).toEqual([...keys].sort());
    expectTypeOf<Params['timeoutInSeconds']>().toEqualTypeOf<number>();
    expectTypeOf<Params['enableFsFreeze']>().toEqualTypeOf<boolean>();
    expectTypeOf<Params['excludeDiskIds']>().toEqualTypeOf<string[]>();
    expectTypeOf<Params['engine']>().toEqualTypeOf<'auto' | 'local' | 'ecs'>();
    expectTypeOf<Params['name']>().toEqualTypeOf<string>();
  });
});
