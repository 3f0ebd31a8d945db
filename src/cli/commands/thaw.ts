import { readMarker } from '../../freeze/marker.js';
import { recoverFrozen } from '../../freeze/recover.js';
import { EXIT } from '../../errors/exit-codes.js';
import type { Io } from '../io.js';
import type { CliContext } from '../context.js';
import type { Argv } from 'yargs';

/** Emergency thaw of what this tool froze (per its marker). Idempotent. */
export function thawCommand(force: boolean, io: Io, stateDir: string): number {
  const marker = readMarker(stateDir);
  if (!marker) {
    io.out('nothing frozen by app-snapshot-plugin\n');
    return 0;
  }
  const r = recoverFrozen(stateDir, force);
  if (r.ownerAlive && !force) {
    io.out(
      `run ${marker.agentPid} is still in progress and its watchdog will thaw ${marker.mounts.join(', ')}; use --force to thaw now\n`,
    );
    return 0;
  }
  for (const m of r.thawed) io.out(`thawed ${m}\n`);
  if (!r.thawed.length && !r.failed.length) io.out(`already thawed: ${marker.mounts.join(', ')}\n`);
  for (const f of r.failed) io.err(`could not thaw ${f.mount}: ${f.error}\n`);
  return r.failed.length ? EXIT.ThawFailed : 0;
}

export function registerThaw(y: Argv, ctx: CliContext): Argv {
  return y.command(
    'thaw',
    'Emergency: thaw the filesystems this tool froze (idempotent)',
    (y) =>
      y.option('force', {
        type: 'boolean',
        default: false,
        describe:
          'also when the freezing run is still alive (that run cannot tell: its snapshot is then not consistent)',
      }),
    (a) => ctx.setCode(thawCommand(a.force, ctx.io, ctx.config.paths.stateDir)),
  );
}
