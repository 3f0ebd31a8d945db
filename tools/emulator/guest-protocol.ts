// The channel between the emulator and the Cloud Assistant service inside a guest VM
// (tools/vm/assistant.ts), under the guest's metadata address. The guest polls (long poll,
// as the real agent asks its server), so nothing on the host needs to reach into the guest:
//   POST <channel>/hello                  the service is up (the instance is "online")
//   GET  <channel>/next                   { commands, stop } (waits up to POLL_WAIT_MS)
//   POST <channel>/output?id=ID           a chunk of the command's output (raw bytes)
//   POST <channel>/done?id=ID&exit=N&timedOut=0|1
export const GUEST_CHANNEL = '/.emulator/assistant/v1';
export const POLL_WAIT_MS = 10_000;

export interface GuestCommand {
  readonly id: string;
  /** The RunShellScript content, run with `sh -c`. */
  readonly content: string;
  readonly timeoutS: number;
  readonly env: Record<string, string>;
}

export interface GuestPoll {
  readonly commands: GuestCommand[];
  /** Ids of running commands to stop (StopInvocation). */
  readonly stop: string[];
}
