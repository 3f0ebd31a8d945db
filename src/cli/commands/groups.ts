import { JSON_ALIAS, wantsJson } from '../param-options.js';
import type { EngineConfig } from '../../engines/index.js';
import type { GroupInfo, RollbackResult } from '../../engines/types.js';
import { describeError, exitCodeFor } from '../../errors/exit-code-for.js';
import { assembleEngine } from '../engine.js';
import type { Io } from '../io.js';
import type { CliContext } from '../context.js';
import { DEFAULT_POOL } from '../../params/index.js';
import { ParamsError } from '../../errors/errors.js';
import type { Argv } from 'yargs';
import { acquireLock, type Lock } from '../../system/lock.js';
import { rollbackRemount } from '../../restore/remount.js';
import { systemRemountDeps } from '../../restore/system.js';
import { keepOptionsOf, PRUNE_OPTIONS } from '../prune-options.js';
import { pruneCommand } from './prune.js';

export interface GroupsArgs {
  readonly action: 'list' | 'show' | 'rollback' | 'delete';
  readonly engine: 'auto' | 'local' | 'ecs';
  readonly ramRoleName: string;
  readonly pool: string;
  readonly id?: string;
  readonly disks?: string[];
  /** rollback: unmount the disks' filesystems first, mount them again after. */
  readonly remount?: boolean;
  readonly json: boolean;
}

function line(g: GroupInfo): string {
  const tags = [...new Set(g.snapshots.flatMap((s) => Object.keys(s.tags)))].join(',') || '-';
  return `${g.id}  ${g.status.padEnd(12)} ${g.createdAt}  ${g.snapshots.length} snapshot(s)  ${tags}  ${g.name}`;
}

/**
 * The engine a groups action talks to. Rollback exists on the local engine only (a cloud disk
 * is reset in the console or with ResetDisks), so `auto` means local for it, even on a cloud
 * instance (a CI runner on ECS rolling back its lab), where auto would pick the cloud.
 */
export const groupsEngine = (
  action: GroupsArgs['action'],
  engine: GroupsArgs['engine'],
): GroupsArgs['engine'] => (action === 'rollback' && engine === 'auto' ? 'local' : engine);

/** Group management on either engine: list, show, rollback (local), delete. */
export async function groupsCommand(
  a: GroupsArgs,
  io: Io,
  config: EngineConfig = {},
  /** The agent's run lock: a remount must not meet a run freezing the same filesystems. */
  lock: () => Lock = () => ({ held: () => true, release: () => undefined }),
): Promise<number> {
  const print = (value: unknown, text: string) =>
    io.out(a.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
  try {
    const { engine } = assembleEngine(
      {
        engine: groupsEngine(a.action, a.engine),
        pool: a.pool,
        ramRoleName: a.ramRoleName,
        timeoutInSeconds: 30,
      },
      { engine: config },
    );
    switch (a.action) {
      case 'list': {
        const groups = await engine.listGroups();
        print(groups, groups.map(line).join('\n') || 'no snapshot groups');
        return 0;
      }
      case 'show': {
        const g = await engine.describeGroup(a.id!);
        const snaps = g.snapshots.map(
          (s) =>
            `  ${s.id}  disk ${s.diskId}  ${s.status} ${s.progress}%  ${JSON.stringify(s.tags)}`,
        );
        print(g, [line(g), ...snaps].join('\n'));
        return 0;
      }
      case 'rollback': {
        const diskIds = a.disks?.length ? { diskIds: a.disks } : {};
        const r: RollbackResult & { remounted?: string[] } = a.remount
          ? await withLock(lock, () => rollbackRemount(systemRemountDeps(engine), a.id!, a.disks))
          : await engine.rollbackGroup(a.id!, diskIds);
        const lines = r.disks.map((d) => `disk ${d.diskId} rolled back to ${d.snapshotId}`);
        if (r.remounted?.length) lines.push(`mounted again: ${r.remounted.join(', ')}`);
        print(r, lines.join('\n'));
        return 0;
      }
      case 'delete':
        await engine.deleteGroup(a.id!);
        print({ deleted: a.id }, `deleted ${a.id}`);
        return 0;
    }
  } catch (e) {
    io.err(`groups ${a.action}: ${describeError(e)}\n`);
    return exitCodeFor(e);
  }
}

async function withLock<T>(lock: () => Lock, f: () => Promise<T>): Promise<T> {
  const held = lock();
  try {
    return await f();
  } finally {
    held.release();
  }
}

/** groups' positionals and options. */
function groupsOptions(y: Argv) {
  return y
    .positional('action', {
      choices: ['list', 'show', 'rollback', 'delete', 'prune'] as const,
    })
    .positional('id', { type: 'string', describe: 'snapshot group id (ssg-...)' })
    .option('pool', { type: 'string', default: DEFAULT_POOL })
    .option('engine', { choices: ['auto', 'local', 'ecs'] as const, default: 'auto' as const })
    .option('ram-role-name', {
      type: 'string',
      default: '',
      describe: 'ecs engine: the RAM role',
    })
    .option('disk', { type: 'string', array: true, describe: 'rollback: only these disk ids' })
    .option('remount', {
      type: 'boolean',
      default: false,
      describe:
        "rollback: unmount the disks' filesystems first and mount them again after; refused (exit 18, the processes named) while anything holds one open",
    })
    .option('json', JSON_ALIAS)
    .options(PRUNE_OPTIONS)
    .check((a) => {
      if (a.action !== 'list' && a.action !== 'prune' && !a.id)
        throw new ParamsError(`groups ${a.action} needs a group id`);
      return true;
    });
}

export function registerGroups(y: Argv, ctx: CliContext): Argv {
  return y.command(
    'groups <action> [id]',
    'List, show, roll back (local engine), delete or prune (a retention policy) snapshot groups',
    groupsOptions,
    async (a) =>
      ctx.setCode(
        a.action === 'prune'
          ? await pruneCommand(
              { ...keepOptionsOf(a), dryRun: a['dry-run'], json: wantsJson(a) },
              ctx.io,
              () =>
                assembleEngine(
                  {
                    engine: a.engine,
                    pool: a.pool,
                    ramRoleName: String(a['ram-role-name']),
                    timeoutInSeconds: 30,
                  },
                  ctx.config,
                ).engine,
              () => acquireLock(ctx.config.paths.stateDir),
            )
          : await groupsCommand(
              {
                action: a.action!,
                engine: a.engine,
                ramRoleName: String(a['ram-role-name']),
                pool: a.pool,
                ...(a.id ? { id: a.id } : {}),
                ...(a.disk ? { disks: a.disk.map(String) } : {}),
                remount: Boolean(a.remount),
                json: wantsJson(a),
              },
              ctx.io,
              ctx.config.engine,
              () => acquireLock(ctx.config.paths.stateDir),
            ),
      ),
  );
}
