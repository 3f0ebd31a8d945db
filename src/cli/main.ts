#!/usr/bin/env node
// Entry point and the only caller of process.exit. No top-level await: the same file is
// bundled to CommonJS for the single-executable build.

async function entry(argv: string[]): Promise<number> {
  if (argv[0] === '__watchdog') {
    // The freeze watchdog: loaded alone, nothing else, so it starts fast and stays small.
    const { runWatchdog } = await import('../freeze/watchdog.js');
    return runWatchdog();
  }
  const { main } = await import('./cli.js');
  return main(argv);
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
