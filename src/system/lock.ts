// One run at a time. The lock file is created with its content in one atomic step (written
// to a private temporary file, then link()ed to the lock name), so no reader ever sees an
// empty or half-written lock from a live run. Node has no flock(); this is the portable way.
import {
  closeSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { AgentError } from '../errors/errors.js';
import { isAlive, processStartTime } from './process.js';

type LockState =
  | { readonly kind: 'none' }
  | { readonly kind: 'live'; readonly pid: number; readonly content: string }
  | { readonly kind: 'dead'; readonly content: string }
  /** Empty or garbled: never taken for a dead owner's (see acquireLock). */
  | { readonly kind: 'unreadable'; readonly why: string };

function readLock(path: string): LockState {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { kind: 'none' } : { kind: 'unreadable', why: String(code) };
  }
  const m = /^(\d+) (\d+)\n$/.exec(content);
  if (!m) return { kind: 'unreadable', why: content ? 'garbled' : 'empty' };
  const pid = Number(m[1]);
  return isAlive(pid, m[2]) ? { kind: 'live', pid, content } : { kind: 'dead', content };
}

/** The pid of a live run holding the lock, if any. */
export function lockHolder(stateDir: string): number | undefined {
  const s = readLock(join(stateDir, 'lock'));
  return s.kind === 'live' ? s.pid : undefined;
}

export interface Lock {
  /** Still ours: nobody took it over (checked before the frozen marker is written). */
  held(): boolean;
  release(): void;
}

const busy = (path: string, why: string) =>
  new AgentError('SnapshotInProgress', `another app-snapshot-plugin run ${why}; lock ${path}`);

/** Writes `content` to a new private file next to `path`; returns its name. */
function tempWith(path: string, content: string): string {
  // Stryker disable next-line MethodExpression: any suffix unique to this attempt will do
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, content);
  } catch (e) {
    closeSync(fd);
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: the file was just created; force changes nothing
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  return tmp;
}

/**
 * Takes the lock or throws SnapshotInProgress (16). A lock whose owner is dead is taken over:
 * it is renamed away (atomic: we move exactly one file), and if what we moved turns out to
 * be a live run's fresh lock, it is put back. An empty or unreadable lock is never "dead".
 */
export function acquireLock(stateDir: string): Lock {
  ensureStateDir(stateDir);
  const path = join(stateDir, 'lock');
  // Stryker disable next-line StringLiteral: /proc/self/stat always has a start time on Linux
  const me = `${process.pid} ${processStartTime(process.pid) ?? '0'}\n`;
  let tmp: string;
  try {
    tmp = tempWith(path, me);
  } catch (e) {
    // Full, read-only or otherwise unwritable: say so before anything runs.
    throw stateDirProblem(stateDir, 'write the lock in', e);
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(tmp, path);
        return ownLock(path, me);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw stateDirProblem(stateDir, 'create the lock in', e);
        }
      }
      const state = readLock(path);
      if (state.kind === 'live') throw busy(path, `(pid ${state.pid}) is in progress`);
      if (state.kind === 'unreadable') {
        throw busy(
          path,
          `may be starting: the lock file is ${state.why}; if no run is in progress, remove it`,
        );
      }
      if (state.kind === 'dead') takeOver(path, state.content);
    }
    throw busy(path, 'keeps taking the lock');
  } finally {
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: the temporary file exists here; force changes nothing
    rmSync(tmp, { force: true });
  }
}

function takeOver(path: string, deadContent: string): void {
  const moved = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, moved);
  } catch {
    // Stryker disable next-line BlockStatement: going on finds nothing to read or put back, the same outcome
    return; // someone else moved or removed it
  }
  // Stryker disable next-line StringLiteral: any value unlike the dead lock's content reads as "not ours"
  let content = '';
  try {
    content = readFileSync(moved, 'utf8');
  } catch {
    // unreadable now: treat as not the dead lock
  }
  if (content !== deadContent) {
    // A live run's lock, created after our read: put it back, and let it win.
    try {
      linkSync(moved, path);
    } catch {
      // a third run linked its own meanwhile; the one we moved finds out with held()
    }
  }
  // Stryker disable next-line ObjectLiteral,BooleanLiteral: the moved file exists here; force changes nothing
  rmSync(moved, { force: true });
}

function ownLock(path: string, me: string): Lock {
  const held = () => {
    try {
      return readFileSync(path, 'utf8') === me;
    } catch {
      return false;
    }
  };
  return {
    held,
    release: () => {
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: held() just read the file; force changes nothing
      if (held()) rmSync(path, { force: true });
    },
  };
}

/** An unexpected failure of our own state files: exit 1 with one clear line, never 255. */
export function stateDirProblem(stateDir: string, what: string, e: unknown): AgentError {
  const code = (e as NodeJS.ErrnoException).code ?? String(e);
  const hint: Record<string, string> = {
    ENOSPC: 'the filesystem is full',
    EDQUOT: 'the disk quota is exhausted',
    EROFS: 'the filesystem is read-only',
    EACCES: 'permission denied',
  };
  return new AgentError(
    'ConditionCheckFailed',
    `cannot ${what} the state directory ${stateDir}: ${hint[code] ? `${hint[code]} (${code})` : code}`,
    { cause: e },
  );
}

/** The state directory holds script copies we run as root: it must be ours alone. */
export function ensureStateDir(stateDir: string): void {
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw stateDirProblem(stateDir, 'create', e);
  }
  const st = lstatSync(stateDir);
  const uid = process.getuid?.();
  // Stryker disable next-line ConditionalExpression: uid is undefined only on Windows
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || st.mode & 0o022) {
    throw new AgentError(
      'ConditionCheckFailed',
      `state directory ${stateDir} must be a directory owned by the agent's user and not writable by others`,
    );
  }
}
