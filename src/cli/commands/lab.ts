import { JSON_ALIAS, wantsJson } from '../param-options.js';
import { Lab, type LabState } from '../../lab/lab.js';
import { parseSize } from '../../lab/size.js';
import { describeError, exitCodeFor } from '../../errors/exit-code-for.js';
import { ParamsError } from '../../errors/errors.js';
import { systemRunner } from '../../system/runner.js';
import type { Io } from '../io.js';
import type { CliContext } from '../context.js';
import { DEFAULT_LAB_ROOT } from '../../system/paths.js';
import type { Argv } from 'yargs';

export interface LabArgs {
  readonly action: 'up' | 'down' | 'status';
  readonly root: string;
  readonly disks: number;
  readonly size: string;
  readonly fs: string;
  readonly quota: number;
  readonly json: boolean;
}

function describe(s: LabState): string {
  return [
    `lab ${s.root}`,
    `pool ${s.pool}${s.poolImage ? ` (XFS reflink image ${s.poolImage})` : ''}`,
    ...s.disks.map(
      (d) =>
        `disk ${d.id}  ${d.fsType.padEnd(5)} ${d.device ?? '(detached)'}  ${d.mounted ? d.mountPoint : '(not mounted)'}`,
    ),
    `snapshot it: app-snapshot-plugin -Name=lab1 -Engine=local -Pool=${s.pool}`,
  ].join('\n');
}

export async function labCommand(a: LabArgs, io: Io): Promise<number> {
  const lab = new Lab(systemRunner, a.root);
  try {
    if (a.action === 'up') {
      const fsTypes = a.fs
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean);
      // Types, counts and sizes are checked by Lab.up before anything is made.
      if (!Number.isInteger(a.quota) || a.quota < 1) throw new ParamsError('--quota must be >= 1');
      const s = await lab.up({
        root: a.root,
        disks: a.disks,
        sizeBytes: parseSize(a.size),
        fsTypes,
        quota: a.quota,
      });
      io.out(a.json ? `${JSON.stringify(s, null, 2)}\n` : `${describe(s)}\n`);
      return 0;
    }
    if (a.action === 'down') {
      const had = await lab.down();
      io.out(
        a.json
          ? `${JSON.stringify({ removed: had })}\n`
          : had
            ? `lab ${lab.root} removed\n`
            : `no lab at ${lab.root}\n`,
      );
      return 0;
    }
    const s = lab.status();
    io.out(
      a.json
        ? `${JSON.stringify(s ?? null, null, 2)}\n`
        : s
          ? `${describe(s)}\n`
          : `no lab at ${lab.root}\n`,
    );
    return 0;
  } catch (e) {
    io.err(`lab ${a.action}: ${describeError(e)}\n`);
    return exitCodeFor(e);
  }
}

export function registerLab(y: Argv, ctx: CliContext): Argv {
  return y.command(
    'lab <action>',
    'Build (up), inspect (status) or remove (down) a local pool with loop disks, filesystems and mounts',
    (y) =>
      y
        .positional('action', { choices: ['up', 'down', 'status'] as const })
        .option('root', { type: 'string', default: DEFAULT_LAB_ROOT })
        .option('disks', { type: 'number', default: 2 })
        .option('size', { type: 'string', default: '512M', describe: 'size of each disk (sparse)' })
        .option('fs', {
          type: 'string',
          default: 'ext4,xfs',
          describe: 'filesystems, used in turn',
        })
        .option('quota', { type: 'number', default: 64, describe: 'snapshots allowed per disk' })
        .option('json', JSON_ALIAS),
    async (a) =>
      ctx.setCode(
        await labCommand(
          {
            action: a.action!,
            root: a.root,
            disks: a.disks,
            size: a.size,
            fs: a.fs,
            quota: a.quota,
            json: wantsJson(a),
          },
          ctx.io,
        ),
      ),
  );
}
