import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/cli.js';
import type { Io } from '../../../src/cli/io.js';
import { VERSION } from '../../../src/version.js';

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => (out += t),
    err: (t) => (err += t),
    readStdin: async () => 'aGVsbG8K',
  };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('cli: bad input is exit 2 with one line naming the parameter, before anything runs', () => {
  it.each([
    [['-Name=x', '-Bogus=1'], /unknown parameter -Bogus/],
    [['-Name=x', '--bogus'], /Unknown argument: bogus/],
    [['-Name=x', '-TimeoutInSeconds=abc'], /-TimeoutInSeconds must be an integer, got 'abc'/],
    [['-Name=x', '-TimeoutInSeconds=0'], /-TimeoutInSeconds must be between 1 and 600/],
    [['-Name=x', '--name=y'], /-Name is given twice/],
    [['-EnableFsFreeze=false'], /-Name is required/],
    [['--params=-Name="x', '-Engine=local'], /unterminated/],
    [['-Name=x', '--output=yaml'], /Invalid values/],
    [['-Name=x', 'stray'], /Unknown argument: stray/],
  ])('%j', async (argv, re) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(re);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.out).toBe('');
  });
  it('check validates parameters the same way', async () => {
    expect((await cli('check', '-Name=x', '-InstantAccess=maybe')).code).toBe(2);
  });
});

describe('cli: other commands', () => {
  it('prints the version from package.json', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
    // Not packaged: no commit was defined at build time, and it says so.
    expect((await cli('--version')).out.trim()).toBe(`${VERSION} (built from a checkout)`);
  });
  it('lists every parameter in --help', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    for (const flag of [
      '--name',
      '--pre-script-path',
      '--timeout-in-seconds',
      '--engine',
      '--params',
    ]) {
      expect(r.out).toContain(flag);
    }
  });
  it('decodes base64 from an argument, an invocation JSON or stdin', async () => {
    expect((await cli('decode', Buffer.from('log line\n').toString('base64'))).out).toBe(
      'log line\n',
    );
    expect(
      (
        await cli(
          'decode',
          JSON.stringify({ ExitCode: 0, Output: Buffer.from('x').toString('base64') }),
        )
      ).out,
    ).toBe('x');
    expect((await cli('decode')).out).toBe('hello\n');
  });
  it('one JSON flag across commands: --output json, and --json as its alias', async () => {
    const root = '/nonexistent/asp-lab';
    expect(await cli('lab', 'status', '--root', root)).toMatchObject({
      out: `no lab at ${root}\n`,
    });
    expect(await cli('lab', 'status', '--root', root, '--output', 'json')).toMatchObject({
      code: 0,
      out: 'null\n',
    });
    expect((await cli('lab', 'status', '--root', root, '--json')).out).toBe('null\n');
  });
  it('groups needs an id for show', async () => {
    expect((await cli('groups', 'show')).code).toBe(2);
  });
});

describe('cli: fleet commands without any credentials', () => {
  it.each([
    [['fleet', 'prune', '-Instances=i-1', '-Region=cn-hangzhou', '--keep-last=1', '--dry-run']],
    [['fleet', 'schedule', 'list', '-Instances=i-1', '-Region=cn-hangzhou']],
  ])(
    '%j: exit 21 with one line saying where credentials come from (was an unexpected error)',
    async (argv) => {
      const home = mkdtempSync(join(tmpdir(), 'asp-nocreds-'));
      vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_ID', '');
      vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_SECRET', '');
      vi.stubEnv('ALIBABA_CLOUD_ECS_METADATA', '');
      vi.stubEnv('ALIBABA_CLOUD_PROFILE', '');
      vi.stubEnv('ALIBABA_CLOUD_CONFIG_FILE', join(home, 'none.json'));
      vi.stubEnv('HOME', home);
      // A metadata service that is not there: no RAM role to fall back on.
      vi.stubEnv('APP_SNAPSHOT_METADATA_URL', 'http://127.0.0.1:1');
      try {
        const r = await cli(...argv);
        expect(r.code).toBe(21);
        const lines = r.err.trim().split('\n');
        expect(lines.at(-1)).toMatch(
          /^app-snapshot-plugin fleet (prune|schedule list): no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID/,
        );
        expect(r.err).not.toMatch(/unexpected|EcsApiError|Network\./);
      } finally {
        vi.unstubAllEnvs();
        rmSync(home, { recursive: true, force: true });
      }
    },
  );
});
