#!/usr/bin/env node
// Entry point and the only caller of process.exit.
import { agentEntry } from './entry.js';

agentEntry(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(
      `app-snapshot-plugin: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`,
    );
    process.exit(255);
  },
);
