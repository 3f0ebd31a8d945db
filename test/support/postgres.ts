// Private PostgreSQL clusters for the restore proof: initdb and pg_ctl as the postgres user,
// a data directory and a WAL directory of the test's choosing, a socket in a directory of its
// own, no TCP; never the machine's own service.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

export const PG_BIN = (() => {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? spawnSync('ls', [root], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean)
    : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest ? join(root, newest, 'bin') : undefined;
})();
export const HAVE_POSTGRES = PG_BIN !== undefined && existsSync(join(PG_BIN, 'initdb'));
const PG_UID = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
const PG_GID = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());

export const SUPERUSER_PASSWORD = 'Pg-super-only-in-tests-91c2';

function asPostgres(args: string[], cwd = '/'): { status: number | null; out: string } {
  const r = spawnSync('runuser', ['-u', 'postgres', '--', ...args], { encoding: 'utf8', cwd });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A directory owned by postgres (created if needed), mode 0700 unless told otherwise. */
export function postgresDir(path: string, mode = 0o700): string {
  mkdirSync(path, { recursive: true });
  chownSync(path, PG_UID, PG_GID);
  chmodSync(path, mode);
  return path;
}

/** A file owned by postgres (the server refuses or cannot read root's). */
export function postgresFile(path: string, content: string, flag = 'w'): void {
  writeFileSync(path, content, { mode: 0o600, flag });
  chownSync(path, PG_UID, PG_GID);
}

export interface ClusterPaths {
  readonly dataDir: string;
  /** Where pg_wal really is (initdb -X links it from the data directory). */
  readonly walDir?: string;
  /** Socket directory (0755, postgres). */
  readonly socketDir: string;
  readonly port: number;
  readonly name: string;
}

export class TestPostgres {
  constructor(readonly p: ClusterPaths) {}

  get logFile(): string {
    return join(this.p.socketDir, `${this.p.name}.log`);
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  init(): void {
    postgresDir(this.p.dataDir);
    if (this.p.walDir) postgresDir(this.p.walDir);
    const pw = join(this.p.socketDir, 'pwfile');
    writeFileSync(pw, `${SUPERUSER_PASSWORD}\n`, { mode: 0o600 });
    chownSync(pw, PG_UID, PG_GID);
    const r = asPostgres([
      join(PG_BIN!, 'initdb'),
      '-D',
      this.p.dataDir,
      ...(this.p.walDir ? ['-X', this.p.walDir] : []),
      '--auth-local=scram-sha-256',
      '--auth-host=scram-sha-256',
      `--pwfile=${pw}`,
      '-U',
      'postgres',
      '--no-instructions',
    ]);
    if (r.status !== 0) throw new Error(`initdb failed: ${r.out}`);
  }

  /** Starts it and waits until it takes connections (a restore's recovery included). */
  start(extra = ''): void {
    const r = asPostgres([
      join(PG_BIN!, 'pg_ctl'),
      '-D',
      this.p.dataDir,
      '-l',
      this.logFile,
      '-w',
      '-t',
      '60',
      '-o',
      `-k ${this.p.socketDir} -p ${this.p.port} -c listen_addresses='' -c shared_buffers=32MB ${extra}`,
      'start',
    ]);
    if (r.status !== 0) {
      throw new Error(`pg_ctl start failed: ${r.out.trim()}\n${this.log().slice(-2000)}`);
    }
  }

  /** After a recovery to a target, the server promotes itself: wait until it has. */
  async untilPromoted(): Promise<void> {
    const c = await this.connect();
    try {
      for (let i = 0; i < 300; i++) {
        const r = await c.query('SELECT pg_is_in_recovery() AS r');
        if (!(r.rows[0] as { r: boolean }).r) return;
        await new Promise((res) => setTimeout(res, 100));
      }
      throw new Error('still in recovery after 30 s');
    } finally {
      await c.end();
    }
  }

  stop(): void {
    if (!existsSync(join(this.p.dataDir, 'postmaster.pid'))) return;
    asPostgres([join(PG_BIN!, 'pg_ctl'), '-D', this.p.dataDir, '-m', 'fast', '-w', 'stop']);
  }

  async connect(user = 'postgres', password = SUPERUSER_PASSWORD): Promise<pg.Client> {
    const c = new pg.Client({
      host: this.p.socketDir,
      port: this.p.port,
      user,
      password,
      database: 'postgres',
    });
    await c.connect();
    c.on('error', () => undefined); // the server stopping under an idle client is fine here
    return c;
  }
}

export interface Ack {
  readonly seq: number;
  /** Monotonic ns (the agent's clock, CLOCK_MONOTONIC) before the INSERT was sent. */
  readonly sentNs: bigint;
  /** ... and when its commit was acknowledged. */
  readonly ackNs: bigint;
  /** Where the WAL was when the row was inserted (just before its commit record). */
  readonly lsn: bigint;
}

/** "16/B374D848" -> a number that orders like the LSN. */
export function lsnValue(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

/** Commits one row every `periodMs`, recording when each commit was sent and acknowledged. */
export class PgWriter {
  readonly acks: Ack[] = [];
  private running = false;
  private done: Promise<void> | undefined;
  constructor(
    private readonly conn: pg.Client,
    private readonly periodMs = 5,
  ) {}

  start(): void {
    this.running = true;
    this.done = (async () => {
      let seq = this.acks.at(-1)?.seq ?? 0;
      while (this.running) {
        seq++;
        const sentNs = process.hrtime.bigint();
        const r = await this.conn.query(
          'INSERT INTO pit (seq, ts) VALUES ($1, clock_timestamp()) RETURNING pg_current_wal_insert_lsn()::text AS lsn',
          [seq],
        );
        const lsn = lsnValue((r.rows[0] as { lsn: string }).lsn);
        this.acks.push({ seq, sentNs, ackNs: process.hrtime.bigint(), lsn });
        await new Promise((r) => setTimeout(r, this.periodMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

export interface PgExpectation {
  readonly acks: readonly Ack[];
  /** The window of the snapshot run (monotonic ns, from the agent's JSON Marks). */
  readonly firstFreezeNs: bigint;
  readonly thawEndNs: bigint;
  /** The WAL position the quiescer recorded: the restored server must be at or past it. */
  readonly lsn?: string;
  /**
   * Backup mode: its restore ends at the backup's end (pg_backup_stop, after the thaw), so
   * the upper bound is that WAL position: no commit inserted after it may be there.
   */
  readonly stopLsn?: string;
}

/** What a restored server gets wrong; empty when the restore is consistent. */
export async function pgViolations(db: TestPostgres, e: PgExpectation): Promise<string[]> {
  const out: string[] = [];
  const c = await db.connect();
  try {
    const rows = (await c.query('SELECT seq FROM pit ORDER BY seq')).rows as { seq: string }[];
    const present = new Set(rows.map((r) => Number(r.seq)));
    const newest = rows.length ? Number(rows.at(-1)!.seq) : 0;
    const lost = e.acks.filter((a) => a.ackNs < e.firstFreezeNs && !present.has(a.seq));
    if (lost.length)
      out.push(
        `${lost.length} commit(s) acknowledged before the freeze are missing (e.g. ${lost[0]!.seq})`,
      );
    const late = e.acks.filter((a) => a.sentNs > e.thawEndNs && present.has(a.seq));
    if (late.length)
      out.push(`${late.length} commit(s) sent after the thaw are present (e.g. ${late[0]!.seq})`);
    if (e.stopLsn) {
      const stop = lsnValue(e.stopLsn);
      const after = e.acks.filter((a) => a.lsn > stop && present.has(a.seq));
      if (after.length)
        out.push(
          `${after.length} commit(s) inserted after the backup's end (${e.stopLsn}) are present (e.g. ${after[0]!.seq})`,
        );
    }
    const gaps = Array.from({ length: newest }, (_, i) => i + 1).filter((s) => !present.has(s));
    if (gaps.length)
      out.push(`${gaps.length} row(s) missing below the newest (${newest}), e.g. ${gaps[0]}`);
    await c.query('CREATE EXTENSION IF NOT EXISTS amcheck');
    try {
      await c.query("SELECT bt_index_check('pit_pkey'::regclass, true)");
    } catch (err) {
      out.push(`amcheck: ${(err as Error).message}`);
    }
    if (e.lsn) {
      const r = await c.query('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn) AS d', [
        e.lsn,
      ]);
      if (Number((r.rows[0] as { d: string }).d) < 0) {
        out.push(`the restored server's WAL position is before the recorded ${e.lsn}`);
      }
    }
  } finally {
    await c.end();
  }
  return out;
}
