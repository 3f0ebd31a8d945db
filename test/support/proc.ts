import { readFileSync } from 'node:fs';

/** True once `pid` has exited (gone, or a zombie waiting for its new parent to reap it). */
export async function dies(pid: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    let state = 'gone';
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      // gone
    }
    if (state === 'gone' || state === 'Z') return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
