import { ParamsError } from '../errors/errors.js';

/** "512M", "1G", "300m", "1048576" -> bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+)([kmgt]?)i?b?$/i.exec(text.trim());
  if (!m) throw new ParamsError(`bad --size '${text}' (examples: 320M, 1G)`);
  const mult = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase()]!;
  return Number(m[1]) * mult;
}
