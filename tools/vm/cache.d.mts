// Types for cache.mjs (plain ESM JavaScript: image.mjs runs it with node, before any build).
export const LOCK: string;
export function mountsUnder(dir: string, mountinfo?: string): string[];
export function pruneOthers(dir: string, keep: string, log?: (message: string) => void): string[];
export function withLock(dir: string, script: string, args: string[]): number | null;
