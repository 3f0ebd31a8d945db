// The guest VM's Cloud Assistant (tools/vm/assistant.ts) and the region's side of its channel
// (tools/emulator/guest-commands.ts), run on the host: the real service process, real HTTP,
// real `sh -c`. What the guest suite (test/vm) relies on, checked without booting a guest.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST_CHANNEL } from '../../tools/emulator/guest-protocol.js';
import { Region, type Instance } from '../../tools/emulator/region.js';
import { Operator } from '../support/vm.js';

const TOOL = join(import.meta.dirname, '../../dist-tools/tools/vm/guest-tool.js');

describe('the guest Cloud Assistant channel', () => {
  let dir: string;
  let region: Region;
  let vm: Instance;
  let op: Operator;
  let assistant: ChildProcess | undefined;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync('/tmp/asp-assistant-');
    writeFileSync(
      join(dir, 'pool.json'),
      JSON.stringify({ version: 1, disks: [], maxSnapshotsPerDisk: 8, allowFullCopy: true }),
    );
    region = new Region({ agent: [], pluginManager: '/nonexistent', instances: [] });
    await region.start();
    vm = await region.addInstance({
      pool: dir,
      byIdDir: join(dir, 'by-id'),
      stateDir: dir,
      logDir: dir,
      guest: true,
    });
    port = await region.guestListener(vm);
    op = new Operator(region);
  });

  afterAll(async () => {
    assistant?.kill('SIGKILL');
    await region?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a region that starts with no instances makes nothing at / (its stand-in directory was /.asp-region-bin-PID)', () => {
    expect(existsSync(`/.asp-region-bin-${process.pid}`)).toBe(false);
  });

  it('before the service says hello the instance answers ClientNotRunning', async () => {
    const r = await op.run(vm, 'echo hi');
    expect(r).toMatchObject({ InvocationStatus: 'Error', ErrorCode: 'ClientNotRunning' });
  });

  it('commands run with sh -c: output, exit code, the agent environment, a timeout', async () => {
    assistant = spawn(process.execPath, [TOOL, 'assistant'], {
      env: { ...process.env, ASP_ASSISTANT_URL: `http://127.0.0.1:${port}` },
      stdio: 'ignore',
    });
    for (let i = 0; !vm.channel!.online; i++) {
      expect(i).toBeLessThan(100);
      await new Promise((r) => setTimeout(r, 100));
    }
    const ok = await op.run(vm, 'echo "out $APP_SNAPSHOT_ECS_ENDPOINT"; echo err >&2; exit 0');
    expect(ok).toMatchObject({ InvocationStatus: 'Success', ExitCode: 0 });
    expect(ok.text).toBe('out http://100.100.100.200\nerr\n');
    const failed = await op.run(vm, 'exit 3');
    expect(failed).toMatchObject({ InvocationStatus: 'Failed', ExitCode: 3 });
    // Only the shell is killed, as Cloud Assistant does; its child keeps the output pipe open
    // and the result must not wait for it.
    const t0 = Date.now();
    const slow = await op.run(vm, 'echo started; sleep 30', 1);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(slow).toMatchObject({ InvocationStatus: 'Timeout', ErrorCode: 'ExecutionTimeout' });
    expect(slow.text).toBe('started\n');
  });

  it('output shows while the command runs; StopInvocation ends the whole command', async () => {
    const invokeId = await op.start(
      vm,
      `echo $$ > ${dir}/sh.pid; (sleep 60; echo late) & echo running; wait`,
    );
    let running;
    for (let i = 0; ; i++) {
      [running] = await op.cloud.results(invokeId);
      if (Buffer.from(running?.Output ?? '', 'base64').toString() === 'running\n') break;
      expect(i).toBeLessThan(100);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(running!.InvocationStatus).toBe('Running');
    await op.cloud.stop(invokeId, [vm.id]);
    for (let i = 0; ; i++) {
      const [r] = await op.cloud.results(invokeId);
      if (r!.InvocationStatus === 'Terminated') break;
      expect(i).toBeLessThan(100);
      await new Promise((res) => setTimeout(res, 100));
    }
  });

  it("a command's output or end the region does not know is taken and dropped (no retry loop); an unknown call is 404", async () => {
    const base = `http://127.0.0.1:${port}${GUEST_CHANNEL}`;
    for (const path of ['/output?id=t-unknown', '/done?id=t-unknown&exit=0&timedOut=0'])
      expect((await fetch(`${base}${path}`, { method: 'POST', body: 'x' })).status).toBe(200);
    expect((await fetch(`${base}/nonsense`, { method: 'POST' })).status).toBe(404);
    expect(region.invocations.some((r) => r.invokeId === 't-unknown')).toBe(false);
  });

  it('the acs-plugin-manager stand-in splits --params as the real one and runs the agent', async () => {
    const r = await op.run(
      vm,
      `APP_SNAPSHOT_EMULATOR_AGENT_PATH=/usr/bin/printf node ${TOOL} acs-plugin-manager --exec --plugin app-snapshot-plugin --params='[%s],-Name="a b",-ExcludeDiskId=""'`,
    );
    expect(r.text).toBe('[-Name=a b][-ExcludeDiskId=]');
    const unknown = await op.run(vm, `node ${TOOL} acs-plugin-manager --exec --plugin other`);
    expect(unknown.ExitCode).toBe(234);
  });
});
