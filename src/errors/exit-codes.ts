// The plugin's public API: one table, the single source for code, docs (docs/040_exit-codes-and-output.md), man page and help.
// Codes and meanings mirror the vendor's documented error codes ("错误码信息"); 17 and 18 are ours.

export const EXIT_CODES = [
  { code: 0, name: 'Success', meaning: 'Snapshot group created and tagged.' },
  {
    code: 1,
    name: 'ConditionCheckFailed',
    meaning:
      'A condition check failed: unsupported OS or disk, invalid snapshot name, network, engine not available.',
  },
  { code: 2, name: 'BadParameters', meaning: 'Unknown, duplicate, missing or mistyped parameter.' },
  {
    code: 3,
    name: 'NoSnapshotCapableDisk',
    meaning: 'No disk left to snapshot, or the role lacks snapshot permission.',
  },
  { code: 4, name: 'CreateGroupFailed', meaning: 'Creating the snapshot group failed.' },
  { code: 5, name: 'GroupStatusError', meaning: 'The snapshot group ended in an error status.' },
  {
    code: 6,
    name: 'GroupTimeout',
    meaning:
      'The snapshot group did not finish in time, or the agent was interrupted while waiting for it (the group exists; nothing was tagged).',
  },
  {
    code: 7,
    name: 'SnapshotNotAsExpected',
    meaning: 'A snapshot in the group is not in the expected state.',
  },
  { code: 8, name: 'TagFailed', meaning: 'Tagging the snapshots failed.' },
  { code: 9, name: 'PreScriptFailed', meaning: 'The pre-script ran and failed or timed out.' },
  { code: 10, name: 'PostScriptFailed', meaning: 'The post-script ran and failed or timed out.' },
  {
    code: 11,
    name: 'FreezeFailed',
    meaning: 'Freezing a filesystem failed, or the freeze did not hold until the snapshot point.',
  },
  { code: 12, name: 'ThawFailed', meaning: 'Thawing a filesystem failed (after retries).' },
  { code: 13, name: 'NoRamRole', meaning: 'The instance has no RAM role attached.' },
  { code: 14, name: 'SnapshotQuotaExceeded', meaning: 'The snapshot quota of a disk is reached.' },
  { code: 15, name: 'SnapshotStatusError', meaning: 'A snapshot is in an error status.' },
  {
    code: 16,
    name: 'SnapshotInProgress',
    meaning:
      'A previous snapshot (or another run of this agent) is still in progress on these disks.',
  },
  {
    // Ours, not the vendor's (it has no -RetentionDays): only a run that asked for retention
    // can end with it.
    code: 17,
    name: 'RetentionFailed',
    meaning:
      'The group was made (and tagged), but -RetentionDays could not be set: its snapshots are kept until deleted.',
  },
  {
    // Ours: only `groups rollback --remount` ends with it.
    code: 18,
    name: 'FilesystemBusy',
    meaning:
      'A rollback with --remount was refused before anything changed: processes (named) hold a filesystem of the disk open, or it is mounted where this agent cannot unmount it (another mount namespace).',
  },
  {
    code: 255,
    name: 'Unknown',
    meaning:
      'Interrupted by a signal before the snapshot group was created, or an unexpected failure (please report that one with the log).',
  },
] as const;

export type ExitCodeName = (typeof EXIT_CODES)[number]['name'];

export const EXIT: { [K in ExitCodeName]: number } = Object.fromEntries(
  EXIT_CODES.map((e) => [e.name, e.code]),
) as { [K in ExitCodeName]: number };

export function exitCodeName(code: number): ExitCodeName | undefined {
  return EXIT_CODES.find((e) => e.code === code)?.name;
}
