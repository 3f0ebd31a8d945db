#!/usr/bin/env node
// The freeze watchdog alone: the single executable's second program (packaging/bundle.mjs),
// what `app-snapshot-plugin __watchdog` runs there without loading the agent. A process that
// starts in a fraction of the agent's time: it is started next to every run, and a run under
// load can wait for it before its first freeze.
import { runWatchdog } from '../freeze/watchdog.js';

runWatchdog().then(
  (code) => process.exit(code),
  () => process.exit(255),
);
