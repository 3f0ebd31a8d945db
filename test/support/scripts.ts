import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes pre/post scripts that leave evidence (marker files) in `dir`. */
export function vendorStyleScripts(
  dir: string,
  o: { preExit?: number; postExit?: number; preBody?: string } = {},
) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const evidence = join(dir, 'evidence');
  const pre = join(dir, 'prescript.sh');
  const post = join(dir, 'postscript.sh');
  writeFileSync(
    pre,
    `echo "[INFO]:Begin to freeze app."\necho pre >> ${evidence}\n${o.preBody ?? ''}\nexit ${o.preExit ?? 0}\n`,
  );
  writeFileSync(
    post,
    `#!/bin/bash\necho "[INFO]:Finish thaw app."\necho post >> ${evidence}\nexit ${o.postExit ?? 0}\n`,
  );
  chmodSync(pre, 0o700);
  chmodSync(post, 0o700);
  chownSync(pre, 0, 0);
  chownSync(post, 0, 0);
  return { pre, post, evidence };
}
