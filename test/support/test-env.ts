// Every test file (vitest setupFiles): the agents it starts inherit this process's environment,
// and must not add to this machine's own run history or metrics. A file that checks them
// passes its own directories.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const dataDir = mkdtempSync(join(tmpdir(), 'asp-data-'));
process.env.APP_SNAPSHOT_DATA_DIR = dataDir;
process.env.APP_SNAPSHOT_METRICS_DIR = join(dataDir, 'no-node-exporter-here');
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
