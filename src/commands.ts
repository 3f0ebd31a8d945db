// The agent's commands by name: what is not a snapshot run. One list for the command parser
// (cli/cli.ts), the fast path that skips it (cli/fast-snapshot.ts) and the launch that starts
// the watchdog early for a run (freeze/self-command.ts), so a new command cannot be missed by one.
export const COMMAND_NAMES: readonly string[] = [
  'check',
  'thaw',
  'groups',
  'lab',
  'decode',
  'fleet',
  'cluster',
  'schedule',
  'status',
];
