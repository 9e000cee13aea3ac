/**
 * The local runtime when things go wrong: a fault injected into the simulated fleet (devices publishing
 * over MQTT) shows up as an alarm and goes away; a storage outage makes the processor fail its records,
 * which are retried and dead-lettered, and `flexotwin redrive` brings them back once storage is fixed.
 */

import { rm } from 'node:fs/promises';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, provisionResources, resourcesOf } from '../../local/emulators.js';
import { formatStatus } from '../../local/status.js';
import { connect, http, publish, ROOT, run, startTestRuntime, telemetry, tempDir, until } from './support.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function runtimeIn(prefix: string, options: Parameters<typeof startTestRuntime>[1] = {}) {
  const dir = await tempDir(prefix);
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const runtime = await startTestRuntime(dir, options);
  cleanup.push(() => runtime.stop());
  return { dir, runtime };
}

describe('local runtime under faults', () => {
  it('shows an overheating injected into a simulated machine as a thermal alarm that clears when it cools', async () => {
    const { runtime } = await runtimeIn('simulator', {
      simulator: { intervalMs: 200, faults: 'none' },
      batchWindowMs: 300,
    });
    const machine = runtime.machines[0] as string;
    const alarms = async () =>
      (await http(runtime, `/api/anomalies?machine_id=${machine}`)).body.anomalies as {
        category: string;
        state: string;
        rule_id: string;
      }[];
    // Healthy first: the devices publish, the processor keeps up, no alarm.
    await until(
      async () => runtime.stats().processed >= 20 || undefined,
      15_000,
      'the first messages processed',
    );
    expect(await alarms()).toEqual([]);
    const label = await runtime.injectFault(machine, 'overheating', 8_000);
    expect(label).toMatchObject({
      machine_id: machine,
      fault: 'overheating',
      category: 'thermal',
      source: 'injected',
    });
    const raised = await until(
      async () => (await alarms()).find((a) => a.rule_id === 'coil_temp_high'),
      20_000,
      'a coil_temp_high alarm',
    );
    expect(raised.category).toBe('thermal');
    await until(
      async () =>
        (await alarms()).filter((a) => a.category === 'thermal').every((a) => a.state === 'cleared') ||
        undefined,
      30_000,
      'the thermal alarms cleared',
    );
    const stats = runtime.stats();
    expect(stats.simulator).toMatchObject({ errors: 0, dropped: 0 });
    expect(stats.ingestRate).toBeGreaterThan(0);
    expect(stats.queue.deadLetters).toBe(0);
    expect(formatStatus(stats)).toMatch(/^\[STATUS\] \d+\.\d msg\/s · processed \d+/);
    const machines = (await http(runtime, '/api/machines')).body.machines;
    expect(machines[0]).toMatchObject({ machine_id: machine, status: expect.any(String) });
    expect(machines[0].health.health_index).toEqual(expect.any(Number));
  }, 60_000);

  it('retries, then dead-letters what fails during a storage outage; redrive brings it back (in process and with the CLI)', async () => {
    const { dir, runtime } = await runtimeIn('outage', { maxReceiveCount: 2, visibilityTimeoutMs: 100 });
    const device = await connect(runtime.urls.mqtt, 'e2e-outage-device');
    cleanup.push(() => device.endAsync());
    const machine = 'E2E_OUTAGE';
    const T = Date.now() - 60_000;
    // The time-series table disappears: every write of the processor fails.
    await runtime.clients.dynamodb.send(
      new DeleteTableCommand({ TableName: runtime.config.TELEMETRY_TABLE }),
    );
    await publish(device, `flexotwin/${machine}/telemetry`, telemetry(machine, 1, T));
    await publish(device, `flexotwin/${machine}/telemetry`, telemetry(machine, 2, T + 1000));
    await until(
      () => (runtime.stats().queue.deadLetters === 2 ? true : undefined),
      20_000,
      'two dead letters',
    );
    expect(runtime.stats().queue).toMatchObject({ depth: 0, failedReceives: 4, deadLettered: 2 });
    expect(runtime.deadLetters().map((l) => l.receiveCount)).toEqual([2, 2]);

    // Storage is back: one redriven in process, the other with `flexotwin redrive` while stopped.
    await provisionResources(
      { ...runtime.emulators, credentials: EMULATOR_CREDENTIALS },
      resourcesOf(runtime.config),
    );
    const [first, second] = runtime.deadLetters();
    expect(await runtime.redriveDeadLetters([first?.messageId as string])).toBe(1);
    await runtime.flush();
    const telemetryQuery = `/api/machines/${machine}/telemetry?from=${T - 1000}&to=${T + 60_000}`;
    expect((await http(runtime, telemetryQuery)).body.count).toBe(1);

    const refused = await run(process.execPath, ['bin/flexotwin.js', 'redrive', '--data-dir', dir], {
      cwd: ROOT,
    }).catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/is running/) });

    await device.endAsync();
    await runtime.stop();
    const listed = await run(process.execPath, ['bin/flexotwin.js', 'redrive', '--data-dir', dir, '--list'], {
      cwd: ROOT,
    });
    expect(listed.stdout).toContain(second?.messageId as string);
    expect(listed.stdout).toContain(`flexotwin/${machine}/telemetry`);
    const redriven = await run(process.execPath, ['bin/flexotwin.js', 'redrive', '--data-dir', dir], {
      cwd: ROOT,
    });
    expect(redriven.stdout).toMatch(/Moved 1 dead letter/);

    const restarted = await startTestRuntime(dir, { maxReceiveCount: 2 });
    cleanup.push(() => restarted.stop());
    expect(restarted.recovery).toMatchObject({ pending: 1, deadLetters: 0 });
    await restarted.flush();
    expect((await http(restarted, telemetryQuery)).body.count).toBe(2);
    expect(restarted.stats().queue).toMatchObject({ depth: 0, deadLetters: 0 });
  }, 90_000);
});
