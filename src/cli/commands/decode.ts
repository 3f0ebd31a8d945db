import type { Argv } from 'yargs';
import { decodeOutput } from '../../report/output.js';
import type { CliContext } from '../context.js';

export function registerDecode(y: Argv, ctx: CliContext): Argv {
  return y.command(
    'decode [text]',
    'Decode base64 output (or an invocation JSON) back to readable text; reads stdin without an argument',
    (y) => y.positional('text', { type: 'string' }),
    async (a) => ctx.io.out(decodeOutput(a.text ?? (await ctx.io.readStdin()))),
  );
}
