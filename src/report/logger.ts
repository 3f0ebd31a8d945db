import winston from 'winston';
import Transport from 'winston-transport';
import { formatLine, formatOutput } from './log-format.js';

export type Write = (text: string) => void;

/**
 * The run log. Every line is kept (for the log file, written after thaw) and passed to
 * `write` (stdout by default) unless held: between freeze and thaw nothing may touch a
 * possibly frozen filesystem, and stdout may be a file on one, so lines wait in memory.
 */
export class RunLog {
  readonly lines: string[] = [];
  private held: string[] | undefined;
  private readonly logger: winston.Logger;

  constructor(private readonly write: Write) {
    const sink = (line: string) => this.emit(line);
    class SinkTransport extends Transport {
      override log(info: Record<string | symbol, unknown>, next: () => void): void {
        sink(String(info[Symbol.for('message')]));
        next();
      }
    }
    // winston delivers synchronously to this transport: order and hold() are exact.
    this.logger = winston.createLogger({
      level: 'debug',
      format: winston.format.printf((i) =>
        formatLine({
          level: i.level,
          message: String(i.message),
          ...(typeof i.snapshotgroup === 'string' ? { snapshotgroup: i.snapshotgroup } : {}),
        }),
      ),
      transports: [new SinkTransport()],
    });
  }

  private emit(text: string): void {
    this.lines.push(text);
    if (this.held) this.held.push(text);
    else this.write(`${text}\n`);
  }

  info(message: string, fields: { snapshotgroup?: string } = {}): void {
    this.logger.info(message, fields);
  }

  warn(message: string): void {
    this.logger.warn(message);
  }

  error(message: string, fields: { snapshotgroup?: string } = {}): void {
    this.logger.error(message, fields);
  }

  /** A script's output block, [output="..."]. */
  output(text: string): void {
    this.emit(formatOutput(text));
  }

  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const held = this.held;
    this.held = undefined;
    if (held?.length) this.write(`${held.join('\n')}\n`);
  }

  get isHeld(): boolean {
    return this.held !== undefined;
  }

  text(): string {
    return this.lines.length ? `${this.lines.join('\n')}\n` : '';
  }
}
