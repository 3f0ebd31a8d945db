// The agent with engine faults injected, for tests and demos only (never shipped): the same
// entry point as dist/cli/main.js, with the snapshot engine wrapped. Faults come from
// APP_SNAPSHOT_LOCAL_FAULT: "create-delay=MS" holds createGroup (i.e. the frozen window)
// for MS after the group is recorded; "create-fail" makes createGroup fail.
import { agentEntry } from '../src/cli/entry.js';
import type { SnapshotEngine } from '../src/engines/types.js';

export function withFaults(engine: SnapshotEngine, fault: string): SnapshotEngine {
  const delay = Number(/create-delay=(\d+)/.exec(fault)?.[1] ?? 0);
  const fail = /create-fail/.test(fault);
  return Object.assign(Object.create(engine) as SnapshotEngine, {
    createGroup: async (req: Parameters<SnapshotEngine['createGroup']>[0]) => {
      if (fail) throw new Error('injected fault: create-fail');
      const group = await engine.createGroup(req);
      if (delay) await new Promise((r) => setTimeout(r, delay));
      return group;
    },
  });
}

const fault = process.env.APP_SNAPSHOT_LOCAL_FAULT ?? '';
agentEntry(process.argv.slice(2), { wrapEngine: (e) => withFaults(e, fault) }).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`faulty-agent: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(255);
  },
);
