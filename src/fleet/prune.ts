// `fleet prune`: the retention policy over several instances' groups, from the operator's side
// with the operator's credentials (DescribeSnapshotGroups, DeleteSnapshotGroup): nothing runs
// on the instances. No instance lock can be taken from here; a group still in progress is never
// removed, so a run making one meanwhile loses nothing.
import { allSnapshotGroups, type EcsApi } from '../cloud/index.js';
import { checkDeleted, toGroup, type ApiGroup } from '../engines/ecs/engine.js';
import type { KeepPolicy } from '../retention/policy.js';
import { prune, type PruneEngine, type PruneReport } from '../retention/prune.js';

/** One instance's groups, as prune sees an engine. */
export function instanceGroups(api: EcsApi, regionId: string, instanceId: string): PruneEngine {
  return {
    listGroups: async () =>
      (await allSnapshotGroups<ApiGroup>(api, { RegionId: regionId, InstanceId: instanceId })).map(
        toGroup,
      ),
    deleteGroup: async (id) =>
      checkDeleted(
        id,
        await api.call('DeleteSnapshotGroup', { RegionId: regionId, SnapshotGroupId: id }),
      ),
  };
}

export interface InstancePrune {
  readonly instanceId: string;
  readonly report?: PruneReport;
  /** The instance's groups could not be listed: nothing was deleted there. */
  readonly error?: string;
}

/** The policy on each instance in turn; one instance's failure does not stop the others. */
export async function pruneFleet(
  api: EcsApi,
  regionId: string,
  instances: readonly string[],
  o: { policy: KeepPolicy; dryRun: boolean; names?: (n: string) => boolean },
): Promise<InstancePrune[]> {
  const out: InstancePrune[] = [];
  for (const instanceId of instances) {
    try {
      const report = await prune(instanceGroups(api, regionId, instanceId), o);
      out.push({ instanceId, report });
    } catch (e) {
      out.push({ instanceId, error: (e as Error).message });
    }
  }
  return out;
}
