#!/usr/bin/env node
// Entry point and the only caller of process.exit. No top-level await: the same file is
// bundled to CommonJS for the single-executable build.

async function entry(argv: string[]): Promise<number> {
  if (argv[0] === '__watchdog') {
    // The freeze watchdog: loaded alone, nothing else, so it starts fast and stays small.
    const { runWatchdog } = await import('../freeze/watchdog.js');
    return runWatchdog();
  }
  // A snapshot run starts its watchdog now, before loading the rest of the agent.
  const { looksLikeSnapshot, selfCommand } = await import('../freeze/self-command.js');
  let watchdog;
  if (looksLikeSnapshot(argv)) {
    const { systemRunner } = await import('../system/runner.js');
    const self = selfCommand();
    watchdog = systemRunner.spawnHelper(self.file, self.args);
  }
  try {
    const { main } = await import('./cli.js');
    return await main(argv, undefined, watchdog);
  } finally {
    watchdog?.stdin.end(); // unused or done: its pipe closes, it exits
  }
}

entry(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(
      `app-snapshot-plugin: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`,
    );
    process.exit(255);
  },
);
