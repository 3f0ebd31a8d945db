// Shell-style word splitting as github.com/google/shlex does it (the plugin manager's
// splitter): whitespace separates words, '...' is literal, "..." allows \" and \\ escapes,
// a backslash outside quotes escapes the next character, '#' starting a word comments out
// the rest of the line.

export class ShlexError extends Error {}

export function shlexSplit(input: string, lenient = false): string[] {
  const words: string[] = [];
  try {
    return split(input, words);
  } catch (e) {
    // google/shlex's error is ignored by the plugin manager: the words so far are used.
    if (lenient) return words;
    throw e;
  }
}

function split(input: string, words: string[]): string[] {
  let i = 0;
  const n = input.length;
  const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  while (i < n) {
    while (i < n && isSpace(input[i]!)) i++;
    if (i >= n) break;
    if (input[i] === '#') {
      while (i < n && input[i] !== '\n') i++;
      continue;
    }
    let word = '';
    while (i < n && !isSpace(input[i]!)) {
      const c = input[i]!;
      if (c === "'") {
        const end = input.indexOf("'", i + 1);
        if (end < 0) throw new ShlexError('unterminated single quote');
        word += input.slice(i + 1, end);
        i = end + 1;
      } else if (c === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new ShlexError('unterminated double quote');
          const d = input[i]!;
          if (d === '"') {
            i++;
            break;
          }
          if (d === '\\' && i + 1 < n && (input[i + 1] === '"' || input[i + 1] === '\\')) {
            word += input[i + 1];
            i += 2;
            continue;
          }
          word += d;
          i++;
        }
      } else if (c === '\\') {
        if (i + 1 >= n) throw new ShlexError('trailing backslash');
        word += input[i + 1];
        i += 2;
      } else {
        word += c;
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

/** The plugin manager's `--params` handling: every separator becomes a space, then shlex. */
export function splitPluginParams(params: string, separator = ',', lenient = false): string[] {
  return shlexSplit(params.split(separator).join(' '), lenient);
}
