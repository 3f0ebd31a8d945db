// How a checked script is started without exec'ing the file itself. The private copy lives in
// the state directory, and /run (Debian, Ubuntu), /tmp and /var/tmp (CIS-hardened hosts) are
// often mounted noexec: execve() of the copy fails there with EACCES. So we do what the
// kernel's binfmt_script would do: start the interpreter named on the "#!" line, with its one
// optional argument and the copy's path. The interpreter only reads the copy, which noexec
// allows, and what runs is still exactly the bytes that were checked (invariant 5).

/** The kernel reads at most this much of the first line (BINPRM_BUF_SIZE). */
const FIRST_LINE_MAX = 256;

export type Launch =
  | { readonly ok: true; readonly file: string; readonly args: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/**
 * The command that runs `copy` whose bytes are `content`. A "#!" line is honoured like the
 * kernel does: the interpreter up to the first blank, then everything after it (trimmed) as
 * ONE argument, e.g. "#!/usr/bin/env python3" or "#!/bin/bash -eu". Without "#!" the script
 * runs with `fallbackShell` (bash where it exists, like the vendor's examples).
 */
export function launchFor(content: Buffer, copy: string, fallbackShell: string): Launch {
  if (content.subarray(0, 2).toString('latin1') !== '#!') {
    return { ok: true, file: fallbackShell, args: [copy] };
  }
  const head = content.subarray(2, FIRST_LINE_MAX).toString('latin1');
  const nl = head.indexOf('\n');
  if (nl < 0 && content.length > FIRST_LINE_MAX) {
    return { ok: false, reason: `its #! line is longer than ${FIRST_LINE_MAX} bytes` };
  }
  const line = (nl < 0 ? head : head.slice(0, nl)).replace(/^[ \t]+/, '').replace(/[ \t]+$/, '');
  const cut = line.search(/[ \t]/);
  // Stryker disable next-line EqualityOperator: the line was trimmed, so a blank is never at 0
  const interpreter = cut < 0 ? line : line.slice(0, cut);
  // Stryker disable next-line EqualityOperator,Regex: the same; and the slice starts with its blanks
  const arg = cut < 0 ? '' : line.slice(cut).replace(/^[ \t]+/, '');
  if (!interpreter) return { ok: false, reason: 'its #! line names no interpreter' };
  if (interpreter.endsWith('\r')) {
    return {
      ok: false,
      reason: `its #! line ends with a carriage return (DOS line endings): the interpreter "${interpreter.replace(/\r$/, '\\r')}" does not exist`,
    };
  }
  if (!interpreter.startsWith('/')) {
    return { ok: false, reason: `its #! interpreter "${interpreter}" is not an absolute path` };
  }
  return { ok: true, file: interpreter, args: arg ? [arg, copy] : [copy] };
}
