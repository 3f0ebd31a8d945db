import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** ECS-shaped resource ids: ssg-…, s-…, d-… with 20 lowercase alphanumerics. */
export function newId(prefix: 'ssg' | 's' | 'd'): string {
  const bytes = randomBytes(20);
  let s = '';
  for (const b of bytes) s += ALPHABET[b % ALPHABET.length];
  return `${prefix}-${s}`;
}
