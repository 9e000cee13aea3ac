/**
 * Smoke tests of the benchmark workloads (bench/): each section's machinery runs at a tiny size and
 * produces sane counts. Nothing here is timed and no target is judged — `npm run bench` does that.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { afterAll, describe, expect, it } from 'vitest';
import { installFakeAws } from '../../bench/aws-fake.js';
import { bundleHandler, bytesByPackage, esbuildOptionsOf } from '../../bench/bundle.js';
import {
  costTable,
  type DesignMeasurements,
  naiveDesignCost,
  ourDesignCost,
} from '../../bench/cost-model.js';
import { batchesOf, fleetTraffic, slicesOf } from '../../bench/fleet.js';
import { bareJsonServer, httpLoad } from '../../bench/load/http-load.js';
import { bareBrokerThroughput, runLoad } from '../../bench/load/mqtt-load.js';
import { coreOnly, prepare, processorUnderTest, runBatches } from '../../bench/processor-workload.js';
import { measureFleetUsage, portCalls } from '../../bench/sections/processor.js';
import { RecordingEventPublisher } from '../../lambdas/adapters/memory/publisher.js';
import { BUNDLING } from '../../lib/constructs/handler-function.js';
import { startLocalRuntime } from '../../local/runtime.js';
import { machineIds } from '../../simulator/history.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('bench: processor workloads', () => {
  it('cuts fleet traffic into event-source batches by size and by window', async () => {
    const traffic = await fleetTraffic({ machines: 3, durationMs: 60_000 });
    // 3 machines × 12 ticks × (telemetry + production).
    expect(traffic).toHaveLength(72);
    // A 10 s window holds two ticks of every machine.
    expect(batchesOf(traffic, 1000, 10_000).map((b) => b.messages.length)).toEqual(Array(6).fill(12));
    expect(batchesOf(traffic, 5, 60_000).every((b) => b.messages.length <= 5)).toBe(true);
    expect(slicesOf(traffic, 10)).toHaveLength(7);
  });

  it('runs the handler over in-memory ports, counts port calls, and runs the core-only baseline', async () => {
    const traffic = await fleetTraffic({ machines: 3, durationMs: 120_000 });
    const batches = prepare(batchesOf(traffic, 1000, 10_000));
    const { failed } = await runBatches(processorUnderTest('memory'), batches);
    expect(failed).toBe(0);
    const noEmf = await runBatches(processorUnderTest('memory', { emf: false }), batches);
    expect(noEmf.failed).toBe(0);
    expect(coreOnly(batches)).toBeGreaterThanOrEqual(0);
    const calls = await portCalls(batches, 1);
    expect(calls['machineStates.put']).toBeGreaterThan(0);
    expect(calls['rawArchive.putRawBatch']).toBeGreaterThan(0);
  });

  it('meters SDK commands of the real adapters over the fake account, both backends, and restores the SDK', async () => {
    const traffic = await fleetTraffic({ machines: 3, durationMs: 60_000 });
    const batches = prepare(batchesOf(traffic, 1000, 10_000));
    for (const wiring of ['aws-dynamodb', 'aws-timestream'] as const) {
      const u = await measureFleetUsage(batches, wiring, { machines: 3, warmup: 1, timed: 1 });
      expect(u.per1000.commands['S3.PutObject']).toBeGreaterThan(0);
      expect(u.per1000.commands['DynamoDB.PutItem']).toBeGreaterThan(0);
      expect(u.per1000.commands['IoT.UpdateThingShadow']).toBeGreaterThan(0);
      if (wiring === 'aws-dynamodb') expect(u.per1000.commands['DynamoDB.UpdateItem']).toBeGreaterThan(0);
      else expect(u.per1000.timestream.records).toBeGreaterThan(0);
      expect(u.customMetricsPerMachine).toBeGreaterThan(0);
      expect(u.timeSeriesBytesPerMessage).toBeGreaterThan(0);
    }
    // The mocks are gone: a real client fails to connect instead of being answered by the fake.
    const client = new IoTDataPlaneClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    await expect(client.send(new PublishCommand({ topic: 't' }))).rejects.toThrow();
  });

  it('refuses a command the fake does not answer instead of counting wrong', async () => {
    const fake = installFakeAws();
    try {
      const client = new IoTDataPlaneClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      });
      const { GetThingShadowCommand } = await import('@aws-sdk/client-iot-data-plane');
      await client.send(new GetThingShadowCommand({ thingName: 'x' }));
      expect(() => fake.usage()).toThrow(/unsupported/);
    } finally {
      fake.restore();
    }
  });
});

describe('bench: packaging', () => {
  const out = mkdtempSync(join(tmpdir(), 'flexotwin-bench-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('translates the stack bundling options into the esbuild build NodejsFunction runs', () => {
    expect(esbuildOptionsOf(BUNDLING)).toMatchObject({
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      minify: true,
      sourcemap: 'linked',
      sourcesContent: false,
      external: [],
    });
  });

  it('bundles a handler that a fresh node process can load', async () => {
    const b = await bundleHandler(ROOT, 'seed-components', BUNDLING, out);
    expect(existsSync(b.file)).toBe(true);
    expect(b.bytes).toBeGreaterThan(0);
    expect(bytesByPackage(b.metafile).length).toBeGreaterThan(0);
    const r = spawnSync(process.execPath, [b.file], { env: { PATH: process.env.PATH } });
    expect(r.status, r.stderr.toString()).toBe(0);
  }, 60_000);
});

describe('bench: cost model', () => {
  const inputs = {
    memoryMb: 1024,
    basicIngest: false,
    fleetMachines: 100,
    messagesPerDeviceMonth: 1_000_000,
    initMs: 100,
    timeSeriesRetentionMonths: 13,
    timestreamMemoryHours: 24,
    timestreamMagneticMonths: 12,
    rawRetentionMonths: 24,
    logRetentionMonths: 1,
  };
  const measured: DesignMeasurements = {
    backend: 'dynamodb',
    per1000: {
      commands: { 'S3.PutObject': 500, 'DynamoDB.UpdateItem': 500 },
      dynamodb: { writeUnits: { telemetry: 800 }, readUnits: { 'machine-state': 5 } },
      s3: { putBytes: 100_000 },
      iot: { publishBytes: 0, publishUnits: 0, shadowBytes: 250_000, shadowUnits: 250 },
      timestream: { records: 0, writeUnits: 0, bytes: 0 },
    },
    invocationsPer1000: 2.5,
    invocationWallMs: 800,
    invocationCpuMs: 200,
    logBytesPerInvocation: 10_000,
    customMetricsPerMachine: 16,
    customMetricsFleet: 10,
    s3BytesPerMessage: 150,
    timeSeriesBytesPerMessage: 120,
  };

  it('adds up its line items, per million messages and per device-month', () => {
    const ours = ourDesignCost(measured, inputs);
    const naive = naiveDesignCost(
      'dynamodb',
      {
        cpuUsPerMessage: 500,
        payloadBytes: 250,
        dynamodbItemBytes: 300,
        timestreamRecordBytes: 200,
        timeSeriesWriteMs: 6,
        s3PutMs: 25,
      },
      inputs,
    );
    for (const d of [ours, naive]) {
      expect(d.perMillion).toBeCloseTo(d.lines.reduce((n, l) => n + l.perMillion, 0));
      expect(d.perDeviceMonth).toBeCloseTo(d.perMillion + d.perDeviceFixed);
      expect(d.lines.every((l) => l.perMillion >= 0 && l.perDeviceFixed >= 0)).toBe(true);
    }
    // 500 PUTs per 1,000 messages at $0.005 per 1,000 PUTs.
    expect(ours.lines.find((l) => l.item === 'S3 PUTs (raw archive)')?.perMillion).toBeCloseTo(2.5);
    expect(naive.lines.find((l) => l.item === 'S3 PUTs (raw archive)')?.perMillion).toBeCloseTo(5);
    // 16 + 10/100 metrics per device at $0.30.
    expect(ours.lines.find((l) => l.item === 'CloudWatch custom metrics')?.perDeviceFixed).toBeCloseTo(4.83);
    const table = costTable([naive, ours]);
    expect(
      table.find((r) => r.item === 'SQS (send by the rule, receive + delete by Lambda)')?.values[0],
    ).toBeNull();
  });
});

describe('bench: load generators and the local runtime', () => {
  it('measures a bare aedes broker, and a runtime step end to end and over HTTP', async () => {
    const machines = machineIds(4);
    const bare = await bareBrokerThroughput({
      machines,
      connections: 2,
      seconds: 1,
      inflight: 5,
      firstSeq: 1,
    });
    expect(bare.delivered).toBeGreaterThan(0);

    const dataDir = mkdtempSync(join(tmpdir(), 'flexotwin-bench-test-runtime-'));
    const runtime = await startLocalRuntime({
      dataDir,
      port: 0,
      mqttPort: 0,
      machines: ['C_FL104'],
      simulator: false,
      trainModel: false,
      batchWindowMs: 200,
    });
    try {
      const load = await runLoad({
        url: runtime.urls.mqtt,
        machines,
        connections: 2,
        rate: 40,
        seconds: 1,
        inflight: 0,
        firstSeq: 1000,
      });
      expect(load.acked).toBe(load.sent);
      await runtime.flush();
      const telemetry = (await (
        await fetch(`${runtime.urls.api}/machines/C_FL104/telemetry?limit=10000`)
      ).json()) as { points: unknown[] };
      expect(telemetry.points).toHaveLength(load.telemetryByMachine.C_FL104 ?? -1);

      // The API path of the API section: a little data through the processor, then autocannon.
      const traffic = await fleetTraffic({
        machines: 1,
        durationMs: 60_000,
        startTime: Date.now() - 120_000,
      });
      const loaded = await runBatches(
        processorUnderTest({ ...runtime.stores, publisher: new RecordingEventPublisher() }),
        prepare(slicesOf(traffic, 6)),
      );
      expect(loaded.failed).toBe(0);
      const api = await httpLoad({
        url: `${runtime.urls.api}/machines`,
        seconds: 1,
        connections: 2,
        rate: 20,
      });
      expect(api.failures).toBe(0);
      expect(api.rps).toBeGreaterThan(0);
      const bareHttp = await bareJsonServer('{"ok":true}');
      try {
        expect(await (await fetch(bareHttp.url)).json()).toEqual({ ok: true });
      } finally {
        await bareHttp.close();
      }
    } finally {
      await runtime.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
