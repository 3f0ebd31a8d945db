import {
  closeSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { AgentError } from '../report/errors.js';

/** A process's identity that survives pid reuse: pid plus its start time in clock ticks. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 counted after the ")" that closes the command name.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number, startTime?: string): boolean {
  const st = processStartTime(pid);
  return st !== undefined && (startTime === undefined || st === startTime);
}

interface LockFile {
  /** A live run holding the lock, if any. */
  readonly holder: number | undefined;
  /** Inode of the file read: a stale lock is removed only if it is still that file. */
  readonly ino: number;
}

function readLock(path: string): LockFile | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const [pid, start] = readFileSync(fd, 'utf8').trim().split(' ');
    const holder = pid && isAlive(Number(pid), start || undefined) ? Number(pid) : undefined;
    return { holder, ino: fstatSync(fd).ino };
  } finally {
    closeSync(fd);
  }
}

/** The pid of a live run holding the lock, if any. */
export function lockHolder(stateDir: string): number | undefined {
  return readLock(join(stateDir, 'lock'))?.holder;
}

export interface Lock {
  release(): void;
}

/**
 * One run at a time: an O_EXCL lock file holding pid and start time. A lock left by a dead
 * process is taken over (Node has no flock; this is the portable equivalent).
 */
export function acquireLock(stateDir: string): Lock {
  ensureStateDir(stateDir);
  const path = join(stateDir, 'lock');
  const me = `${process.pid} ${processStartTime(process.pid) ?? ''}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, me);
      closeSync(fd);
      return {
        release: () => {
          try {
            if (readFileSync(path, 'utf8') === me) unlinkSync(path);
          } catch {
            // gone already
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const lock = readLock(path);
      if (lock?.holder !== undefined) {
        throw new AgentError(
          'SnapshotInProgress',
          `another app-snapshot-plugin run (pid ${lock.holder}) is in progress; lock ${path}`,
        );
      }
      try {
        // Stale (its owner is dead): remove it, unless another run replaced it meanwhile.
        if (lock && lstatSync(path).ino === lock.ino) unlinkSync(path);
      } catch {
        // someone else removed it
      }
    }
  }
  throw new AgentError('SnapshotInProgress', `could not take the lock ${path}`);
}

/** The state directory holds script copies we execute as root: it must be ours alone. */
export function ensureStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const st = lstatSync(stateDir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || st.mode & 0o022) {
    throw new AgentError(
      'ConditionCheckFailed',
      `state directory ${stateDir} must be a directory owned by the agent's user and not writable by others`,
    );
  }
}
