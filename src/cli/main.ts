#!/usr/bin/env node
// Entry point and the only caller of process.exit.

const argv = process.argv.slice(2);
if (argv[0] === '__watchdog') {
  // The freeze watchdog: loaded alone, nothing else, so it starts fast and stays small.
  const { runWatchdog } = await import('../freeze/watchdog.js');
  process.exit(await runWatchdog());
} else {
  const { main } = await import('./cli.js');
  const code = await main(argv);
  process.exit(code);
}
