// Small file helpers used across concerns.
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';

/**
 * Writes JSON so that readers see the old content or the new, never a part: a private
 * temporary file, fsync'ed (unless `durable` is false: for state that a reboot makes moot
 * anyway, such as the frozen marker), renamed into place. A failed write (ENOSPC, EROFS)
 * leaves no temporary file behind.
 */
export function writeJsonAtomic(path: string, value: unknown, durable = true): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** The file's text, or undefined if it cannot be read (missing, unreadable). */
export function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
