import { ParamsError } from '../errors/errors.js';
import { findParam, type ParamSpec } from './schema.js';
import { ShlexError, splitPluginParams } from './shlex.js';

export interface RawParam {
  readonly spec: ParamSpec;
  /** The spelling the user typed, for error messages. */
  readonly key: string;
  readonly value: string;
}

export interface ExtractedWords {
  readonly params: RawParam[];
  /** Words that are not run parameters: left to the command-line parser. */
  readonly rest: string[];
}

const PARAMS_WORD = /^--?params(?:=(.*))?$/is;

/**
 * Picks the run parameters out of argv in all three spellings: Go-flag words as the plugin
 * manager passes them (`-Name=x`, `-Name x`, bool `-EnableFsFreeze`), long flags
 * (`--name x`, `--pre-script-path=/p`) and one `--params=` string split the plugin
 * manager's way. Everything else is returned untouched in `rest`.
 */
export function extractParams(words: readonly string[]): ExtractedWords {
  const params: RawParam[] = [];
  const rest: string[] = [];
  let i = 0;
  while (i < words.length) {
    const word = words[i]!;
    if (word === '--') {
      rest.push(...words.slice(i));
      break;
    }
    const pm = PARAMS_WORD.exec(word);
    if (pm) {
      let str = pm[1];
      if (str === undefined) {
        str = words[i + 1];
        if (str === undefined) throw new ParamsError('--params needs a value', 'params');
        i++;
      }
      let inner: string[];
      try {
        inner = splitPluginParams(str);
      } catch (e) {
        throw new ParamsError(`--params: ${(e as ShlexError).message}`, 'params');
      }
      const nested = extractParams(inner);
      if (nested.rest.length) {
        throw new ParamsError(`--params: unknown parameter or stray word '${nested.rest[0]}'`);
      }
      params.push(...nested.params);
      i++;
      continue;
    }
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(word);
    const spec = m && !/^-\d/.test(word) ? findParam(m[1]!) : undefined;
    if (!m || !spec) {
      rest.push(word);
      i++;
      continue;
    }
    const key = m[1]!;
    let value = m[2];
    i++;
    if (value === undefined) {
      if (spec.type === 'bool') value = 'true';
      else {
        value = words[i];
        if (value === undefined) throw new ParamsError(`-${spec.name} needs a value`, spec.name);
        i++;
      }
    }
    // A comma list such as -ExcludeDiskId=d-1,d-2 reaches us as two words after the plugin
    // manager's split: bare words right after a list parameter continue its value.
    if (spec.type === 'list') {
      while (i < words.length && !words[i]!.startsWith('-')) value += `,${words[i++]}`;
    }
    params.push({ spec, key, value });
  }
  return { params, rest };
}
