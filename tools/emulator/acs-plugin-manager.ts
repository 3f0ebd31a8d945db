#!/usr/bin/env node
// The emulator's acs-plugin-manager: what a Cloud Assistant command line reaches on an emulated
// instance. It splits its arguments as the real one does (plugin-manager.ts), runs the agent
// (APP_SNAPSHOT_EMULATOR_AGENT: a JSON argv, e.g. ["node","dist/cli/main.js"]) without a
// shell, passes its output through, and on the plugin timeout SIGKILLs the agent alone and
// exits 247. Only `--exec --plugin app-snapshot-plugin` is known.
import { spawn } from 'node:child_process';
import { EXECUTE_TIMEOUT, PLUGIN_TIMEOUT_S, pluginArgvFromWords } from './plugin-manager.js';

const words = ['acs-plugin-manager', ...process.argv.slice(2)];
const plugin = words[words.indexOf('--plugin') + 1];
if (!words.includes('--exec') || plugin !== 'app-snapshot-plugin') {
  process.stdout.write(
    `ExecutePluginOnlineOrLocal PACKAGE_NOT_FOUND: Could not found both local and online, package[${plugin ?? ''}] version[]\n`,
  );
  process.exit(234);
}
const agent = JSON.parse(process.env.APP_SNAPSHOT_EMULATOR_AGENT ?? '[]') as string[];
const child = spawn(agent[0]!, [...agent.slice(1), ...pluginArgvFromWords(words)], {
  stdio: ['ignore', 'inherit', 'inherit'],
});
let timedOut = false;
const timer = setTimeout(() => {
  timedOut = true;
  child.kill('SIGKILL');
}, PLUGIN_TIMEOUT_S * 1000);
child.on('error', (e) => {
  process.stdout.write(`ExecutePlugin EXECUTE_FAILED: ${e.message}\n`);
  process.exit(246);
});
child.on('close', (code) => {
  clearTimeout(timer);
  process.exit(timedOut ? EXECUTE_TIMEOUT : (code ?? 255));
});
