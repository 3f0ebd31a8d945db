import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type OutputMode = 'text' | 'json' | 'invocation';

/** What the control plane keeps of a long output: the tail (24 KB), and how much was cut. */
export const INVOCATION_TAIL_BYTES = 24 * 1024;

export function invocationResult(
  exitCode: number,
  text: string,
): { ExitCode: number; Output: string; Dropped: number } {
  const buf = Buffer.from(text, 'utf8');
  const kept = buf.subarray(Math.max(0, buf.length - INVOCATION_TAIL_BYTES));
  return { ExitCode: exitCode, Output: kept.toString('base64'), Dropped: buf.length - kept.length };
}

/** base64 (or a JSON invocation result holding it) back to readable text. */
export function decodeOutput(input: string): string {
  const trimmed = input.trim();
  if (trimmed.startsWith('{')) {
    const obj = JSON.parse(trimmed) as { Output?: string };
    return Buffer.from(obj.Output ?? '', 'base64').toString('utf8');
  }
  return Buffer.from(trimmed, 'base64').toString('utf8');
}

/** The full log of a run, written after thaw; returns its path. */
export function writeRunLog(logDir: string, text: string, now = new Date()): string {
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const path = join(logDir, `app-snapshot-plugin-${stamp}-${process.pid}.log`);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}
