// External tools, found and run the same way whatever the caller's environment. The cloud
// assistant starts the agent from a systemd service: PATH may lack /usr/sbin, HOME may be
// unset, LANG may be zh_CN.UTF-8. So tools are looked up by absolute path in a fixed list
// first, and run with LC_ALL=C wherever their output or errors are read.

import { accessSync, constants } from 'node:fs';

/** Searched in this order, then the caller's PATH: the distribution's tools win. */
export const TOOL_DIRS = [
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
  '/usr/local/sbin',
  '/usr/local/bin',
];

/** Whether this process may execute the file (access(2) with X_OK). */
export function canExec(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of an executable `name`, or undefined. */
export function findTool(
  name: string,
  env: NodeJS.ProcessEnv,
  executable: (path: string) => boolean = canExec,
): string | undefined {
  const dirs = [...TOOL_DIRS, ...(env.PATH ?? '').split(':')];
  for (const d of dirs) {
    if (d.startsWith('/') && executable(`${d}/${name}`)) return `${d}/${name}`;
  }
  return undefined;
}

/** `env` with the standard system directories appended to PATH where they are missing. */
export function withSystemPath(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const have = (env.PATH ?? '').split(':').filter(Boolean);
  const path = [...have, ...TOOL_DIRS.filter((d) => !have.includes(d))].join(':');
  return { ...env, PATH: path };
}

/** The environment for a tool whose output or error text we read: messages in English. */
export function toolEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { LANGUAGE: _language, ...rest } = withSystemPath(env);
  return { ...rest, LC_ALL: 'C', LANG: 'C' };
}
