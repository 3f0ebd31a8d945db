import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The one RunCommand line of the README's "Quick start: one ECS instance" section: the guest VM
 * suite runs exactly what a reader copies. Throws if the section or its line is gone.
 */
export function quickStartCommand(
  readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8'),
): string {
  const section = /^## Quick start: one ECS instance[^\n]*\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  const lines = [...(section ?? '').matchAll(/^acs-plugin-manager --exec [^\n]+$/gm)].map(
    (m) => m[0],
  );
  if (lines.length !== 1)
    throw new Error(
      `README: expected one acs-plugin-manager line in the ECS quick start, found ${lines.length}`,
    );
  return lines[0]!;
}
