#!/usr/bin/env node
// The emulator's acs-plugin-manager: what a Cloud Assistant command line reaches on an emulated
// instance. It splits its arguments as the real one does (plugin-manager.ts) and runs the agent
// (APP_SNAPSHOT_EMULATOR_AGENT: a JSON argv, e.g. ["node","dist/cli/main.js"]).
import { execPlugin } from './plugin-manager.js';

const agent = JSON.parse(process.env.APP_SNAPSHOT_EMULATOR_AGENT ?? '[]') as string[];
process.exitCode = await execPlugin(process.argv.slice(2), agent);
