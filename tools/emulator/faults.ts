// The faults the emulator injects on demand (tests set them per run; npm run emulator --faults).
export const FAULT_HELP = {
  throttle: 'the next N API calls answer 400 Throttling.User',
  unavailable: 'the next N API calls answer 503 ServiceUnavailable',
  slow: 'every API answer waits N ms',
  'slow-create': 'CreateSnapshotGroup answers after N ms (the agent is frozen meanwhile)',
  'slow-answer':
    'CreateSnapshotGroup makes the group on arrival, as the service does, and answers N ms later',
  'cut-create':
    'CreateSnapshotGroup makes the group, then closes the connection without an answer (every attempt)',
  quota: 'CreateSnapshotGroup: 403 QuotaExceed.Snapshot',
  'in-progress': 'CreateSnapshotGroup: 403 IncorrectDiskStatus.CreatingSnapshot',
  'create-error': 'CreateSnapshotGroup: 403 CreateSnapshot.Failed',
  forbidden: 'every API call: 403 Forbidden.RAM',
  stuck: 'groups stay progressing',
  'group-failed': 'groups end failed',
  'snapshot-unavailable': 'one snapshot never becomes available',
  'tag-refused': 'TagResources: 403 QuotaExceed.Tags',
  'retention-refused': 'ModifySnapshotAttribute: 403 Forbidden.RAM',
  'delete-partial':
    'DeleteSnapshotGroup answers 200 but its OperationProgressSet says the first snapshot failed (used by an image); the group stays',
  'role-missing': 'metadata: no RAM role attached',
  'token-expired': 'API calls: 400 InvalidSecurityToken.Expired',
  'no-imds-token': "metadata: the hardened mode's token PUT is refused",
  'efficiency-disk': 'DescribeDisks also lists a cloud_efficiency disk',
  'snapshot-status': 'DescribeSnapshotGroups: 403 IncorrectSnapshotStatus',
} as const;
export const FAULTS = Object.keys(FAULT_HELP) as Fault[];
export type Fault = keyof typeof FAULT_HELP;
