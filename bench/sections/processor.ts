/**
 * The processor handler (lambdas/handlers/processor.ts) on simulated fleet traffic (bench/fleet.ts):
 *
 * 1. µs per message for batches of 1, 10, 100 and 1,000 messages with in-memory ports, against the
 *    core-only work of the same batches (validate, detect, OEE, health) measured in the same run: the
 *    ratio is what the Lambda plumbing costs — SQS envelope, grouping, ports, Powertools batch, EMF.
 * 2. The calls a 100-machine fleet costs per 1,000 messages with the cloud batch size and window
 *    (lib/config.ts), counted twice: at the port boundary (counting wrappers around the in-memory
 *    adapters), and as AWS SDK commands (the real adapters over aws-fake.ts: WriteRecords or UpdateItem,
 *    PutObject, PutItem, Publish, UpdateThingShadow, with their billing units), for both time-series
 *    backends. The same runs measure what the cost model needs: stdout bytes (EMF + logs), the custom
 *    metrics emitted, stored bytes, and — with assumed service latencies — each invocation's duration.
 */

import { MAX_RECORDS_PER_WRITE } from '../../lambdas/adapters/timestream/time-series.js';
import { FLEXO_104_COMPONENTS } from '../../lambdas/core/fmea.js';
import { configSchema } from '../../lib/config.js';
import { ASSUMED_LATENCY_MS } from '../assumptions.js';
import { type AwsUsage, FAKE_TABLE_NAMES, type FakeLatency, installFakeAws } from '../aws-fake.js';
import { batchesOf, type FleetMessage, fleetTraffic, slicesOf } from '../fleet.js';
import { portCounter } from '../port-counter.js';
import {
  coreOnly,
  type PreparedBatch,
  prepare,
  processorUnderTest,
  runBatches,
  type Wiring,
} from '../processor-workload.js';
import { type Figure, median, type Section } from '../report.js';

/** The deployed defaults: batch size and window of the SQS event source, memory, retention. */
export const CLOUD = configSchema.parse({});

export const FLEET_MACHINES = 100;
/** Storage DynamoDB bills per item beyond its attributes (its indexing overhead). */
export const DYNAMODB_ITEM_OVERHEAD_BYTES = 100;
const BATCH_SIZES = [1, 10, 100, 1000] as const;
/** Messages timed per batch size (fewer at size 1, where each is an invocation of its own). */
const TIMED_MESSAGES: Readonly<Record<(typeof BATCH_SIZES)[number], number>> = {
  1: 3000,
  10: 10_000,
  100: 12_000,
  1000: 12_000,
};
/**
 * Our target (the issue sets none for this section): at the cloud batch size, the handler's plumbing
 * costs no more than the domain work itself, i.e. handler ≤ 2 × core-only per message.
 */
const OVERHEAD_TARGET = 2;
/** Our target: the fleet's billable write-side calls are at most half the naive design's 2 per message. */
const CALLS_TARGET = 0.5;
/** A window long enough to show how the per-machine writes scale with it (context, not deployed). */
const LONG_WINDOW_S = 60;

export interface FleetUsage {
  readonly wiring: Exclude<Wiring, 'memory'>;
  readonly messages: number;
  readonly invocations: number;
  /** SDK usage per 1,000 messages. */
  readonly per1000: AwsUsage;
  /** What the functions printed (EMF + JSON logs), bytes per invocation. */
  readonly stdoutBytesPerInvocation: number;
  /** Distinct custom metrics (name + dimensions) per machine, and fleet-wide ones. */
  readonly customMetricsPerMachine: number;
  readonly customMetricsFleet: number;
  /** Stored bytes per message: gzip raw archive, DynamoDB time series, Timestream ingest. */
  readonly s3BytesPerMessage: number;
  readonly timeSeriesBytesPerMessage: number;
  /** Stored twin state per machine, bytes. */
  readonly machineStateBytes: number;
  /** With ASSUMED_LATENCY_MS: wall and CPU ms per invocation (this machine, one core). */
  readonly invocationWallMs: number;
  readonly invocationCpuMs: number;
}

export interface ProcessorData {
  readonly batchSize: number;
  readonly windowMs: number;
  readonly messagesPerMachinePerBatch: number;
  readonly avgBatch: number;
  /** Mean device payload, bytes. */
  readonly avgPayloadBytes: number;
  /** One telemetry message of the fleet (the naive design's unit of work). */
  readonly sample: { readonly topic: string; readonly payload: string };
  /** µs per message at batch size 1 (a per-message invocation, in-memory ports). */
  readonly handlerUsAtBatch1: number;
  readonly port: Record<string, number>;
  readonly dynamodb: FleetUsage;
  readonly timestream: FleetUsage;
}

const per1000 = (n: number, messages: number) => (n * 1000) / messages;

function scaleUsage(u: AwsUsage, messages: number): AwsUsage {
  const scale = (r: Record<string, number>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, per1000(v, messages)]));
  return {
    commands: scale(u.commands),
    dynamodb: { writeUnits: scale(u.dynamodb.writeUnits), readUnits: scale(u.dynamodb.readUnits) },
    s3: { putBytes: per1000(u.s3.putBytes, messages) },
    iot: scale(u.iot) as AwsUsage['iot'],
    timestream: scale(u.timestream) as AwsUsage['timestream'],
  };
}

/** µs per message of the handler and of core-only, for one batch size (median of rounds). */
async function timeBatchSize(traffic: readonly FleetMessage[], size: number, count: number, rounds: number) {
  const batches = prepare(slicesOf(traffic.slice(0, count), size));
  const messages = batches.length * size;
  const handler: number[] = [];
  const noEmf: number[] = [];
  const core: number[] = [];
  const timeHandler = async (emf: boolean) => {
    // A fresh handler and store each time (stores grow).
    const p = processorUnderTest('memory', { emf });
    const t = performance.now();
    const { failed } = await runBatches(p, batches);
    if (failed > 0) throw new Error(`processor failed ${failed} records at batch size ${size}`);
    return ((performance.now() - t) * 1000) / messages;
  };
  // Alternating rounds, so drift on the shared machine hits all three alike; the first one warms the JIT.
  for (let round = 0; round < rounds; round++) {
    handler.push(await timeHandler(true));
    noEmf.push(await timeHandler(false));
    const t = performance.now();
    coreOnly(batches);
    core.push(((performance.now() - t) * 1000) / messages);
  }
  const kept = (xs: number[]) => (xs.length > 2 ? xs.slice(1) : xs);
  return {
    handlerUs: median(kept(handler)),
    noEmfUs: median(kept(noEmf)),
    coreUs: median(kept(core)),
    messages,
  };
}

/** The fleet's batches through the real adapters over the fake account. */
export async function measureFleetUsage(
  batches: readonly PreparedBatch[],
  wiring: Exclude<Wiring, 'memory'>,
  options: { machines: number; warmup: number; timed: number },
): Promise<FleetUsage> {
  const { machines, warmup, timed } = options;
  const latency: { -readonly [K in keyof FakeLatency]: number } = {
    dynamodb: 0,
    dynamodbBatch: 0,
    s3Put: 0,
    iotData: 0,
    timestreamWrite: 0,
  };
  const fake = installFakeAws(latency);
  try {
    const p = processorUnderTest(wiring, {
      logLevel: 'INFO',
      telemetryRetentionDays: CLOUD.telemetryRetentionDays,
    });
    // The FMEA table exists before the fleet runs (the stack's seed function fills it at deploy time).
    await p.deps.components.seed(FLEXO_104_COMPONENTS);
    const counted = batches.slice(warmup, batches.length - timed);
    const tail = batches.slice(batches.length - timed);
    await runBatches(p, batches.slice(0, warmup));
    fake.resetUsage();

    const metrics = new Set<string>();
    let partial = '';
    const onOutput = (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('"_aws"')) continue;
        const doc = JSON.parse(line) as Record<string, unknown> & {
          _aws: {
            CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
          };
        };
        for (const d of doc._aws.CloudWatchMetrics) {
          for (const set of d.Dimensions) {
            const dims = set.map((k) => `${k}=${String(doc[k])}`).join(',');
            for (const m of d.Metrics) metrics.add(`${d.Namespace}|${m.Name}|${dims}`);
          }
        }
      }
    };
    let failed = 0;
    let stdoutBytes = 0;
    for (const batch of counted) {
      const r = await runBatches(p, [batch], onOutput);
      failed += r.failed;
      stdoutBytes += r.stdoutBytes;
      fake.verify();
    }
    if (failed > 0) throw new Error(`processor failed ${failed} records over the fake AWS account`);
    const messages = counted.reduce((n, b) => n + b.messages.length, 0);
    const usage = fake.usage();

    // Durations: the last batches (not counted above), with service latencies: wall and CPU per invocation.
    Object.assign(latency, ASSUMED_LATENCY_MS);
    let wall = 0;
    let cpu = 0;
    for (const batch of tail) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await runBatches(p, [batch]);
      wall += performance.now() - t0;
      const c = process.cpuUsage(c0);
      cpu += (c.user + c.system) / 1000;
    }

    const perMachine = [...metrics].filter((m) => m.includes('machine_id=')).length / machines;
    // DynamoDB bills 100 bytes of overhead per stored item on top of its attributes.
    const stored = batches.reduce((n, b) => n + b.messages.length, 0);
    const telemetryTable =
      wiring === 'aws-dynamodb'
        ? (fake.tableBytes(FAKE_TABLE_NAMES.TELEMETRY_TABLE) +
            DYNAMODB_ITEM_OVERHEAD_BYTES * fake.tableItems(FAKE_TABLE_NAMES.TELEMETRY_TABLE)) /
          stored
        : usage.timestream.bytes / messages;
    return {
      wiring,
      messages,
      invocations: counted.length,
      per1000: scaleUsage(usage, messages),
      stdoutBytesPerInvocation: stdoutBytes / counted.length,
      customMetricsPerMachine: perMachine,
      customMetricsFleet: [...metrics].filter((m) => !m.includes('machine_id=')).length,
      s3BytesPerMessage: usage.s3.putBytes / messages,
      timeSeriesBytesPerMessage: telemetryTable,
      machineStateBytes: fake.tableBytes(FAKE_TABLE_NAMES.MACHINE_STATE_TABLE) / machines,
      invocationWallMs: wall / tail.length,
      invocationCpuMs: cpu / tail.length,
    };
  } finally {
    fake.restore();
  }
}

/** Port calls per 1,000 messages of the fleet at a given window (in-memory adapters, counted). */
export async function portCalls(batches: readonly PreparedBatch[], warmup: number) {
  const counter = portCounter();
  const p = processorUnderTest('memory', { counter });
  await runBatches(p, batches.slice(0, warmup));
  counter.reset();
  const counted = batches.slice(warmup);
  await runBatches(p, counted);
  const messages = counted.reduce((n, b) => n + b.messages.length, 0);
  return Object.fromEntries(
    Object.entries(counter.counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, per1000(v, messages)]),
  );
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;

/** Billable write-side calls per 1,000 messages from an SDK usage (what the naive design does 2 of per message). */
export function writeCalls(u: AwsUsage): number {
  const c = u.commands;
  return (
    (c['Timestream.WriteRecords'] ?? 0) +
    (c['DynamoDB.UpdateItem'] ?? 0) +
    (c['DynamoDB.PutItem'] ?? 0) +
    (c['S3.PutObject'] ?? 0) +
    (c['IoT.Publish'] ?? 0) +
    (c['IoT.UpdateThingShadow'] ?? 0)
  );
}

export const processorSection: Section = {
  name: 'processor',
  title: 'Processor handler: µs per message by batch size, and storage calls of a 100-machine fleet',
  async run({ quick, log }) {
    const windowMs = CLOUD.batchWindowSeconds * 1000;
    const minutes = quick ? 4 : 10;
    log(`simulating ${FLEET_MACHINES} machines for ${minutes} min (simulator, virtual clock)…`);
    const traffic = await fleetTraffic({ machines: FLEET_MACHINES, durationMs: minutes * 60_000 });

    // 1. Per-message cost by batch size.
    const figures: Figure[] = [];
    const timing: Record<number, { handlerUs: number; noEmfUs: number; coreUs: number; messages: number }> =
      {};
    for (const size of BATCH_SIZES) {
      const count = Math.min(traffic.length, quick ? TIMED_MESSAGES[size] / 4 : TIMED_MESSAGES[size]);
      const rounds = quick ? 2 : 3;
      const t = await timeBatchSize(traffic, size, count, rounds);
      timing[size] = t;
      log(
        `batch ${size}: handler ${t.handlerUs.toFixed(1)} µs/msg (without EMF ${t.noEmfUs.toFixed(1)}), core-only ${t.coreUs.toFixed(1)} µs/msg (${t.messages} messages, ${rounds} rounds)`,
      );
    }
    for (const size of BATCH_SIZES) {
      const t = timing[size] as { handlerUs: number; coreUs: number };
      figures.push({ name: `handler, batch ${size}`, value: round1(t.handlerUs), unit: 'µs/msg' });
    }
    const cloudTiming = timing[1000] as { handlerUs: number; noEmfUs: number; coreUs: number };
    figures.push(
      { name: 'baseline: core only (batch 1,000)', value: round1(cloudTiming.coreUs), unit: 'µs/msg' },
      {
        name: 'handler, batch 1,000, EMF dropped (context)',
        value: round1(cloudTiming.noEmfUs),
        unit: 'µs/msg',
      },
      {
        name: 'batch 1,000 / batch 1 per message',
        value: round2(cloudTiming.handlerUs / (timing[1]?.handlerUs ?? 1)),
        unit: '×',
      },
      {
        name: 'handler / core, batch 1',
        value: round1((timing[1]?.handlerUs ?? 0) / (timing[1]?.coreUs ?? 1)),
        unit: '×',
      },
      {
        name: `handler / core, batch 1,000${CLOUD.batchSize === 1000 ? ' (cloud size)' : ''}`,
        value: round2(cloudTiming.handlerUs / cloudTiming.coreUs),
        unit: '×',
        target: `≤ ${OVERHEAD_TARGET} ×`,
        pass: cloudTiming.handlerUs / cloudTiming.coreUs <= OVERHEAD_TARGET,
      },
    );

    // 2. Calls of the fleet with the cloud batch size and window.
    const batches = prepare(batchesOf(traffic, CLOUD.batchSize, windowMs));
    const warmup = Math.ceil(60_000 / windowMs);
    const avgBatch = traffic.length / batches.length;
    log(
      `fleet: ${traffic.length} messages in ${batches.length} batches (size ≤ ${CLOUD.batchSize}, window ${CLOUD.batchWindowSeconds} s): ${avgBatch.toFixed(0)} per batch`,
    );
    const port = await portCalls(batches, warmup);
    const longPort = await portCalls(prepare(batchesOf(traffic, CLOUD.batchSize, LONG_WINDOW_S * 1000)), 1);
    log('port calls per 1,000 messages:');
    for (const [k, v] of Object.entries(port)) log(`  ${k.padEnd(44)} ${v.toFixed(1)}`);
    const timed = quick ? 2 : 6;
    const run = { machines: FLEET_MACHINES, warmup, timed };
    const dynamodb = await measureFleetUsage(batches, 'aws-dynamodb', run);
    const timestream = await measureFleetUsage(batches, 'aws-timestream', run);
    for (const u of [dynamodb, timestream]) {
      log(`SDK commands per 1,000 messages (${u.wiring}):`);
      for (const [k, v] of Object.entries(u.per1000.commands)) log(`  ${k.padEnd(44)} ${v.toFixed(1)}`);
      log(
        `  write units: DynamoDB ${JSON.stringify(u.per1000.dynamodb.writeUnits)}, Timestream ${u.per1000.timestream.writeUnits.toFixed(1)}; invocation ${u.invocationWallMs.toFixed(0)} ms wall with assumed latencies, ${u.invocationCpuMs.toFixed(0)} ms CPU`,
      );
    }

    const portWrites = (p: Record<string, number>) =>
      (p['timeSeries.writeTelemetry'] ?? 0) +
      (p['timeSeries.writeProduction'] ?? 0) +
      (p['rawArchive.putRawBatch'] ?? 0) +
      (p['rawArchive.putQuarantine'] ?? 0) +
      (p['machineStates.put'] ?? 0) +
      (p['anomalies.apply'] ?? 0) +
      (p['publisher.published alarm events'] ?? 0) +
      (p['publisher.updateHealthShadow'] ?? 0);
    const ddbWrites = writeCalls(dynamodb.per1000);
    const tsWrites = writeCalls(timestream.per1000);
    const c = dynamodb.per1000.commands;
    const tc = timestream.per1000.commands;
    figures.push(
      { name: 'fleet: messages per machine per batch', value: round2(avgBatch / FLEET_MACHINES), unit: '' },
      { name: 'fleet: invocations per 1,000 messages', value: round2(per1000(1, avgBatch)), unit: '' },
      { name: 'ports: write-side calls / 1,000 msgs', value: round1(portWrites(port)), unit: 'calls' },
      {
        name: `ports: same at a ${LONG_WINDOW_S} s window (context)`,
        value: round1(portWrites(longPort)),
        unit: 'calls',
      },
      {
        name: 'SDK: Timestream WriteRecords / 1,000 msgs',
        value: round1(tc['Timestream.WriteRecords'] ?? 0),
        unit: 'calls',
      },
      {
        name: 'SDK: records per WriteRecords (≤ 100)',
        value: round1(timestream.per1000.timestream.records / (tc['Timestream.WriteRecords'] ?? 1)),
        unit: '',
        target: `≤ ${MAX_RECORDS_PER_WRITE}`,
        pass:
          timestream.per1000.timestream.records / (tc['Timestream.WriteRecords'] ?? 1) <=
          MAX_RECORDS_PER_WRITE,
      },
      {
        name: 'SDK: DynamoDB UpdateItem (time series)',
        value: round1(c['DynamoDB.UpdateItem'] ?? 0),
        unit: 'calls',
      },
      {
        name: 'SDK: DynamoDB PutItem (state, alarms)',
        value: round1(c['DynamoDB.PutItem'] ?? 0),
        unit: 'calls',
      },
      {
        name: 'SDK: DynamoDB reads (BatchGet, Get, Scan)',
        value: round1(
          (c['DynamoDB.BatchGetItem'] ?? 0) + (c['DynamoDB.GetItem'] ?? 0) + (c['DynamoDB.Scan'] ?? 0),
        ),
        unit: 'calls',
      },
      { name: 'SDK: S3 PutObject', value: round1(c['S3.PutObject'] ?? 0), unit: 'calls' },
      { name: 'SDK: IoT Publish (alarm events)', value: round1(c['IoT.Publish'] ?? 0), unit: 'calls' },
      { name: 'SDK: IoT UpdateThingShadow', value: round1(c['IoT.UpdateThingShadow'] ?? 0), unit: 'calls' },
      { name: 'baseline: naive design write calls / 1,000', value: 2000, unit: 'calls' },
      {
        name: 'SDK write calls / naive (DynamoDB backend)',
        value: round2(ddbWrites / 2000),
        unit: '×',
        target: `≤ ${CALLS_TARGET} ×`,
        pass: ddbWrites / 2000 <= CALLS_TARGET,
      },
      {
        name: 'SDK write calls / naive (Timestream backend)',
        value: round2(tsWrites / 2000),
        unit: '×',
        target: `≤ ${CALLS_TARGET} ×`,
        pass: tsWrites / 2000 <= CALLS_TARGET,
      },
    );

    const data: ProcessorData = {
      batchSize: CLOUD.batchSize,
      windowMs,
      messagesPerMachinePerBatch: avgBatch / FLEET_MACHINES,
      avgBatch,
      avgPayloadBytes: traffic.reduce((n, m) => n + Buffer.byteLength(m.payload), 0) / traffic.length,
      sample: traffic.find((m) => m.kind === 'telemetry') as FleetMessage,
      handlerUsAtBatch1: timing[1]?.handlerUs ?? 0,
      port,
      dynamodb,
      timestream,
    };
    return {
      section: 'processor',
      title: processorSection.title,
      setup: {
        machines: FLEET_MACHINES,
        traffic_minutes: minutes,
        messages: traffic.length,
        tick_s: 5,
        messages_per_tick: 2,
        batch_size: CLOUD.batchSize,
        window_s: CLOUD.batchWindowSeconds,
        warmup_batches: warmup,
        latency_ms: Object.entries(ASSUMED_LATENCY_MS)
          .map(([k, v]) => `${k} ${v}`)
          .join(' / '),
      },
      figures,
      data,
    };
  },
};
