/**
 * The processor handler end to end, with the real DynamoDB and S3 adapters over the wire (dynalite,
 * s3rver), a recording IoT publisher, and Powertools' real EMF output read back from stdout.
 */
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { RecordingEventPublisher } from '../../lambdas/adapters/memory/publisher.js';
import type { MachineState } from '../../lambdas/core/machine.js';
import {
  ConcurrentUpdateError,
  type MachineStateStore,
  type RawArchive,
  type TimeSeriesStore,
} from '../../lambdas/core/ports.js';
import { makeHandler, type ProcessorDeps } from '../../lambdas/handlers/processor.js';
import { machineProfile } from '../../lambdas/shared/config.js';
import { NORMAL_SENSORS, production, T0, telemetry } from '../support/fixtures.js';
import { lambdaContext } from '../support/lambda-context.js';
import { type LocalAws, localAws } from '../support/local-aws.js';
import { captureEmf, metricSum, silentLogger, testMetrics } from '../support/powertools.js';
import { type Published, sqsEvent } from '../support/sqs.js';

const NOW = T0 + 120_000;

async function setup(overrides: (aws: LocalAws) => Partial<ProcessorDeps> = () => ({})) {
  const aws = await localAws();
  const publisher = new RecordingEventPublisher();
  const deps: ProcessorDeps = {
    ...aws.stores,
    publisher,
    machineProfile: (id) => machineProfile({ MACHINE_PROFILES: undefined }, id),
    logger: silentLogger(),
    metrics: testMetrics(),
    clock: () => NOW,
    ...overrides(aws),
  };
  const handler = makeHandler(deps);
  const run = (records: Published[]) =>
    captureEmf(() => handler(sqsEvent(records), lambdaContext()) as Promise<SQSBatchResponse>);
  return { aws, publisher, deps, handler, run };
}

const reading = (
  id: string,
  seq: number,
  sensors: Record<string, number> = {},
  machine = 'C_FL104',
): Published => ({
  id,
  payload: { ...telemetry(seq, { machine_id: machine }), sensors: { ...NORMAL_SENSORS, ...sensors } },
  receivedAt: T0 + seq * 1000 + 150,
});

async function listKeys(aws: LocalAws, prefix: string): Promise<string[]> {
  const out = await aws.clients.s3.send(
    new ListObjectsV2Command({ Bucket: aws.config.RAW_BUCKET, Prefix: prefix }),
  );
  return (out.Contents ?? []).map((c) => c.Key as string).sort();
}

async function readLines(aws: LocalAws, key: string): Promise<string[]> {
  const out = await aws.clients.s3.send(new GetObjectCommand({ Bucket: aws.config.RAW_BUCKET, Key: key }));
  const bytes = await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
  return gunzipSync(bytes).toString().split('\n').filter(Boolean);
}

/** Everything the processor stores: all items of its tables and every S3 object with its content. */
async function snapshot(aws: LocalAws) {
  const tables: Record<string, unknown[]> = {};
  for (const name of [
    aws.config.ANOMALIES_TABLE,
    aws.config.MACHINE_STATE_TABLE,
    aws.config.TELEMETRY_TABLE,
    aws.config.COMPONENTS_TABLE,
  ]) {
    const out = await aws.clients.dynamodb.send(new ScanCommand({ TableName: name, ConsistentRead: true }));
    tables[name as string] = (out.Items ?? []).map((i) => JSON.stringify(i)).sort();
  }
  const objects: Record<string, string[]> = {};
  for (const key of await listKeys(aws, '')) objects[key] = await readLines(aws, key);
  return { tables, objects };
}

describe('processor: a mixed batch', () => {
  it('stores the valid, quarantines the invalid with reasons, drops duplicates, and fails nothing', async () => {
    const { aws, run } = await setup();
    const records: Published[] = [
      reading('r1', 1),
      reading('r2', 2),
      { id: 'bad-json', payload: '{"machine_id":"C_FL104",', receivedAt: T0 + 2200 },
      {
        id: 'wrong-topic',
        payload: telemetry(3),
        topic: 'flexotwin/OTHER_1/telemetry',
        receivedAt: T0 + 3100,
      },
      { id: 'not-utf8', payload: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), receivedAt: T0 + 3200 },
      reading('humid', 4, { humidity_env: 140 }),
      { ...reading('r2', 2), id: 'r2-again' },
      reading('r3', 3),
      { id: 'p1', kind: 'production', payload: production(1), receivedAt: T0 + 5100 },
    ];
    const { result, metrics } = await run(records);
    expect(result).toEqual({ batchItemFailures: [] });

    const series = await aws.stores.timeSeries.queryTelemetry({ machine_id: 'C_FL104', from: T0, to: NOW });
    expect(series.kind === 'raw' && series.points.map((p) => p.seq)).toEqual([1, 2, 3]);
    expect(await aws.stores.timeSeries.queryProduction({ machine_id: 'C_FL104', from: T0, to: NOW })).toEqual(
      [production(1)],
    );

    const quarantine = await listKeys(aws, 'quarantine/');
    expect(quarantine).toHaveLength(1);
    expect(quarantine[0]).toMatch(/^quarantine\/dt=2025-10-23\/hour=10\/[0-9a-f]{32}\.jsonl\.gz$/);
    const entries = (await readLines(aws, quarantine[0] as string)).map((l) => JSON.parse(l));
    expect(entries.map((e) => [e.record_id, e.kind, e.topic])).toEqual([
      ['bad-json', 'telemetry', 'flexotwin/C_FL104/telemetry'],
      ['wrong-topic', 'telemetry', 'flexotwin/OTHER_1/telemetry'],
      ['not-utf8', 'telemetry', 'flexotwin/C_FL104/telemetry'],
      ['humid', 'telemetry', 'flexotwin/C_FL104/telemetry'],
    ]);
    expect(entries[0].reasons[0]).toMatch(/^payload is not valid JSON/);
    expect(entries[1].reasons).toEqual([
      'machine_id "C_FL104" does not match the topic\'s machine id "OTHER_1"',
    ]);
    expect(entries[2]).toMatchObject({ reasons: ['payload is not valid UTF-8'], payload: 'e//+fQ==' });
    expect(entries[3].reasons).toEqual(['sensors.humidity_env: is outside the physical range 0..100 %']);
    expect(entries[3].received_at).toBe(T0 + 4150);

    const raw = await listKeys(aws, 'raw/');
    expect(raw.map((k) => k.replace(/[0-9a-f]{32}/, '<batch>'))).toEqual([
      'raw/kind=production/machine_id=C_FL104/dt=2025-10-23/hour=10/<batch>.jsonl.gz',
      'raw/kind=telemetry/machine_id=C_FL104/dt=2025-10-23/hour=10/<batch>.jsonl.gz',
    ]);
    const lines = await readLines(aws, raw[1] as string);
    expect(lines.map((l) => JSON.parse(l).seq)).toEqual([1, 2, 3]);
    expect(lines[0]).toBe(JSON.stringify(records[0]?.payload));

    const state = await aws.stores.machineStates.get('C_FL104');
    expect(state?.version).toBe(1);
    expect(state?.state.counters).toEqual({ telemetry: 3, production: 1 });

    expect(metricSum(metrics, 'Messages', { kind: 'telemetry' })).toBe(3);
    expect(metricSum(metrics, 'Messages', { kind: 'production' })).toBe(1);
    expect(metricSum(metrics, 'MessagesQuarantined')).toBe(4);
    expect(metricSum(metrics, 'MessagesDuplicate')).toBe(1);
    expect(metricSum(metrics, 'RecordsFailed')).toBe(0);
    const latency = metrics.find((m) => m.name === 'ProcessingLatency');
    expect(latency?.value).toEqual([
      NOW - (T0 + 1150),
      NOW - (T0 + 2150),
      NOW - (T0 + 3150),
      NOW - (T0 + 5100),
    ]);
    expect(metricSum(metrics, 'HealthIndex', { machine_id: 'C_FL104' })).toBeGreaterThan(0);
    const components = metrics.filter((m) => m.name === 'ComponentHealthIndex');
    expect(components).toHaveLength(15);
    expect(
      components.every((m) => m.dimensions.component !== undefined && !('machine_id' in m.dimensions)),
    ).toBe(true);
  });

  it('quarantines readings the time-series store refuses, with its reason, without failing them', async () => {
    const { aws, run } = await setup((aws) => ({
      timeSeries: refusing(
        aws.stores.timeSeries,
        2,
        'Timestream rejected the record: different value at the same time',
      ),
    }));
    const { result } = await run([reading('r1', 1), reading('r2', 2)]);
    expect(result).toEqual({ batchItemFailures: [] });
    const [key] = await listKeys(aws, 'quarantine/');
    const entries = (await readLines(aws, key as string)).map((l) => JSON.parse(l));
    expect(entries).toEqual([
      expect.objectContaining({
        record_id: 'r2',
        kind: 'telemetry',
        reasons: ['Timestream rejected the record: different value at the same time'],
      }),
    ]);
  });

  it('fails the quarantined records when the quarantine cannot be written', async () => {
    const { run } = await setup((aws) => ({
      rawArchive: failing(aws.stores.rawArchive, { quarantine: true }),
    }));
    const { result, metrics } = await run([reading('r1', 1), { id: 'bad', payload: 'nope', receivedAt: T0 }]);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    // Not quarantined yet: counted when the retry stores it, not on every attempt.
    expect(metricSum(metrics, 'MessagesQuarantined')).toBe(0);
  });
});

describe('processor: partial failure and retry', () => {
  it('reports exactly the records of the machine whose S3 write failed; the retry stores them once', async () => {
    let s3Down = true;
    const { aws, run } = await setup((aws) => ({
      rawArchive: failing(aws.stores.rawArchive, { raw: (machine) => s3Down && machine === 'M2' }),
    }));
    const batch = [
      reading('a1', 1),
      reading('b1', 1, {}, 'M2'),
      reading('a2', 2),
      reading('b2', 2, {}, 'M2'),
      { ...reading('b2', 2, {}, 'M2'), id: 'b2-dup' },
      { id: 'junk', payload: '[]', receivedAt: T0 },
    ];
    const first = await run(batch);
    expect(first.result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      'b1',
      'b2',
      'b2-dup',
    ]);
    expect(metricSum(first.metrics, 'RecordsFailed')).toBe(3);
    expect(metricSum(first.metrics, 'Messages', { kind: 'telemetry' })).toBe(2);
    expect(await aws.stores.machineStates.get('M2')).toBeUndefined();
    expect((await aws.stores.machineStates.get('C_FL104'))?.version).toBe(1);

    // SQS redelivers only the failed records; S3 is back.
    s3Down = false;
    const retry = await run(batch.filter((r) => ['b1', 'b2', 'b2-dup'].includes(r.id)));
    expect(retry.result).toEqual({ batchItemFailures: [] });
    expect(metricSum(retry.metrics, 'Messages', { kind: 'telemetry' })).toBe(2);

    const m2 = await aws.stores.timeSeries.queryTelemetry({ machine_id: 'M2', from: T0, to: NOW });
    expect(m2.kind === 'raw' && m2.points.map((p) => p.seq)).toEqual([1, 2]);
    const m2Raw = await listKeys(aws, 'raw/kind=telemetry/machine_id=M2/');
    expect(m2Raw).toHaveLength(1);
    expect((await readLines(aws, m2Raw[0] as string)).map((l) => JSON.parse(l).seq)).toEqual([1, 2]);
    expect((await aws.stores.machineStates.get('M2'))?.state.counters.telemetry).toBe(2);
    expect(await listKeys(aws, 'quarantine/')).toHaveLength(1);
  });

  it('fails a machine whose state was saved concurrently, and only that machine', async () => {
    const { run } = await setup((aws) => ({ machineStates: conflicting(aws.stores.machineStates, 'M2') }));
    const { result, metrics } = await run([reading('a1', 1), reading('b1', 1, {}, 'M2')]);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'b1' }] });
    expect(metricSum(metrics, 'ConcurrentUpdates')).toBe(1);
  });

  it('answers a batch in which every record fails with every record, not an exception', async () => {
    const { run } = await setup((aws) => ({
      rawArchive: failing(aws.stores.rawArchive, { raw: () => true }),
    }));
    const { result } = await run([reading('a1', 1), reading('a2', 2)]);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'a1' }, { itemIdentifier: 'a2' }] });
  });
});

describe('processor: detection across batches', () => {
  it('raises an alarm after N readings (carried over two batches) and clears it after N normal ones', async () => {
    const { aws, publisher, run } = await setup();
    const hot = { temperature_coil: 104.5 };
    // Debounce is 3: two hot readings are not yet an alarm…
    const b1 = await run([reading('t1', 1), reading('t2', 2, hot), reading('t3', 3, hot)]);
    expect(b1.result.batchItemFailures).toEqual([]);
    expect(publisher.alarms).toEqual([]);
    expect((await aws.stores.anomalies.query({ limit: 10 })).items).toEqual([]);
    const carried = (await aws.stores.machineStates.get('C_FL104'))?.state as MachineState;
    expect(carried.detector.rules.coil_temp_high?.n).toBe(2);

    // …the third, in the next batch, is.
    const b2 = await run([reading('t4', 4, hot), reading('t5', 5, { temperature_coil: 104.9 })]);
    const alarmId = `C_FL104.coil_temp_high.${T0 + 2000}`;
    expect(publisher.alarms.map((a) => [a.event.type, a.event.alarm.alarm_id])).toEqual([
      ['raised', alarmId],
    ]);
    expect(await aws.stores.anomalies.get(alarmId)).toMatchObject({
      state: 'active_unacknowledged',
      category: 'thermal',
      severity: 'warning',
      component: 'Main Drive Motor',
      value: 104.9,
      first_seen: new Date(T0 + 2000).toISOString(),
    });
    expect(metricSum(b2.metrics, 'Anomalies', { category: 'thermal', severity: 'warning' })).toBe(1);
    expect(metricSum(b2.metrics, 'AnomaliesByMachine', { machine_id: 'C_FL104' })).toBe(1);
    const shadow = publisher.shadows.get('C_FL104') as Record<string, unknown>;
    expect(shadow.active_alarms).toEqual([
      { alarm_id: alarmId, sensor: 'temperature_coil', category: 'thermal', severity: 'warning' },
    ]);

    // Back below 100 − 3 °C hysteresis for three readings: cleared.
    await run([reading('t6', 6), reading('t7', 7), reading('t8', 8)]);
    expect(publisher.alarms.map((a) => a.event.type)).toEqual(['raised', 'cleared']);
    expect(await aws.stores.anomalies.get(alarmId)).toMatchObject({
      state: 'cleared',
      cleared_at: new Date(T0 + 8000).toISOString(),
    });
    expect((publisher.shadows.get('C_FL104') as Record<string, unknown>).active_alarms).toEqual([]);
  });

  it('reports the health index of every machine a batch commits, and the components, changed or not', async () => {
    const { run } = await setup();
    const first = await run([reading('h1', 1), reading('h2', 2)]);
    const health = first.metrics.find(
      (m) => m.name === 'HealthIndex' && m.dimensions.machine_id === 'C_FL104',
    );
    expect(health?.value).toBeGreaterThan(0);

    // Normal readings, no production, no alarm: the health is unchanged, and still reported.
    const second = await run([reading('h3', 3), reading('h4', 4)]);
    expect(
      second.metrics.filter((m) => m.name === 'HealthIndex' && m.dimensions.machine_id === 'C_FL104'),
    ).toEqual([health]);
    // The fleet's worst per component is reported every batch: a worst machine whose health holds steady
    // stays the minimum of the dashboard's window.
    const components = (run: typeof first) =>
      run.metrics
        .filter((m) => m.name === 'ComponentHealthIndex')
        .map((m) => [m.dimensions.component, m.value]);
    expect(components(second)).toHaveLength(15);
    expect(components(second)).toEqual(components(first));
  });

  it("reports each component's health once for the fleet: the worst machine's, whatever the fleet size", async () => {
    const { aws, run } = await setup();
    const machines = ['C_FL104', 'C_FL105', 'C_FL106'];
    // C_FL105 runs hot: its thermal components degrade, the others' do not.
    const records = machines.flatMap((machine, m) =>
      [1, 2, 3]
        .map((seq) =>
          reading(
            `${machine}-${seq}`,
            seq,
            machine === 'C_FL105' ? { temperature_coil: 150, vibration_rotor: 12 } : {},
            machine,
          ),
        )
        .map((r, i) => ({ ...r, id: `${m}-${i}` })),
    );
    const { result, metrics } = await run(records);
    expect(result).toEqual({ batchItemFailures: [] });

    const reported = new Map(
      metrics
        .filter((m) => m.name === 'ComponentHealthIndex')
        .map((m) => [m.dimensions.component as string, m.value as number]),
    );
    expect(reported.size).toBe(15);
    expect(metrics.filter((m) => m.name === 'ComponentHealthIndex')).toHaveLength(15);
    // The value per component is the minimum over the machines, read back from what was stored.
    const worst = new Map<string, number>();
    const perMachine = new Map<string, Map<string, number>>();
    for (const machine of machines) {
      const state = await aws.stores.machineStates.get(machine);
      const byComponent = new Map(
        (state?.state.health?.components ?? []).map((c) => [c.component_name, c.health_index]),
      );
      perMachine.set(machine, byComponent);
      for (const [c, v] of byComponent) worst.set(c, Math.min(worst.get(c) ?? Number.POSITIVE_INFINITY, v));
    }
    expect(reported).toEqual(worst);
    // Not a constant: the hot machine sets at least one component's figure, below the others'.
    const hot = perMachine.get('C_FL105') as Map<string, number>;
    const cool = perMachine.get('C_FL104') as Map<string, number>;
    expect([...hot].some(([c, v]) => v < (cool.get(c) ?? 0) && reported.get(c) === v)).toBe(true);
  });

  it('archives a message redelivered in another batch (QoS 1 after a lost PUBACK) once, and counts it', async () => {
    const { aws, run } = await setup();
    const first = await run([reading('r1', 1), reading('r2', 2), reading('r3', 3)]);
    expect(first.result.batchItemFailures).toEqual([]);
    // The device resent r2 (new message id); it arrives with new readings, in a batch of another shape.
    const second = await run([{ ...reading('r2', 2), id: 'r2-resent' }, reading('r4', 4), reading('r5', 5)]);
    expect(second.result.batchItemFailures).toEqual([]);
    expect(metricSum(second.metrics, 'MessagesDuplicate')).toBe(1);
    const lines: number[] = [];
    for (const key of await listKeys(aws, 'raw/kind=telemetry/machine_id=C_FL104/'))
      lines.push(...(await readLines(aws, key)).map((l) => JSON.parse(l).seq as number));
    expect(lines.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('archives and stores a late reading (behind the watermark, never seen) once', async () => {
    const { aws, run } = await setup();
    await run([reading('l1', 1), reading('l3', 3)]);
    const late = await run([reading('l2', 2)]);
    expect(metricSum(late.metrics, 'MessagesDuplicate')).toBe(0);
    await run([{ ...reading('l2', 2), id: 'l2-again' }]);
    const lines: number[] = [];
    for (const key of await listKeys(aws, 'raw/kind=telemetry/machine_id=C_FL104/'))
      lines.push(...(await readLines(aws, key)).map((l) => JSON.parse(l).seq as number));
    expect(lines.sort()).toEqual([1, 2, 3]);
    const stored = await aws.stores.timeSeries.queryTelemetry({ machine_id: 'C_FL104', from: T0, to: NOW });
    expect(stored.kind === 'raw' && stored.points.map((p) => p.seq)).toEqual([1, 2, 3]);
  });

  it('leaves identical stored state when the same batch is processed twice', async () => {
    const { aws, publisher, run } = await setup();
    const hot = { vibration_rotor: 4.8 };
    const batch = [
      reading('v1', 1, hot),
      reading('v2', 2, hot),
      reading('v3', 3, hot),
      { id: 'p1', kind: 'production' as const, payload: production(1), receivedAt: T0 + 5100 },
      { id: 'bad', payload: '{', receivedAt: T0 + 100 },
    ];
    const first = await run(batch);
    expect(first.result.batchItemFailures).toEqual([]);
    expect(metricSum(first.metrics, 'Anomalies', { category: 'mechanical', severity: 'critical' })).toBe(1);
    const before = await snapshot(aws);
    const published = publisher.alarms.length;

    const second = await run(batch);
    expect(second.result.batchItemFailures).toEqual([]);
    expect(await snapshot(aws)).toEqual(before);
    expect(publisher.alarms).toHaveLength(published);
    expect(metricSum(second.metrics, 'Anomalies')).toBe(0);
    expect(metricSum(second.metrics, 'AnomaliesByMachine')).toBe(0);
    expect(metricSum(second.metrics, 'Messages')).toBe(0);
    expect(second.metrics.find((m) => m.name === 'ProcessingLatency')).toBeUndefined();
    expect(metricSum(second.metrics, 'HealthIndex')).toBe(0);
    expect((await aws.stores.machineStates.get('C_FL104'))?.version).toBe(1);
  });
});

// ------------------------------------------------------------------------------------------- fault injection

function failing(
  inner: RawArchive,
  when: { raw?: (machineId: string) => boolean; quarantine?: boolean },
): RawArchive {
  return {
    putRawBatch: (batch) =>
      when.raw?.(batch.machine_id)
        ? Promise.reject(new Error('S3 is unavailable'))
        : inner.putRawBatch(batch),
    putQuarantine: (id, at, messages) =>
      when.quarantine
        ? Promise.reject(new Error('S3 is unavailable'))
        : inner.putQuarantine(id, at, messages),
  };
}

function refusing(inner: TimeSeriesStore, seq: number, reason: string): TimeSeriesStore {
  return {
    writeTelemetry: async (messages) => {
      const keep = messages.filter((m) => m.seq !== seq);
      const report = await inner.writeTelemetry(keep);
      const refused = messages
        .filter((m) => m.seq === seq)
        .map((m) => ({ machine_id: m.machine_id, seq: m.seq, reason }));
      return { written: report.written, rejected: [...report.rejected, ...refused] };
    },
    writeProduction: (m) => inner.writeProduction(m),
    queryTelemetry: (q) => inner.queryTelemetry(q),
    queryProduction: (q) => inner.queryProduction(q),
  };
}

function conflicting(inner: MachineStateStore, machineId: string): MachineStateStore {
  return {
    get: (id) => inner.get(id),
    getMany: (ids) => inner.getMany(ids),
    list: () => inner.list(),
    put: (state, version) =>
      state.machine_id === machineId
        ? Promise.reject(new ConcurrentUpdateError(machineId))
        : inner.put(state, version),
  };
}
