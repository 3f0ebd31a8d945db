// What the executable does, whatever wraps it: the watchdog command, or a run whose watchdog
// is started first thing. No top-level await: the same code is bundled to CommonJS for the
// single-executable build.
import type { AgentHooks } from './context.js';

export async function agentEntry(argv: string[], hooks: AgentHooks = {}): Promise<number> {
  // A dependency's deprecated call (pop-core's url.parse, which Bun reports where Node 20 does
  // not) is a note for us, not for the operator: it must not land in the vendor log.
  process.noDeprecation = true;
  if (argv[0] === '__watchdog') {
    // The freeze watchdog: loaded alone, nothing else, so it starts fast and stays small.
    const { runWatchdog } = await import('../freeze/watchdog.js');
    return runWatchdog();
  }
  // A snapshot run starts its watchdog now, before loading the rest of the agent.
  const { looksLikeSnapshot, selfCommand } = await import('../freeze/self-command.js');
  let watchdog;
  if (looksLikeSnapshot(argv)) {
    const { systemRunner } = await import('../system/runner.js');
    const self = selfCommand();
    watchdog = systemRunner.spawnHelper(self.file, self.args);
  }
  try {
    // The plugin manager's kind of run needs no command parser (fast-snapshot.ts).
    const { fastSnapshot } = await import('./fast-snapshot.js');
    const fast = watchdog ? await fastSnapshot(argv, watchdog, hooks) : undefined;
    if (fast !== undefined) return fast;
    const { main } = await import('./cli.js');
    return await main(argv, undefined, watchdog, hooks);
  } finally {
    watchdog?.end(); // unused or done: its pipe closes, it exits
  }
}
