/**
 * Storage outages under steady device traffic: the S3 emulator, then (in another runtime) the DynamoDB
 * emulator, taken off the network for 10 s (Emulators.interrupt: connections refused) while two devices
 * keep publishing telemetry, production and some malformed messages over MQTT.
 *
 * - S3 down 10 s, 4 receives allowed 1 s apart: batches fail and are retried; what was published early
 *   in the outage exhausts its receives and reaches the dead-letter store (receive count 4), what came
 *   later succeeds once S3 is back. `flexotwin redrive` (the CLI, runtime stopped) returns the dead
 *   letters; after a restart they are processed.
 * - DynamoDB down 10 s, enough receives to outlast it: the API's health check answers 503 meanwhile,
 *   every batch fails and is retried, and everything goes through once DynamoDB is back.
 *
 * Either way, in the end: every valid message exactly once in the time series and at least once in
 * the raw archive (second copies are counted: see expectAllStored), every malformed one exactly once
 * in quarantine and counted once, no dead letter left.
 */
import { rm } from 'node:fs/promises';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatedService } from '../../local/emulators.js';
import type { LocalRuntime } from '../../local/runtime.js';
import {
  connect,
  http,
  production,
  ROOT,
  run,
  startTestRuntime,
  telemetry,
  tempDir,
  until,
} from '../e2e/support.js';
import {
  expectExactlyOnce,
  newQuarantine,
  rawReadingCounts,
  readingKey,
  report,
  storedReadingCounts,
  tally,
} from './support.js';

const OUTAGE_MS = 10_000;
const MACHINES = ['OUTAGE_A', 'OUTAGE_B'];

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** Two devices publishing every 50 ms (telemetry, production every 4th tick, a malformed message every 10th). */
function steadyDevices(client: MqttClient) {
  const expected = new Set<string>();
  const malformed = new Set<string>();
  const inflight: Promise<unknown>[] = [];
  let tick = 0;
  const timer = setInterval(() => {
    tick++;
    const ts = Date.now();
    for (const machine of MACHINES) {
      const topic = `flexotwin/${machine}`;
      inflight.push(
        client.publishAsync(`${topic}/telemetry`, JSON.stringify(telemetry(machine, tick, ts)), { qos: 1 }),
      );
      expected.add(readingKey(machine, 'telemetry', tick, ts));
      if (tick % 4 === 0) {
        inflight.push(
          client.publishAsync(`${topic}/production`, JSON.stringify(production(machine, tick, ts)), {
            qos: 1,
          }),
        );
        expected.add(readingKey(machine, 'production', tick, ts));
      }
    }
    if (tick % 10 === 0) {
      const marker = `BAD-${tick}`;
      inflight.push(
        client.publishAsync(`flexotwin/${MACHINES[0]}/telemetry`, `{"machine_id":"${marker}",`, { qos: 1 }),
      );
      malformed.add(marker);
    }
  }, 50);
  return {
    expected,
    malformed,
    async stop() {
      clearInterval(timer);
      await Promise.all(inflight);
    },
  };
}

async function runtimeIn(dir: string, options: Parameters<typeof startTestRuntime>[1]) {
  const runtime = await startTestRuntime(dir, {
    machines: MACHINES,
    batchWindowMs: 200,
    visibilityTimeoutMs: 1_000,
    trainModel: false,
    ...options,
  });
  return runtime;
}

/** Publishes through a storage outage of OUTAGE_MS; returns what was sent and how the runtime fared. */
async function throughOutage(runtime: LocalRuntime, service: EmulatedService, during?: () => Promise<void>) {
  const client = await connect(runtime.urls.mqtt, `outage-${service}`);
  const devices = steadyDevices(client);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const outage = await runtime.emulators.interrupt(service);
  const down = Date.now();
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS / 2));
  await during?.();
  await new Promise((resolve) => setTimeout(resolve, down + OUTAGE_MS - Date.now()));
  const { failedReceives: failedWhileDown, deleted } = runtime.stats().queue;
  await outage.resume();
  const resumed = Date.now();
  // Recovered: the first batch processed since the storage came back.
  await until(() => runtime.stats().queue.deleted > deleted || undefined, 30_000, 'a batch processed');
  const recoveredMs = Date.now() - resumed;
  await new Promise((resolve) => setTimeout(resolve, resumed + 2_000 - Date.now()));
  await devices.stop();
  await client.endAsync();
  // Drained: nothing in flight, nothing waiting for a retry.
  await until(() => runtime.stats().queue.depth === 0 || undefined, 30_000, 'the queue drained');
  return { devices, failedWhileDown, recoveredMs, drainedMs: Date.now() - resumed };
}

/**
 * Everything the devices sent is where it belongs: exactly once in the time series and in quarantine;
 * in the raw archive at least once — a machine whose raw object was written just before the outage
 * failed its next write comes back grouped with other records, under another key (docs/RELIABILITY.md,
 * known limits). Returns how many raw lines are such second copies.
 */
async function expectAllStored(runtime: LocalRuntime, devices: ReturnType<typeof steadyDevices>) {
  const stored = new Map<string, number>();
  for (const machine of MACHINES)
    for (const [k, n] of await storedReadingCounts(runtime, machine, Date.now() - 3_600_000, Date.now() + 1))
      stored.set(k, n);
  expectExactlyOnce(tally(devices.expected, stored), 'time series');
  const raw = tally(devices.expected, (await rawReadingCounts(runtime, new Set(MACHINES))).counts);
  expectExactlyOnce({ ...raw, duplicated: [] }, 'raw archive');
  const quarantined = new Map<string, number>();
  for (const q of await newQuarantine(runtime)) {
    const marker = /BAD-\d+/.exec(q.payload)?.[0] ?? q.payload;
    quarantined.set(marker, (quarantined.get(marker) ?? 0) + 1);
  }
  expectExactlyOnce(tally(devices.malformed, quarantined), 'quarantine');
  return raw.duplicated.reduce((n, [, count]) => n + count - 1, 0);
}

describe('storage outages', () => {
  it('S3 down for 10 s: retries, dead-letters what outlasts 4 receives, and `flexotwin redrive` brings it back — nothing lost, nothing stored twice', async () => {
    const dir = await tempDir('s3-outage');
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const runtime = await runtimeIn(dir, { maxReceiveCount: 4 });
    let stopped = false;
    cleanup.push(() => (stopped ? Promise.resolve() : runtime.stop()));

    const { devices, failedWhileDown, recoveredMs, drainedMs } = await throughOutage(runtime, 's3');
    const letters = runtime.deadLetters();
    expect(failedWhileDown).toBeGreaterThan(0);
    expect(letters.length).toBeGreaterThan(0);
    expect(new Set(letters.map((l) => l.receiveCount))).toEqual(new Set([4]));
    const quarantinedBefore = runtime.stats().quarantined;
    await runtime.stop();
    stopped = true;

    const listed = await run(process.execPath, ['bin/flexotwin.js', 'redrive', '--data-dir', dir, '--list'], {
      cwd: ROOT,
    });
    for (const letter of letters) expect(listed.stdout).toContain(letter.messageId);
    const redriven = await run(process.execPath, ['bin/flexotwin.js', 'redrive', '--data-dir', dir], {
      cwd: ROOT,
    });
    expect(redriven.stdout).toMatch(new RegExp(`Moved ${letters.length} dead letter`));

    const restarted = await runtimeIn(dir, { maxReceiveCount: 4 });
    cleanup.push(() => restarted.stop());
    expect(restarted.recovery).toMatchObject({ pending: letters.length, deadLetters: 0 });
    await restarted.flush();
    const rawSecondCopies = await expectAllStored(restarted, devices);
    expect(restarted.stats().queue).toMatchObject({ depth: 0, deadLetters: 0 });
    // Counted once each: by the first run, or by the restarted one for those that were dead letters.
    expect(quarantinedBefore + restarted.stats().quarantined).toBe(devices.malformed.size);
    report('S3 outage', {
      outageMs: OUTAGE_MS,
      sent: devices.expected.size + devices.malformed.size,
      failedReceivesWhileDown: failedWhileDown,
      deadLettered: letters.length,
      redriven: letters.length,
      firstBatchMsAfterResume: recoveredMs,
      drainedMsAfterResume: drainedMs,
      lost: 0,
      duplicatesInTimeSeries: 0,
      rawSecondCopies,
    });
  }, 90_000);

  it('DynamoDB down for 10 s: health answers 503, batches retry and go through once it is back — nothing lost, nothing stored twice', async () => {
    const dir = await tempDir('dynamodb-outage');
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const runtime = await runtimeIn(dir, { maxReceiveCount: 30 });
    cleanup.push(() => runtime.stop());
    let healthWhileDown: number | undefined;
    const { devices, failedWhileDown, recoveredMs, drainedMs } = await throughOutage(
      runtime,
      'dynamodb',
      async () => {
        healthWhileDown = (await http(runtime, '/api/health')).status;
      },
    );
    expect(healthWhileDown).toBe(503);
    expect((await http(runtime, '/api/health')).status).toBe(200);
    expect(failedWhileDown).toBeGreaterThan(0);
    const rawSecondCopies = await expectAllStored(runtime, devices);
    const stats = runtime.stats();
    expect(stats.queue).toMatchObject({ depth: 0, deadLetters: 0, deadLettered: 0 });
    expect(stats.quarantined).toBe(devices.malformed.size);
    report('DynamoDB outage', {
      outageMs: OUTAGE_MS,
      sent: devices.expected.size + devices.malformed.size,
      failedReceivesWhileDown: failedWhileDown,
      healthWhileDown,
      firstBatchMsAfterResume: recoveredMs,
      drainedMsAfterResume: drainedMs,
      lost: 0,
      duplicatesInTimeSeries: 0,
      rawSecondCopies,
    });
  }, 90_000);
});
