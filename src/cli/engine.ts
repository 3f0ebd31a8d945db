// The one place that assembles the engine a command talks to: the engine the parameters name
// (engines/index.ts builds it), then its wrappers, innermost first: a cluster participant when
// `cluster run` set -ClusterCoordinator (the group is the coordinator's), then a tool's hook
// (tools/faulty-agent.ts injects faults). Commands take what this returns and nothing else.
import { ParticipantEngine } from '../cluster/participant.js';
import { createEngine, type EngineConfig } from '../engines/index.js';
import type { SnapshotEngine } from '../engines/types.js';
import type { Params } from '../params/index.js';
import { systemRunner } from '../system/runner.js';
import type { AgentHooks } from './context.js';

export interface Assembled {
  readonly engine: SnapshotEngine;
  /** Set in participant mode: told the run's result once it is known. */
  readonly participant?: ParticipantEngine;
}

type EngineParams = Pick<Params, 'engine' | 'pool' | 'ramRoleName' | 'timeoutInSeconds'>;
type ParticipantParams = Pick<
  Params,
  'clusterCoordinator' | 'clusterFingerprint' | 'scriptTimeoutInSeconds'
>;

export function assembleEngine(
  params: EngineParams & Partial<ParticipantParams>,
  config: { engine?: EngineConfig; clusterToken?: string },
  hooks: AgentHooks = {},
): Assembled {
  const created = createEngine(params, { runner: systemRunner, config: config.engine ?? {} });
  const participant = params.clusterCoordinator
    ? new ParticipantEngine(created, {
        coordinator: params.clusterCoordinator,
        fingerprint: params.clusterFingerprint ?? '',
        token: config.clusterToken ?? '',
        // The other instances' pre-scripts may take this long before everyone is prepared.
        prepareTimeoutMs: (params.scriptTimeoutInSeconds ?? 0) * 1000 + 60_000,
      })
    : undefined;
  const inner = participant ?? created;
  return { engine: hooks.wrapEngine?.(inner) ?? inner, participant };
}
