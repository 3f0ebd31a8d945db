// npm run docs / docs:check: regenerate or verify the README's generated tables.
import { docsCommand } from './docs.js';

const [flag, file = 'README.md'] = process.argv.slice(2);
const r = docsCommand(file, flag === '--write' ? 'write' : 'check');
(r.ok ? process.stdout : process.stderr).write(`${r.message}\n`);
process.exitCode = r.ok ? 0 : 1;
