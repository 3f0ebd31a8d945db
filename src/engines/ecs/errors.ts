// Cloud error codes -> the plugin's exit codes, in one table. Sources: the ECS API error lists
// (CreateSnapshotGroup: https://help.aliyun.com/document_detail/210939.html; TagResources; the
// common errors at https://error-center.alibabacloud.com/status/product/Ecs).
import { AgentError } from '../../errors/errors.js';
import type { ExitCodeName } from '../../errors/exit-codes.js';
import { EcsApiError } from '../../cloud/api.js';
import { isRetryable } from '../../cloud/retry.js';

export type EcsCall =
  | 'DescribeDisks'
  | 'CreateSnapshotGroup'
  | 'DescribeSnapshotGroups'
  | 'TagResources'
  | 'ModifySnapshotAttribute'
  | 'DeleteSnapshotGroup';

/** Codes whose meaning does not depend on the call; first match wins. */
export const BY_CODE: readonly { codes: string; re: RegExp; kind: ExitCodeName; why: string }[] = [
  {
    codes: 'QuotaExceed.Snapshot',
    re: /^QuotaExceed\.Snapshot$/,
    kind: 'SnapshotQuotaExceeded',
    why: 'the snapshot quota of a disk is reached',
  },
  {
    codes: 'IncorrectDiskStatus.CreatingSnapshot',
    re: /^IncorrectDiskStatus\.CreatingSnapshot$/,
    kind: 'SnapshotInProgress',
    why: 'a previous snapshot of a disk is still being created',
  },
  {
    codes: 'Forbidden*, NoPermission*',
    re: /^(Forbidden(\..*)?|NoPermission.*|InvalidOperation\.NoPermission)$/,
    kind: 'NoSnapshotCapableDisk',
    why: 'the RAM role lacks a snapshot permission (see the policy above)',
  },
  {
    codes: 'InvalidSecurityToken.*',
    re: /^InvalidSecurityToken\..*$/,
    kind: 'NoRamRole',
    why: "the RAM role's security token was refused",
  },
  {
    codes: 'InvalidSnapshotId.*, IncorrectSnapshotStatus*',
    re: /^InvalidSnapshotId\..*|^IncorrectSnapshotStatus.*$/,
    kind: 'SnapshotStatusError',
    why: 'a snapshot is in an error status',
  },
];

/** What a failure of each call means when the code says nothing more specific. */
export const BY_CALL: Record<EcsCall, ExitCodeName> = {
  DescribeDisks: 'ConditionCheckFailed',
  CreateSnapshotGroup: 'CreateGroupFailed',
  DescribeSnapshotGroups: 'GroupStatusError',
  TagResources: 'TagFailed',
  ModifySnapshotAttribute: 'RetentionFailed',
  DeleteSnapshotGroup: 'ConditionCheckFailed',
};

export function toAgentError(call: EcsCall, e: unknown): AgentError {
  if (e instanceof AgentError) return e;
  if (!(e instanceof EcsApiError)) {
    return new AgentError(BY_CALL[call], `${call} failed: ${(e as Error)?.message ?? String(e)}`, {
      cause: e,
    });
  }
  // Tagging and retention happen after the snapshots exist: whatever refuses them is a tagging
  // (or retention) failure.
  const after = call === 'TagResources' || call === 'ModifySnapshotAttribute';
  const hit = after ? undefined : BY_CODE.find((c) => c.re.test(e.code));
  const kind = hit?.kind ?? BY_CALL[call];
  const why = hit ? `${hit.why}: ` : '';
  return new AgentError(kind, `${call} failed: ${why}${e.message}`, {
    cause: e,
    details: { code: e.code, httpStatus: e.httpStatus, requestId: e.requestId },
  });
}

/**
 * Whether a failed CreateSnapshotGroup may have made a group: every failure but a refusal by
 * the service (its error code says no) and a request never sent (the deadline came first, or
 * there were no credentials to sign it).
 * A failure we cannot place (not the service's error) counts as "may have".
 */
export function mayHaveCreated(e: unknown): boolean {
  // Ours comes from the credentials, before any request (EcsApi's contract).
  if (e instanceof AgentError) return false;
  if (!(e instanceof EcsApiError)) return true;
  if (e.code === 'Network.Deadline') return false;
  return isRetryable(e);
}
