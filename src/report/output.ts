import { writeBounded } from '../system/bounded-write.js';
import { utcStamp } from './log-format.js';
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

export const LOG_WRITE_TIMEOUT_MS = 5000;

/**
 * The full log of a run, written after the thaw (and after the result is printed); returns
 * its path. A full or read-only log directory leaves no partial file; one on a filesystem
 * that someone keeps frozen does not keep the agent from exiting (see writeBounded).
 */
export async function writeRunLog(
  logDir: string,
  text: string,
  now = new Date(),
  timeoutMs = LOG_WRITE_TIMEOUT_MS,
): Promise<string> {
  const stamp = utcStamp(now, '-');
  const path = join(logDir, `app-snapshot-plugin-${stamp}-${process.pid}.log`);
  const r = await writeBounded(path, text, timeoutMs);
  if (!r.ok) {
    throw new Error(
      r.timedOut
        ? `${logDir} took no write within ${timeoutMs} ms (is its filesystem frozen?); the log will be written when it thaws`
        : r.error,
    );
  }
  return path;
}
