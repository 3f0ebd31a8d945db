// Runs the built agent the way Cloud Assistant does (as the vendor documents the plugin manager):
// the RunShellScript's shell removes quotes; acs-plugin-manager takes --params, replaces every
// separator by a space and shlex-splits it (errors ignored), execs the plugin without a shell
// with stdout and stderr merged, SIGKILLs the plugin process alone on timeout (exit 247),
// and the control plane returns the output's tail (24 KB) base64-encoded with Dropped.
import { spawn } from 'node:child_process';
import { shlexSplit, splitPluginParams } from '../../src/params/shlex.js';
import { agentArgv } from './lab.js';

export const OUTPUT_QUOTA = 24 * 1024;
export const EXECUTE_TIMEOUT = 247;

export interface Invocation {
  ExitCode: number;
  Output: string;
  Dropped: number;
  /** Test conveniences: the decoded output and the plugin's pid. */
  text: string;
  pid: number;
}

/** The argv acs-plugin-manager gives the plugin for this command line. */
export function pluginArgv(commandContent: string): string[] {
  const argv = shlexSplit(commandContent); // what the shell hands acs-plugin-manager
  if (argv[0] !== 'acs-plugin-manager') throw new Error('not an acs-plugin-manager command');
  let params: string | undefined;
  let paramsV2: string | undefined;
  let separator = ',';
  for (let i = 1; i < argv.length; i++) {
    const m = /^(--?[A-Za-z0-9]+)(?:[=:](.*))?$/s.exec(argv[i]!);
    if (!m) continue;
    const value = () => m[2] ?? argv[++i] ?? '';
    if (m[1] === '--params' || m[1] === '-p') params = value();
    else if (m[1] === '--paramsV2') paramsV2 = value();
    else if (m[1] === '--separator' || m[1] === '-s') separator = value();
  }
  if (paramsV2 !== undefined) return shlexSplit(paramsV2, true);
  return params === undefined ? [] : splitPluginParams(params, separator, true);
}

export function runCommand(
  commandContent: string,
  o: { timeoutS: number; env?: NodeJS.ProcessEnv; executable?: string | readonly string[] },
): Promise<Invocation> {
  // The plugin is exec'd without a shell: the built CLI under node, or an installed executable.
  const [file, ...pre] = o.executable ? [o.executable].flat() : agentArgv();
  return new Promise((resolve) => {
    const child = spawn(file!, [...pre, ...pluginArgv(commandContent)], {
      env: {
        ...process.env,
        ...o.env,
        PLUGIN_DIR: '/usr/local/share/aliyun-assist/plugin/app-snapshot-plugin/1.0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL'); // the plugin process only; its children live on
    }, o.timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const kept = all.subarray(Math.max(0, all.length - OUTPUT_QUOTA));
      resolve({
        ExitCode: timedOut ? EXECUTE_TIMEOUT : (code ?? 255),
        Output: kept.toString('base64'),
        Dropped: all.length - kept.length,
        text: kept.toString('utf8'),
        pid: child.pid!,
      });
    });
  });
}
