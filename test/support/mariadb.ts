// A private MariaDB server for the restore proof: its own datadir, binlog directory, socket
// and error log; started and stopped by the test; never the machine's own server.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';

export const HAVE_MARIADB = spawnSync('which', ['mariadbd']).status === 0;

export interface ServerPaths {
  readonly datadir: string;
  readonly binlogDir: string;
  readonly runDir: string;
  readonly name: string;
}

export class TestMariadb {
  private proc: ChildProcess | undefined;
  constructor(readonly p: ServerPaths) {}

  get socket(): string {
    return join(this.p.runDir, `${this.p.name}.sock`);
  }

  get errorLogPath(): string {
    return join(this.p.runDir, `${this.p.name}.err`);
  }

  errorLog(): string {
    return existsSync(this.errorLogPath) ? readFileSync(this.errorLogPath, 'utf8') : '';
  }

  init(): void {
    mkdirSync(this.p.binlogDir, { recursive: true });
    const r = spawnSync(
      'mariadb-install-db',
      [
        '--no-defaults',
        `--datadir=${this.p.datadir}`,
        '--user=root',
        '--auth-root-authentication-method=socket',
        '--skip-test-db',
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`mariadb-install-db failed: ${r.stderr}`);
  }

  async start(): Promise<void> {
    mkdirSync(this.p.runDir, { recursive: true });
    this.proc = spawn(
      'mariadbd',
      [
        '--no-defaults',
        `--datadir=${this.p.datadir}`,
        `--socket=${this.socket}`,
        `--pid-file=${join(this.p.runDir, `${this.p.name}.pid`)}`,
        '--user=root',
        '--skip-networking',
        `--log-bin=${join(this.p.binlogDir, 'binlog')}`,
        `--log-bin-index=${join(this.p.binlogDir, 'binlog.index')}`,
        '--server-id=1',
        `--log-error=${this.errorLogPath}`,
        '--innodb-buffer-pool-size=64M',
        '--sync-binlog=1',
        '--innodb-flush-log-at-trx-commit=1',
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise<string>((r) =>
      this.proc!.once('exit', (c) => r(`mariadbd exited with ${c}`)),
    );
    for (let i = 0; i < 300; i++) {
      try {
        const c = await this.connect();
        await c.end();
        return;
      } catch {
        const done = await Promise.race([
          exited,
          new Promise<undefined>((r) => setTimeout(r, 100)),
        ]);
        if (done) throw new Error(`${done}:\n${this.errorLog().slice(-2000)}`);
      }
    }
    throw new Error(`mariadbd did not come up:\n${this.errorLog().slice(-2000)}`);
  }

  connect(): Promise<mysql.Connection> {
    return mysql.createConnection({
      socketPath: this.socket,
      user: 'root',
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 20_000))]);
    if (p.exitCode === null) p.kill('SIGKILL');
  }
}

export interface Ack {
  readonly seq: number;
  readonly gtid: string;
  /** Server clock right after the commit was acknowledged. */
  readonly ackedAt: string;
}

/** Commits a row every `periodMs` with the server clock and keeps the acknowledged ones. */
export class Writer {
  readonly acks: Ack[] = [];
  private running = false;
  private done: Promise<void> | undefined;
  constructor(
    private readonly conn: mysql.Connection,
    private readonly periodMs = 5,
  ) {}

  get threadId(): number {
    return this.conn.threadId;
  }

  start(): void {
    this.running = true;
    this.done = (async () => {
      let seq = this.acks.length ? this.acks.at(-1)!.seq : 0;
      while (this.running) {
        seq++;
        await this.conn.query('INSERT INTO proof.pit (seq, ts) VALUES (?, NOW(6))', [seq]);
        const [rows] = await this.conn.query('SELECT @@last_gtid AS g, NOW(6) AS t');
        const r = (rows as { g: string; t: string }[])[0]!;
        this.acks.push({ seq, gtid: r.g, ackedAt: r.t });
        await new Promise((res) => setTimeout(res, this.periodMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

export interface Expectation {
  readonly acks: readonly Ack[];
  /** The lock time and GTID the quiescer recorded, when there is one. */
  readonly lockTime?: string;
  readonly gtid?: string;
  readonly periodMs: number;
  /** Clean mode: the restored server must not need to replay redo. */
  readonly noRedoApply?: boolean;
}

/**
 * Looks at a server started on restored disks and lists everything that is not consistent.
 * An empty list is the proof; the negative control must produce at least one line.
 */
export async function violations(server: TestMariadb, e: Expectation): Promise<string[]> {
  const out: string[] = [];
  const c = await server.connect();
  try {
    const [rows] = await c.query('SELECT seq, ts FROM proof.pit ORDER BY seq');
    const present = rows as { seq: string; ts: string }[];
    const seqs = new Set(present.map((r) => Number(r.seq)));
    const maxSeq = present.length ? Number(present.at(-1)!.seq) : 0;
    const maxTs = present.reduce((m, r) => (r.ts > m ? r.ts : m), '');
    // No holes: a row missing below the newest one present is a torn image.
    for (let s = 1; s <= maxSeq; s++)
      if (!seqs.has(s)) out.push(`row ${s} is missing below row ${maxSeq}`);
    if (e.lockTime) {
      const lost = e.acks.filter((a) => a.ackedAt < e.lockTime! && !seqs.has(a.seq));
      if (lost.length)
        out.push(
          `${lost.length} commit(s) acknowledged before the lock time ${e.lockTime} are missing (first: ${lost[0]!.seq})`,
        );
      const late = present.filter((r) => r.ts > e.lockTime!);
      if (late.length) out.push(`${late.length} row(s) are newer than the lock time ${e.lockTime}`);
      const gapMs =
        Date.parse(e.lockTime.replace(' ', 'T')) - Date.parse(maxTs.replace(' ', 'T')) || 0;
      if (gapMs > e.periodMs * 20)
        out.push(`the newest row is ${gapMs} ms older than the lock time`);
    }
    const [[g]] = (await c.query('SELECT @@global.gtid_binlog_pos AS g')) as unknown as [
      { g: string }[],
    ];
    const gtidOfNewest = e.acks.find((a) => a.seq === maxSeq)?.gtid;
    if (gtidOfNewest && g!.g !== gtidOfNewest)
      out.push(`binlog position ${g!.g} does not match the newest row's GTID ${gtidOfNewest}`);
    if (e.gtid && g!.g !== e.gtid)
      out.push(`binlog position ${g!.g} is not the GTID recorded under the lock (${e.gtid})`);
    const [check] = await c.query('CHECK TABLE proof.pit EXTENDED');
    const bad = (check as { Msg_type: string; Msg_text: string }[]).filter(
      (r) => r.Msg_type === 'error' || (r.Msg_type === 'status' && r.Msg_text !== 'OK'),
    );
    if (bad.length) out.push(`CHECK TABLE: ${bad.map((b) => b.Msg_text).join('; ')}`);
  } finally {
    await c.end();
  }
  if (e.noRedoApply && /Starting crash recovery from checkpoint/.test(server.errorLog())) {
    out.push('the restored server replayed redo (Starting crash recovery from checkpoint ...)');
  }
  for (const line of server.errorLog().split('\n')) {
    if (/\[ERROR\]|corrupt/i.test(line)) out.push(`error log: ${line.trim()}`);
  }
  return out;
}
