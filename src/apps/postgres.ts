// PostgreSQL 12-17, quiesced the way its layout allows:
// - atomic: the data directory, pg_wal and every tablespace are on disks of the group, so the
//   group is one crash-consistent image of the whole cluster. A CHECKPOINT right before the
//   freeze keeps the crash recovery of a restore short; nothing is held, nothing is ended
//   later. The restore is crash recovery (no backup_label: writing one into an atomic image
//   makes the restore wait for WAL it will never find).
// - backup: one held session runs pg_backup_start before the freeze and pg_backup_stop after
//   the thaw, in the same session (two sessions fail: "backup is not in progress"). The
//   backup_label (and tablespace_map) it returns go with the group: the restore puts them
//   back into the data directory and PostgreSQL replays WAL from the backup's start.
// PG 15 renamed pg_start_backup/pg_stop_backup to pg_backup_start/pg_backup_stop; 12-14 use
// the non-exclusive form of the old names.
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError, conditionFailed } from '../errors/errors.js';
import type { PostgresAppConfig } from './config.js';
import type { SqlConn, SqlConnect } from './sql-conn.js';
import type { AppData, AppQuiescer, DataLocator, GroupLayout, Held } from './types.js';

type Mode = 'atomic' | 'backup';

/** The server's process names (the postmaster and its children). */
const PROCESS_NAMES = ['postgres', 'postmaster'];

const first = (rows: Record<string, unknown>[]) => rows[0] ?? {};
/** Tag values hold at most 128 characters: a backup_label travels in base64 chunks. */
const CHUNK = 120;

interface Server {
  readonly version: string;
  readonly major: number;
  readonly dataDir: string;
  /** Every directory the cluster writes: the data directory, pg_wal, tablespaces. */
  readonly paths: { what: string; path: string }[];
  readonly unlogged: number;
}

export class PostgresQuiescer implements AppQuiescer {
  readonly type = 'postgresql';
  private session: SqlConn | undefined;
  private server: Server | undefined;
  private mode: Mode = 'atomic';
  private why = '';
  private lost: Error | undefined;

  constructor(
    readonly name: string,
    private readonly c: PostgresAppConfig,
    private readonly connect: SqlConnect,
    private readonly resolve: (path: string) => string = realpathSync,
  ) {}

  private fail(what: string, e?: unknown): AgentError {
    const why = e instanceof Error ? `: ${e.message}` : '';
    return new AgentError('PreScriptFailed', `app ${this.name} (postgresql): ${what}${why}`, {
      cause: e,
    });
  }

  async prepare(layout?: GroupLayout & Partial<DataLocator>): Promise<void> {
    try {
      this.session = await this.connect();
      this.session.onLost((e) => (this.lost ??= e));
      this.server = await this.readServer(this.session);
    } catch (e) {
      if (e instanceof AgentError) throw e;
      throw this.fail('cannot connect or read the server settings', e);
    }
    this.chooseMode(layout);
  }

  private async readServer(s: SqlConn): Promise<Server> {
    const v = first(
      await s.query("SELECT current_setting('server_version_num') AS n, version() AS v"),
    );
    const num = Number(v.n);
    const major = Math.floor(num / 10000);
    if (major < 12) throw this.fail(`PostgreSQL ${major} is not supported (12 or later)`);
    const dataDir = String(first(await s.query("SELECT current_setting('data_directory') AS d")).d);
    const spaces = await s.query(
      "SELECT spcname AS n, pg_tablespace_location(oid) AS p FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')",
    );
    const unlogged = first(
      await s.query(
        "SELECT count(*) AS n FROM pg_class WHERE relpersistence = 'u' AND relkind = 'r'",
      ),
    );
    return {
      version: String(v.v ?? '')
        .split(' ')
        .slice(0, 2)
        .join(' '),
      major,
      dataDir,
      paths: [
        { what: 'the data directory', path: dataDir },
        { what: 'pg_wal', path: join(dataDir, 'pg_wal') },
        ...spaces.map((t) => ({ what: `tablespace ${String(t.n)}`, path: String(t.p) })),
      ],
      unlogged: Number(unlogged.n ?? 0),
    };
  }

  /** Atomic only when every directory the cluster writes is in the group; said why. */
  private chooseMode(layout: (GroupLayout & Partial<DataLocator>) | undefined): void {
    const server = this.server!;
    // A server in a container names paths of its own root: placed through its process where
    // the layout can (the run's and check's can), else looked up here (links resolved).
    const placed = (path: string) => layout?.place?.(path, PROCESS_NAMES);
    const inGroup = (path: string) => placed(path)?.inGroup ?? layout!.inGroup(this.resolve(path));
    const outside = layout ? server.paths.filter((p) => !inGroup(p.path)) : [];
    const here = (path: string) => {
      try {
        return this.resolve(path);
      } catch {
        return path; // only in the server's root (a container's)
      }
    };
    const where = (p: { what: string; path: string }) =>
      `${p.what} (${placed(p.path)?.hostPath ?? here(p.path)})`;
    if (outside.some((p) => p.what === 'the data directory')) {
      throw conditionFailed(
        `app ${this.name} (postgresql): the data directory ${server.dataDir} is not on a disk of this group`,
      );
    }
    const wanted = this.c.mode ?? 'auto';
    if (wanted === 'atomic' && outside.length) {
      throw conditionFailed(
        `app ${this.name} (postgresql): atomic mode needs the whole cluster in the group, but ${outside.map(where).join(', ')} ${outside.length > 1 ? 'are' : 'is'} not on its disks: a restore would be torn (use "mode": "backup", or add the disk)`,
      );
    }
    this.mode = wanted === 'backup' || outside.length ? 'backup' : 'atomic';
    this.why =
      wanted === 'backup'
        ? 'asked for in the apps config'
        : outside.length
          ? `${outside.map(where).join(', ')} not in the group`
          : 'the data directory, pg_wal and every tablespace are on disks of the group';
  }

  data(): AppData {
    return { processNames: PROCESS_NAMES, paths: this.server?.paths ?? [] };
  }

  plan(): string {
    const s = this.server;
    const what =
      this.mode === 'atomic'
        ? 'atomic: CHECKPOINT before the freeze, nothing held; the restore is a crash recovery'
        : `backup: ${s && s.major >= 15 ? 'pg_backup_start' : 'pg_start_backup'} before the freeze and its stop after the thaw in one session; the backup_label goes with the group`;
    const unlogged = s?.unlogged
      ? `; warning: ${s.unlogged} unlogged table(s) come back empty from any restore`
      : '';
    return `${s?.version ?? '?'}: ${what} (${this.why})${unlogged}`;
  }

  async quiesce(): Promise<Held> {
    const s = this.session!;
    const started = performance.now();
    try {
      if (this.mode === 'atomic') await s.query('CHECKPOINT');
      else await this.backupStart(s);
    } catch (e) {
      throw this.fail(`could not ${this.mode === 'atomic' ? 'checkpoint' : 'start the backup'}`, e);
    }
    const facts: Record<string, string> = { Mode: this.mode, ...(await this.position(s)) };
    return this.mode === 'atomic'
      ? this.atomicHeld(facts, started)
      : this.backupHeld(facts, started);
  }

  private async backupStart(s: SqlConn): Promise<void> {
    const label = `app-snapshot-plugin ${this.name} ${new Date().toISOString()}`.replace(/'/g, '');
    await s.query(
      this.server!.major >= 15
        ? `SELECT pg_backup_start('${label}', true)`
        : `SELECT pg_start_backup('${label}', true, false)`,
    );
  }

  /** Where the cluster's WAL stands, on which timeline, and which cluster it is. */
  private async position(s: SqlConn): Promise<Record<string, string>> {
    const r = first(
      await s.query(
        'SELECT pg_current_wal_lsn()::text AS lsn, (SELECT timeline_id FROM pg_control_checkpoint())::text AS tli, (SELECT system_identifier FROM pg_control_system())::text AS sysid',
      ),
    );
    return { Lsn: String(r.lsn), Timeline: String(r.tli), SystemId: String(r.sysid) };
  }

  private atomicHeld(facts: Record<string, string>, started: number): Held {
    return {
      mode: `atomic (${this.server!.version})`,
      facts,
      lockSentAt: started,
      // Nothing is held, so nothing can be lost.
      verify: async () => true,
      release: async () => undefined,
    };
  }

  private backupHeld(facts: Record<string, string>, started: number): Held {
    const s = this.session!;
    // With WAL archiving, waiting makes the group usable as soon as the run ends: the WAL up to
    // the backup's end is in the archive (a restore replays up to there).
    const wait = this.c.waitForArchive ? 'true' : 'false';
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      const r = first(
        await s.query(
          this.server!.major >= 15
            ? `SELECT lsn::text AS lsn, labelfile, spcmapfile FROM pg_backup_stop(${wait})`
            : `SELECT lsn::text AS lsn, labelfile, spcmapfile FROM pg_stop_backup(false, ${wait})`,
        ),
      );
      facts.StopLsn = String(r.lsn);
      Object.assign(facts, chunks('BackupLabel', String(r.labelfile ?? '')));
      Object.assign(facts, chunks('TablespaceMap', String(r.spcmapfile ?? '')));
    };
    return {
      mode: `backup (${this.server!.version})`,
      facts,
      lockSentAt: started,
      // The backup lives as long as its session: a lost session ended it.
      verify: async () => !this.lost,
      afterThaw: async () => {
        try {
          await stop();
        } catch (e) {
          throw new AgentError(
            'PostScriptFailed',
            `app ${this.name} (postgresql): pg_backup_stop failed: ${(e as Error).message}`,
            { cause: e },
          );
        }
      },
      release: async () => {
        // On a failed path the backup is ended without using it; a lost session ended it.
        if (!stopped && !this.lost) await stop().catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    await this.session?.end().catch(() => undefined);
    this.session = undefined;
  }
}

/** A text as numbered base64 chunks that fit in tag values: Name.1, Name.2, ... */
export function chunks(name: string, text: string): Record<string, string> {
  if (!text) return {};
  const b64 = Buffer.from(text, 'utf8').toString('base64');
  const out: Record<string, string> = {};
  for (let i = 0; i * CHUNK < b64.length; i++) {
    out[`${name}.${i + 1}`] = b64.slice(i * CHUNK, (i + 1) * CHUNK);
  }
  return out;
}

/** The text back from a snapshot's tags (the facts are tagged as "<app>.<fact>"). */
export function unchunk(tags: Record<string, string>, prefix: string): string {
  const parts = Object.entries(tags)
    .filter(([k]) => k.startsWith(`${prefix}.`) && /^\d+$/.test(k.slice(prefix.length + 1)))
    .sort(([a], [b]) => Number(a.slice(prefix.length + 1)) - Number(b.slice(prefix.length + 1)));
  return Buffer.from(parts.map(([, v]) => v).join(''), 'base64').toString('utf8');
}
