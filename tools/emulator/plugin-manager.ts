// What acs-plugin-manager does with its command line, as the vendor's code does it
// (github.com/aliyun/aliyun_assist_client, acspluginmanager/: flag/flag.go, the vendored
// aliyun-cli parser, and the exec with its timeout): `--params` has every separator replaced by a
// space and is shlex-split (errors ignored), `--paramsV2` is shlex-split only; the plugin is
// exec'd without a shell, stdout and stderr merged; on its timeout the plugin process alone
// is SIGKILLed and the exit code is 247. Shared by the test harness and the emulator's
// stand-in (acs-plugin-manager.ts).
import { spawn } from 'node:child_process';
import { shlexSplit, splitPluginParams } from '../../src/params/shlex.js';

export const OUTPUT_QUOTA = 24 * 1024;
export const EXECUTE_TIMEOUT = 247;
/** Our plugin's config.json timeout (packaging/build.mjs). */
export const PLUGIN_TIMEOUT_S = 3900;

/** The plugin's argv from acs-plugin-manager's own argv (after the shell split it). */
export function pluginArgvFromWords(argv: readonly string[]): string[] {
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

/** The plugin's argv for a RunShellScript line (the shell's split modelled by shlex). */
export function pluginArgv(commandContent: string): string[] {
  return pluginArgvFromWords(shlexSplit(commandContent));
}

/**
 * acs-plugin-manager's own run, from its argv (without argv0): only `--exec --plugin
 * app-snapshot-plugin` is known (234 otherwise, as the real one answers an unknown package); the
 * plugin (`agent`, an argv) is exec'd without a shell with stdout and stderr passed through; on
 * the plugin timeout the plugin alone is SIGKILLed and the answer is 247. Resolves with the exit
 * code acs-plugin-manager gives. Used by the host stand-in and by the guest VM's (tools/vm).
 */
export function execPlugin(args: readonly string[], agent: readonly string[]): Promise<number> {
  const words = ['acs-plugin-manager', ...args];
  const plugin = words[words.indexOf('--plugin') + 1];
  if (!words.includes('--exec') || plugin !== 'app-snapshot-plugin') {
    process.stdout.write(
      `ExecutePluginOnlineOrLocal PACKAGE_NOT_FOUND: Could not found both local and online, package[${plugin ?? ''}] version[]\n`,
    );
    return Promise.resolve(234);
  }
  return new Promise((resolve) => {
    const child = spawn(agent[0]!, [...agent.slice(1), ...pluginArgvFromWords(words)], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, PLUGIN_TIMEOUT_S * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      process.stdout.write(`ExecutePlugin EXECUTE_FAILED: ${e.message}\n`);
      resolve(246);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(timedOut ? EXECUTE_TIMEOUT : (code ?? 255));
    });
  });
}
