// The one test executable the guest image carries (compiled by Bun, as the agent is, so the
// guest needs no Node): `asp-guest assistant` is the guest's Cloud Assistant service,
// `asp-guest acs-plugin-manager ARGS` is the acs-plugin-manager stand-in (the same code as the
// emulator's host-side one: tools/emulator/plugin-manager.ts) running the installed agent.
import { execPlugin } from '../emulator/plugin-manager.js';
import { assistant } from './assistant.js';

const [mode, ...args] = process.argv.slice(2);
if (mode === 'assistant') void assistant();
else if (mode === 'acs-plugin-manager')
  void execPlugin(args, [
    process.env.APP_SNAPSHOT_EMULATOR_AGENT_PATH ?? '/usr/bin/app-snapshot-plugin',
  ]).then((code) => (process.exitCode = code));
else {
  process.stderr.write('usage: asp-guest assistant | asp-guest acs-plugin-manager ARGS\n');
  process.exitCode = 2;
}
