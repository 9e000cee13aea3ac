/**
 * `flexotwin local` as a user runs it (`npm start` is `node bin/flexotwin.js local`): the PHASE lines and
 * the banner, a live health document from the simulated fleet over HTTP, the data directory locked
 * against a second instance, and a clean exit 0 on SIGINT after the queue is flushed; SIGKILLed with
 * messages the broker acknowledged still queued, it processes each of them exactly once when started
 * again. Bad options end with a one-line error and exit code 1.
 */
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bannerUrls,
  connect,
  headlessLocalArgs,
  publish,
  ROOT,
  run,
  spawnLocal,
  telemetry,
  tempDir,
  until,
} from './support.js';

let dir: string;
const children: ChildProcess[] = [];
beforeAll(async () => {
  dir = await tempDir('cli');
});
afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

const local = (args: string[]) => spawnLocal(args, children);

async function fails(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, ['bin/flexotwin.js', 'local', ...args], { cwd: ROOT, timeout: 60_000 });
    return { code: 0, stderr: '' };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('flexotwin local', () => {
  it('starts, serves a live health document, refuses a second instance on its data directory, and exits 0 on SIGINT', async () => {
    const started = Date.now();
    const cli = local([
      ...['--data-dir', dir, '--port', '0', '--mqtt-port', '0'],
      ...['--machines', '1', '--interval', '250ms', '--batch-window', '500ms', '--no-faults'],
    ]);
    const api = await until(
      () => bannerUrls(cli.output.stdout)?.api,
      45_000,
      `the banner (output so far: ${cli.output.stdout.slice(-500)} ${cli.output.stderr})`,
    );
    for (const phase of ['PHASE 1: DATA ANALYSIS', 'PHASE 2: STORAGE', 'PHASE 3: SIMULATION LOOP'])
      expect(cli.output.stdout).toContain(phase);
    expect(cli.output.stdout).toContain('STATISTIK MESIN C_FL104:');
    expect(cli.output.stdout).toMatch(/\[MODEL\] No maintenance model .* trained a Random Forest/);
    expect(cli.output.stdout).toContain(`curl ${api}/health/Main%20Drive%20Motor`);

    const health = await until(
      async () => {
        const response = await fetch(`${api}/health/Main%20Drive%20Motor`);
        const body = (await response.json()) as { metrics?: { availability_rate?: unknown } };
        return typeof body.metrics?.availability_rate === 'number' ? body : undefined;
      },
      30_000,
      'a health document with live metrics',
    );
    expect(health).toMatchObject({ component_name: 'Main Drive Motor', machine_id: 'C_FL104' });
    expect(Date.now() - started).toBeLessThan(30_000);

    const second = await fails(['--data-dir', dir, '--port', '0', '--mqtt-port', '0', '--no-simulator']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/in use by flexotwin local \(pid \d+/);

    cli.child.kill('SIGINT');
    const code = await Promise.race([
      cli.exited,
      new Promise((resolve) => setTimeout(() => resolve('still running'), 20_000)),
    ]);
    expect(code, cli.output.stderr).toBe(0);
    expect(cli.output.stdout).toMatch(/SIGINT: stopping/);
    expect(cli.output.stdout).toMatch(
      /\[SUMMARY\] \d+ message\(s\) processed in this run; 0 left in the queue/,
    );
    expect(cli.output.stderr).toBe('');
  }, 90_000);

  it('loses nothing the broker acknowledged when SIGKILLed, and stores each message once after the restart', async () => {
    const data = `${dir}-kill`;
    const common = headlessLocalArgs(data);
    // A batch window far longer than the test: everything published stays in the queue.
    const first = local([...common, '--batch-window', '10m']);
    const urls = await until(() => bannerUrls(first.output.stdout), 45_000, 'the first banner');
    const device = await connect(urls.mqtt, 'e2e-kill-device');
    const T = Date.now() - 60_000;
    const N = 40;
    // Resolved on PUBACK: each of these is acknowledged by the broker.
    for (let i = 1; i <= N; i++)
      await publish(device, 'flexotwin/E2E_KILL/telemetry', telemetry('E2E_KILL', i, T + i * 100));
    await device.endAsync(true);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    const second = local([...common, '--batch-window', '200ms']);
    const again = await until(() => bannerUrls(second.output.stdout), 45_000, 'the second banner');
    expect(second.output.stdout).toMatch(
      new RegExp(`\\[QUEUE\\] Recovered ${N} message\\(s\\) from the last run`),
    );
    const query = `${again.api}/machines/E2E_KILL/telemetry?from=${T}&to=${T + 60_000}&limit=1000`;
    const stored = await until(
      async () => {
        const body = (await (await fetch(query)).json()) as { count?: number; points?: { seq: number }[] };
        return body.count === N ? body : undefined;
      },
      20_000,
      `${N} readings stored`,
    );
    expect(stored.points?.map((p) => p.seq)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    await rm(data, { recursive: true, force: true });
  }, 90_000);

  it('refuses a time-series backend that does not run locally, and bad options, with one line and exit code 1', async () => {
    const [timestream, badPort, badFaults] = await Promise.all([
      fails(['--data-dir', dir, '--time-series', 'timestream', '--no-simulator']),
      fails(['--port', 'eighty']),
      fails(['--data-dir', dir, '--faults', 'C_FL104:melting']),
    ]);
    expect(timestream.code).toBe(1);
    expect(timestream.stderr).toMatch(/DynamoDB \(dynalite\) only/);
    expect(timestream.stderr).toMatch(/cdk deploy -c timeSeries=timestream/);
    expect(timestream.stderr).not.toMatch(/\bat .+\.ts:\d+/);
    expect(badPort.code).toBe(1);
    expect(badPort.stderr).toMatch(/--port/);
    expect(badFaults.code).toBe(1);
    expect(badFaults.stderr).toMatch(/melting/);
  }, 60_000);
});
