// A marker in the state directory while filesystems may be frozen, so that a later run or
// `thaw` can undo a freeze whose agent and watchdog both died. Written before the first
// freeze and removed after the thaw: never written while anything is frozen.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { writeJsonAtomic } from '../system/files.js';
import { join } from 'node:path';

export interface FrozenMarker {
  readonly agentPid: number;
  readonly agentStart: string | undefined;
  readonly watchdogPid: number | undefined;
  readonly mounts: string[];
  readonly fsfreeze: string;
  readonly createdAt: string;
}

export function markerPath(stateDir: string): string {
  return join(stateDir, 'frozen.json');
}

export function writeMarker(stateDir: string, marker: FrozenMarker): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  // Not fsync'ed: it guards against processes dying, and a freeze does not survive a reboot;
  // an fsync here would lengthen the path to the first freeze.
  // Stryker disable next-line BooleanLiteral: fsync or not, the file is the same until the machine crashes
  writeJsonAtomic(markerPath(stateDir), marker, false);
}

export function readMarker(stateDir: string): FrozenMarker | undefined {
  try {
    return JSON.parse(readFileSync(markerPath(stateDir), 'utf8')) as FrozenMarker;
    // Stryker disable next-line BlockStatement: an empty catch returns undefined too
  } catch {
    return undefined;
  }
}

export function removeMarker(stateDir: string): void {
  // Looked up first: Bun's rmSync unlinks a missing path too (EROFS on a read-only directory).
  // Stryker disable next-line ConditionalExpression,ObjectLiteral,BooleanLiteral: the guard is for Bun's rmSync; Node's behaves the same without it
  if (existsSync(markerPath(stateDir))) rmSync(markerPath(stateDir), { force: true });
}
