// npm run docs / docs:check: regenerate or verify the documentation's generated tables (README,
// ARCHITECTURE.md, docs/), its relative links, and that every page is reachable from the README.
import { docsCommand } from './docs.js';

const [flag, root = '.'] = process.argv.slice(2);
const r = docsCommand(root, flag === '--write' ? 'write' : 'check');
(r.ok ? process.stdout : process.stderr).write(`${r.message}\n`);
process.exitCode = r.ok ? 0 : 1;
