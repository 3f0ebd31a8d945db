// Money moving between two MariaDB servers (two instances): each transfer is a debit committed
// on A, then a credit committed on B, each row carrying the transfer id. A restore of both
// from one point in time can hold debits whose credit had not happened yet (money in flight),
// never a credit without its debit. The audit counts what would prove otherwise.
import type mysql from 'mysql2/promise';

export const INITIAL = 1_000_000;

export interface Transfer {
  readonly id: number;
  readonly amount: number;
  /** Server clock (B's) when the credit was acknowledged: the transfer is complete. */
  readonly creditAckedAt: string;
}

export async function createBank(c: mysql.Connection): Promise<void> {
  await c.query('CREATE DATABASE bank');
  await c.query(
    'CREATE TABLE bank.account (id INT PRIMARY KEY, balance BIGINT NOT NULL) ENGINE=InnoDB',
  );
  await c.query(
    'CREATE TABLE bank.ledger (transfer_id BIGINT PRIMARY KEY, amount BIGINT NOT NULL, ts DATETIME(6) NOT NULL) ENGINE=InnoDB',
  );
  await c.query('INSERT INTO bank.account VALUES (1, ?)', [INITIAL]);
}

async function move(c: mysql.Connection, id: number, delta: number): Promise<string> {
  await c.beginTransaction();
  await c.query('UPDATE bank.account SET balance = balance + ? WHERE id = 1', [delta]);
  await c.query('INSERT INTO bank.ledger VALUES (?, ?, NOW(6))', [id, Math.abs(delta)]);
  await c.commit();
  const [rows] = await c.query('SELECT NOW(6) AS t');
  return (rows as { t: string }[])[0]!.t;
}

export class TransferWriter {
  readonly done: Transfer[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  constructor(
    private readonly a: mysql.Connection,
    private readonly b: mysql.Connection,
    private readonly periodMs = 3,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      let id = this.done.at(-1)?.id ?? 0;
      while (this.running) {
        id++;
        const amount = 1 + (id % 97);
        await move(this.a, id, -amount); // the debit, committed on A
        const creditAckedAt = await move(this.b, id, amount); // then the credit on B
        this.done.push({ id, amount, creditAckedAt });
        await new Promise((r) => setTimeout(r, this.periodMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

export interface Audit {
  readonly debits: number;
  readonly credits: number;
  /** Credits on B whose debit is not on A: impossible at one point in time. */
  readonly orphanCredits: number;
  /** Transfers complete before `before` (server clock) that are missing on either side. */
  readonly missingComplete: number;
  /** Debits without their credit yet: money in flight at the point in time. */
  readonly inFlight: number;
  /** A + B + in flight == 2 * INITIAL, and each balance matches its own ledger. */
  readonly conserved: boolean;
}

/** Reads both restored servers and checks the invariants against what the writer did. */
export async function audit(
  a: mysql.Connection,
  b: mysql.Connection,
  transfers: readonly Transfer[],
  before: string,
): Promise<Audit> {
  const ledger = async (c: mysql.Connection) => {
    const [rows] = await c.query('SELECT transfer_id AS id, amount FROM bank.ledger');
    return new Map(
      (rows as { id: string; amount: string }[]).map((r) => [Number(r.id), Number(r.amount)]),
    );
  };
  const balance = async (c: mysql.Connection) => {
    const [rows] = await c.query('SELECT balance FROM bank.account WHERE id = 1');
    return Number((rows as { balance: string }[])[0]!.balance);
  };
  const [debits, credits, balA, balB] = [
    await ledger(a),
    await ledger(b),
    await balance(a),
    await balance(b),
  ];
  const orphanCredits = [...credits.keys()].filter((id) => !debits.has(id)).length;
  const inFlightIds = [...debits.keys()].filter((id) => !credits.has(id));
  const inFlight = inFlightIds.reduce((s, id) => s + debits.get(id)!, 0);
  const sum = (m: Map<number, number>) => [...m.values()].reduce((s, v) => s + v, 0);
  const missingComplete = transfers.filter(
    (t) => t.creditAckedAt < before && (!debits.has(t.id) || !credits.has(t.id)),
  ).length;
  return {
    debits: debits.size,
    credits: credits.size,
    orphanCredits,
    missingComplete,
    inFlight: inFlightIds.length,
    conserved:
      balA === INITIAL - sum(debits) &&
      balB === INITIAL + sum(credits) &&
      balA + balB + inFlight === 2 * INITIAL,
  };
}
