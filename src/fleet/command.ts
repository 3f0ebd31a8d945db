// The Cloud Assistant command that runs the agent on each instance: the documented
// `acs-plugin-manager --exec --plugin app-snapshot-plugin --params=...` line, quoted so that
// every value arrives at the agent exactly as given. Two layers split it: the RunShellScript
// shell (sh -c), then the plugin manager, which replaces every separator in --params by a
// space and shlex-splits the result (src/params/shlex.ts). So each word is shlex-quoted, the
// words are joined with a separator that occurs in no value (`,` unless a value has one; the
// plugin manager's --separator names another), and the line is quoted once more for sh.
import { ParamsError } from '../errors/errors.js';
import { extractParams } from '../params/words.js';
import { validateParams, type Params } from '../params/validate.js';

/** Separators tried in order: the documented ',' first. */
const SEPARATORS = [',', ';', '|', '+', '~', '^'];

export interface AgentCommand {
  /** The RunShellScript content. */
  readonly content: string;
  /** The agent's parameters, validated as the agent will validate them. */
  readonly params: Params;
  /** The words the agent will receive (for tests and --dry-run). */
  readonly argv: readonly string[];
}

/**
 * Builds the command from the agent parameters the operator gave (Go-flag words, e.g.
 * `-Name=x`). Validates them first: a parameter the agent would refuse is exit 2 here, before
 * any instance runs anything. A value that cannot be carried (a control character, or every
 * separator at once) is refused the same way.
 */
export function agentCommand(words: readonly string[]): AgentCommand {
  const { params: raw, rest } = extractParams(words);
  if (rest.length) throw new ParamsError(`not an agent parameter: '${rest[0]}'`);
  const params = validateParams(raw);
  const argv = raw.map((r) => `-${r.spec.name}=${r.value}`);
  for (const w of argv) {
    // The plugin manager reads its --params through a shell line: NUL cannot be in one, and
    // shlex treats newlines and tabs as spaces outside quotes; other controls are never meant.
    if (/[\u0000-\u001f\u007f]/.test(w))
      throw new ParamsError(
        `${w.split('=')[0]}: a control character cannot be passed to the agent`,
      );
  }
  const separator = SEPARATORS.find((s) => argv.every((w) => !w.includes(s)));
  if (!separator)
    throw new ParamsError(
      `the values use every separator the plugin manager can be given (${SEPARATORS.join(' ')})`,
    );
  const params_ = argv.map(shlexQuote).join(separator);
  const sepArg = separator === ',' ? '' : ` --separator ${shQuote(separator)}`;
  const content = `acs-plugin-manager --exec --plugin app-snapshot-plugin${sepArg} --params ${shQuote(params_)}`;
  return { content, params, argv };
}

/** Quoted for google/shlex: plain words as they are, anything else in single quotes. */
export function shlexQuote(word: string): string {
  if (/^[A-Za-z0-9_\-=.,/:@%+]+$/.test(word) && !word.startsWith('#')) return word;
  // Single quotes are literal in shlex; a single quote itself goes in double quotes.
  return word
    .split("'")
    .map((part) => (part ? `'${part}'` : ''))
    .join(`"'"`);
}

/** Quoted for POSIX sh (the RunShellScript shell). */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
