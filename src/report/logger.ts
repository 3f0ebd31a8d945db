import { formatLine, formatOutput, type LineFields } from './log-format.js';

export type Write = (text: string) => void;

/**
 * The run log. Every line is kept (for the log file, written after thaw) and passed to
 * `write` (stdout by default) unless held: between freeze and thaw nothing may touch a
 * possibly frozen filesystem, and stdout may be a file on one, so lines wait in memory.
 * A line is formatted and delivered synchronously, in order (log-format.ts is the vendor's
 * format): no logging library, whose loading alone cost more start-up than the whole run.
 */
export class RunLog {
  readonly lines: string[] = [];
  private held: string[] | undefined;

  constructor(private readonly write: Write) {}

  private emit(text: string): void {
    this.lines.push(text);
    if (this.held) this.held.push(text);
    else this.write(`${text}\n`);
  }

  info(message: string, fields: { snapshotgroup?: string } = {}): void {
    this.line({ level: 'info', message, ...fields });
  }

  warn(message: string): void {
    this.line({ level: 'warn', message });
  }

  error(message: string, fields: { snapshotgroup?: string } = {}): void {
    this.line({ level: 'error', message, ...fields });
  }

  private line(l: LineFields): void {
    this.emit(formatLine(l));
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
