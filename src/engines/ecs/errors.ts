// Cloud error codes -> the plugin's exit codes, in one table. Sources: the ECS API error lists
// (CreateSnapshotGroup, TagResources, common errors) as collected in shared/reference.
import { AgentError } from '../../report/errors.js';
import type { ExitCodeName } from '../../report/exit-codes.js';
import { EcsApiError } from './client.js';

export type EcsCall =
  | 'DescribeDisks'
  | 'CreateSnapshotGroup'
  | 'DescribeSnapshotGroups'
  | 'TagResources'
  | 'DeleteSnapshotGroup';

/** Codes whose meaning does not depend on the call; first match wins. */
const BY_CODE: readonly [RegExp, ExitCodeName, string][] = [
  [/^QuotaExceed\.Snapshot$/, 'SnapshotQuotaExceeded', 'the snapshot quota of a disk is reached'],
  [
    /^IncorrectDiskStatus\.CreatingSnapshot$/,
    'SnapshotInProgress',
    'a previous snapshot of a disk is still being created',
  ],
  [
    /^(Forbidden(\..*)?|NoPermission.*|InvalidOperation\.NoPermission)$/,
    'NoSnapshotCapableDisk',
    'the RAM role lacks a snapshot permission (see the README for the policy)',
  ],
  [/^InvalidSecurityToken\..*$/, 'NoRamRole', "the RAM role's security token was refused"],
  [
    /^InvalidSnapshotId\..*|^IncorrectSnapshotStatus.*$/,
    'SnapshotStatusError',
    'a snapshot is in an error status',
  ],
];

/** What a failure of each call means when the code says nothing more specific. */
const BY_CALL: Record<EcsCall, ExitCodeName> = {
  DescribeDisks: 'ConditionCheckFailed',
  CreateSnapshotGroup: 'CreateGroupFailed',
  DescribeSnapshotGroups: 'GroupStatusError',
  TagResources: 'TagFailed',
  DeleteSnapshotGroup: 'ConditionCheckFailed',
};

export function toAgentError(call: EcsCall, e: unknown): AgentError {
  if (e instanceof AgentError) return e;
  if (!(e instanceof EcsApiError)) {
    return new AgentError(BY_CALL[call], `${call} failed: ${(e as Error)?.message ?? String(e)}`, {
      cause: e,
    });
  }
  // Tagging happens after the snapshots exist: whatever refuses it is a tagging failure.
  const hit = call === 'TagResources' ? undefined : BY_CODE.find(([re]) => re.test(e.code));
  const kind = hit?.[1] ?? BY_CALL[call];
  const why = hit ? `${hit[2]}: ` : '';
  return new AgentError(kind, `${call} failed: ${why}${e.message}`, {
    cause: e,
    details: { code: e.code, httpStatus: e.httpStatus, requestId: e.requestId },
  });
}

/** Worth another try: throttling, service unavailable, 5xx, transport failures. */
export function isRetryable(e: unknown): boolean {
  if (!(e instanceof EcsApiError)) return false;
  return (
    /^Throttling|\.Throttling$|^ServiceUnavailable|^InternalError$|^Network\.|^OperationConflict$|^IdempotentProcessing$/.test(
      e.code,
    ) ||
    (e.httpStatus !== undefined && e.httpStatus >= 500)
  );
}
