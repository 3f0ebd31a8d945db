// Runs the built agent the way Cloud Assistant does (as the vendor documents the plugin manager):
// the RunShellScript's shell removes quotes; acs-plugin-manager takes --params, replaces every
// separator by a space and shlex-splits it (errors ignored), execs the plugin without a shell
// with stdout and stderr merged, SIGKILLs the plugin process alone on timeout (exit 247),
// and the control plane returns the output's tail (24 KB) base64-encoded with Dropped.
import { spawn } from 'node:child_process';
import { EXECUTE_TIMEOUT, OUTPUT_QUOTA, pluginArgv } from '../../tools/emulator/plugin-manager.js';
import { agentArgv } from './lab.js';

export { EXECUTE_TIMEOUT, OUTPUT_QUOTA, pluginArgv };

export interface Invocation {
  ExitCode: number;
  Output: string;
  Dropped: number;
  /** Test conveniences: the decoded output and the plugin's pid. */
  text: string;
  pid: number;
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
