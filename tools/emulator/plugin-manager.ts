// What acs-plugin-manager does with its command line, as the vendor's code does it (see
// ../shared/reference/alibaba-api.md §1.3-1.6): `--params` has every separator replaced by a
// space and is shlex-split (errors ignored), `--paramsV2` is shlex-split only; the plugin is
// exec'd without a shell, stdout and stderr merged; on its timeout the plugin process alone
// is SIGKILLed and the exit code is 247. Shared by the test harness and the emulator's
// stand-in (acs-plugin-manager.ts).
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
