// A tool whose output or errors the agent reads (losetup, mount, a database client): through
// execa, loaded on first use (it costs ~90 ms, and the path to the first freeze needs none).
import type { CommandOptions, CommandResult } from './runner.js';
import { toolEnv } from './tools.js';

export async function runTool(
  file: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const { execa } = await import('execa');
  const r = await execa(file, args, {
    // Tools whose output or errors are read: English messages, system directories on PATH.
    env: { ...toolEnv(), ...options.env },
    extendEnv: false,
    reject: false,
    timeout: options.timeoutMs,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    stripFinalNewline: true,
  });
  return {
    exitCode: r.exitCode ?? -1,
    stdout: String(r.stdout ?? ''),
    // A tool that could not start has no stderr: its spawn error says why.
    stderr: String(r.stderr || (r.failed && r.exitCode === undefined ? r.message : '') || ''),
    timedOut: r.timedOut,
  };
}
