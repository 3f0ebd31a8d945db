// Scripts are untrusted input: /tmp is world-writable. We open without following links,
// check the open file (not the path), and keep exactly the bytes we checked.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

export const MAX_SCRIPT_BYTES = 1024 * 1024;

export type ScriptCheck =
  | { readonly ok: true; readonly path: string; readonly content: Buffer }
  | { readonly ok: false; readonly path: string; readonly reason: string };

/** Checks one script path per invariant 5. Never throws: a bad script is a reason, not a crash. */
export function checkScript(path: string, ownerUid = 0): ScriptCheck {
  const bad = (reason: string): ScriptCheck => ({ ok: false, path, reason });
  if (!path.startsWith('/')) return bad('the path must be absolute');
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO planted at the path must not hang us (Node adds O_CLOEXEC).
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return bad('the file does not exist');
    if (code === 'ELOOP') return bad('the path is a symbolic link');
    return bad(`cannot open it (${code ?? String(e)})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return bad('it is not a regular file');
    if (st.uid !== ownerUid) {
      return bad(
        `it is owned by uid ${st.uid}, not ${ownerUid === 0 ? 'root' : `uid ${ownerUid}`}`,
      );
    }
    const mode = st.mode & 0o7777;
    if (mode !== 0o700) return bad(`its mode is ${mode.toString(8).padStart(4, '0')}, not 0700`);
    if (st.nlink !== 1) return bad(`it has ${st.nlink} hard links, not 1`);
    if (st.size > MAX_SCRIPT_BYTES) return bad(`it is larger than ${MAX_SCRIPT_BYTES} bytes`);
    const content = Buffer.alloc(st.size);
    let off = 0;
    // Partial and short reads (a file shrinking while it is read) cannot be made to happen in a
    // test: the loop's own mutants are marked.
    // Stryker disable next-line EqualityOperator: see above
    while (off < st.size) {
      // Stryker disable next-line ArithmeticOperator: see above
      const n = readSync(fd, content, off, st.size - off, off);
      // Stryker disable next-line ConditionalExpression: see above
      if (n === 0) break;
      off += n;
    }
    return { ok: true, path, content: content.subarray(0, off) };
  } finally {
    closeSync(fd);
  }
}
