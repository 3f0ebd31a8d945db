// The operator's side against an emulated region: the built CLI (or the shipped executable)
// run as a person or a pipeline would run `fleet run` / `cluster run`, with an AccessKey the
// region issued, no aliyun CLI profile unless the test writes one, and short polling.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Region } from '../../tools/emulator/region.js';
import { join } from 'node:path';
import { agentArgv } from './lab.js';

/** The built acs-plugin-manager stand-in a Region runs commands through (RegionOptions). */
export const STAND_IN = join(
  import.meta.dirname,
  '../../dist-tools/tools/emulator/acs-plugin-manager.js',
);

export interface OperatorRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface OperatorOptions {
  /** HOME (where ~/.aliyun/config.json would be). */
  readonly home: string;
  /** Credentials instead of `key` (an STS token, or none for the profile). */
  readonly credentials?: NodeJS.ProcessEnv;
  /** Called with all of stderr so far on every chunk (to act at a moment of the run). */
  readonly onErr?: (text: string, child: ChildProcess) => void;
}

export function operatorCli(
  region: Region,
  key: { accessKeyId: string; accessKeySecret: string },
  args: readonly string[],
  o: OperatorOptions,
): Promise<OperatorRun> {
  return new Promise((resolve) => {
    const [file, ...pre] = agentArgv();
    const child = spawn(file!, [...pre, ...args], {
      env: {
        PATH: process.env.PATH,
        HOME: o.home,
        ...(o.credentials ?? {
          ALIBABA_CLOUD_ACCESS_KEY_ID: key.accessKeyId,
          ALIBABA_CLOUD_ACCESS_KEY_SECRET: key.accessKeySecret,
        }),
        APP_SNAPSHOT_ECS_ENDPOINT: region.url,
        APP_SNAPSHOT_FLEET_POLL_MS: '200',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => {
      stderr += c;
      o.onErr?.(stderr, child);
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
