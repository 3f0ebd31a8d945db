import type { EcsApi } from './api.js';

/**
 * Every snapshot group DescribeSnapshotGroups lists for `filter`, over all its pages: the API
 * answers 10 per page unless told (at most 100), so a caller that reads one page misses groups
 * as soon as an instance has more than ten.
 */
export async function allSnapshotGroups<G>(
  api: Pick<EcsApi, 'call'>,
  filter: Record<string, unknown>,
): Promise<G[]> {
  const out: G[] = [];
  let token: string | undefined;
  do {
    const r = await api.call<{ SnapshotGroups?: { SnapshotGroup?: G[] }; NextToken?: string }>(
      'DescribeSnapshotGroups',
      { ...filter, MaxResults: 100, ...(token ? { NextToken: token } : {}) },
    );
    out.push(...(r.SnapshotGroups?.SnapshotGroup ?? []));
    token = r.NextToken || undefined;
  } while (token);
  return out;
}
