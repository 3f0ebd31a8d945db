#!/usr/bin/env node
// Orchestrators should read as a list of short phases: no function in src/ longer than
// MAX lines, unless the comment right above it says why ("long: ...").
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const MAX = 60;
const root = join(import.meta.dirname, '..');

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

const problems = [];
for (const file of files(join(root, 'src'))) {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.end).line;
      const lines = end - start + 1;
      const comments = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
      const owner =
        node.parent && ts.isVariableDeclaration(node.parent) ? node.parent.parent.parent : node;
      const ownerComments = ts.getLeadingCommentRanges(text, owner.getFullStart()) ?? [];
      const said = [...comments, ...ownerComments].some((c) =>
        /\blong:/.test(text.slice(c.pos, c.end)),
      );
      if (lines > MAX && !said) {
        const name = node.name?.getText(sf) ?? '(anonymous)';
        problems.push(`${relative(root, file)}:${start + 1} ${name}: ${lines} lines (max ${MAX})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}
if (problems.length) {
  console.error(`functions longer than ${MAX} lines without a "long:" comment saying why:`);
  console.error(problems.map((p) => `  ${p}`).join('\n'));
  process.exit(1);
}
console.log(`function lengths ok (max ${MAX} lines, or a "long:" comment)`);
