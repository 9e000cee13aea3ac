/**
 * The same batch delivered twice — as SQS does after a lost delete or a visibility timeout, in sequence
 * or to two consumers at once — leaves exactly the state one delivery leaves. Two local runtimes (each
 * its own s3rver and dynalite) run the real processor over the SQS event the local rules engine makes
 * of device messages: two machines, readings that raise and escalate alarms, production snapshots, a
 * duplicate inside the batch and a malformed message. One runtime gets the batch once, then again; the
 * other gets it twice concurrently (the loser of the conditional state write hands its records back,
 * which are redelivered until none fail). A full dump of what the processor writes — the anomalies,
 * machine-state and time-series tables, every raw and quarantine object with its content — is equal
 * after one delivery, after the sequential second, and after the concurrent pair.
 * (test/handlers/processor.test.ts has the sequential case at the handler level, with in-batch mocks.)
 */
import { rm } from 'node:fs/promises';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingEventPublisher } from '../../lambdas/adapters/memory/publisher.js';
import { makeHandler } from '../../lambdas/handlers/processor.js';
import { machineProfile } from '../../lambdas/shared/config.js';
import { ingestBody, matchIngestRule } from '../../local/rules-engine.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { sqsEvent } from '../../local/sqs-event.js';
import { production, startTestRuntime, telemetry, tempDir } from '../e2e/support.js';
import { lambdaContext } from '../support/lambda-context.js';
import { captureEmf, metricSum, silentLogger, testMetrics } from '../support/powertools.js';
import { dumpStores, report } from './support.js';

const NOW = Date.now();
const T = NOW - 30 * 60_000;
const MACHINES = ['DUP_A', 'DUP_B'];

/** The SQS event of a batch of device messages, as the local rules engine and queue make it. */
function deviceBatch(): SQSEvent {
  const messages: { topic: string; payload: string }[] = [];
  for (const machine of MACHINES) {
    messages.push({
      topic: `flexotwin/${machine}/production`,
      payload: JSON.stringify(production(machine, 1, T)),
    });
    // Vibration in zone C, then zone D: an alarm raised, then escalated; then back to normal.
    for (let i = 1; i <= 9; i++) {
      const vibration = i <= 3 ? 3.2 : i <= 6 ? 5.1 : 1.5;
      messages.push({
        topic: `flexotwin/${machine}/telemetry`,
        payload: JSON.stringify(telemetry(machine, i, T + i * 1000, { vibration_rotor: vibration })),
      });
    }
    messages.push({
      topic: `flexotwin/${machine}/production`,
      payload: JSON.stringify(production(machine, 10, T + 10_000)),
    });
  }
  messages.push({ ...(messages[3] as { topic: string; payload: string }) });
  messages.push({ topic: `flexotwin/${MACHINES[0]}/telemetry`, payload: '{"machine_id": "DUP_A", "ts": ' });
  return sqsEvent(
    {
      id: 'batch',
      redelivery: false,
      messages: messages.map((m, i) => {
        const match = matchIngestRule(m.topic);
        if (match === undefined) throw new Error(`no rule for ${m.topic}`);
        const receivedAt = T + i * 100 + 50;
        return {
          messageId: `message-${i}`,
          receiptHandle: `message-${i}#1`,
          body: ingestBody(match, Buffer.from(m.payload), receivedAt),
          sentAt: receivedAt,
          receiveCount: 1,
          firstReceiveAt: receivedAt,
        };
      }),
    },
    { region: 'eu-west-1', name: 'flexotwin-local-ingest' },
  );
}

/** The real processor on a runtime's stores, with a fixed clock (both runtimes compute the same). */
function processorOn(runtime: LocalRuntime) {
  const publisher = new RecordingEventPublisher();
  const handler = makeHandler({
    ...runtime.stores,
    publisher,
    machineProfile: (id) => machineProfile(runtime.config, id),
    logger: silentLogger(),
    metrics: testMetrics(),
    clock: () => NOW,
  });
  const deliver = (event: SQSEvent) =>
    captureEmf(() => handler(event, lambdaContext()) as Promise<SQSBatchResponse>);
  return { publisher, deliver };
}

/** What the processor writes: its three tables and the raw bucket's raw/ and quarantine/ objects. */
async function processorDump(runtime: LocalRuntime) {
  const written = new Set([
    runtime.config.ANOMALIES_TABLE,
    runtime.config.MACHINE_STATE_TABLE,
    runtime.config.TELEMETRY_TABLE,
  ]);
  const dump = await dumpStores(runtime);
  return Object.fromEntries(
    Object.entries(dump).filter(([key]) =>
      key.startsWith('table:')
        ? written.has(key.slice('table:'.length))
        : /^s3:\/\/[^/]+\/(raw|quarantine)\//.test(key),
    ),
  );
}

let dirs: string[] = [];
let once: LocalRuntime;
let concurrent: LocalRuntime;

beforeAll(async () => {
  dirs = await Promise.all([tempDir('dup-once'), tempDir('dup-concurrent')]);
  const [a, b] = dirs.map((dir) => startTestRuntime(dir, { machines: MACHINES, trainModel: false }));
  [once, concurrent] = await Promise.all([a as Promise<LocalRuntime>, b as Promise<LocalRuntime>]);
}, 60_000);

afterAll(async () => {
  await Promise.all([once?.stop(), concurrent?.stop()]);
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}, 60_000);

describe('duplicate delivery', () => {
  it('leaves the same tables and objects after the same batch twice, in sequence or at once', async () => {
    const event = deviceBatch();

    const reference = processorOn(once);
    const first = await reference.deliver(event);
    expect(first.result.batchItemFailures).toEqual([]);
    const single = await processorDump(once);
    const anomalies = single[`table:${once.config.ANOMALIES_TABLE}`] as string[];
    expect(anomalies).toHaveLength(MACHINES.length);
    expect(Object.keys(single).filter((k) => k.includes('/quarantine/'))).toHaveLength(1);
    const events = reference.publisher.alarms.length;
    expect(events).toBeGreaterThan(0);

    const second = await reference.deliver(event);
    expect(second.result.batchItemFailures).toEqual([]);
    expect(await processorDump(once)).toEqual(single);
    expect(reference.publisher.alarms).toHaveLength(events);
    expect(metricSum(second.metrics, 'Messages')).toBe(0);
    expect(metricSum(second.metrics, 'Anomalies')).toBe(0);
    // Every record but the malformed one: the readings stored already, and the batch's own duplicate.
    expect(metricSum(second.metrics, 'MessagesDuplicate')).toBe(event.Records.length - 1);

    // Two consumers at once; SQS redelivers what either hands back until nothing is.
    const racing = processorOn(concurrent);
    const pair = await Promise.all([racing.deliver(event), racing.deliver(event)]);
    let failed = new Set(pair.flatMap((p) => p.result.batchItemFailures.map((f) => f.itemIdentifier)));
    const conflicts = failed.size;
    let redeliveries = 0;
    while (failed.size > 0 && redeliveries < 5) {
      redeliveries++;
      const retry = await racing.deliver({ Records: event.Records.filter((r) => failed.has(r.messageId)) });
      failed = new Set(retry.result.batchItemFailures.map((f) => f.itemIdentifier));
    }
    expect(failed.size).toBe(0);
    // Across two runtimes the state items differ in one field only: updated_at, the wall time of the write.
    const written = (dump: Record<string, unknown>) =>
      JSON.parse(JSON.stringify(dump).replace(/\\"updated_at\\":\\"[^\\]+\\"/g, '\\"updated_at\\":\\"…\\"'));
    expect(written(await processorDump(concurrent))).toEqual(written(single));
    // Alarm events are at-least-once (the loser may have published before its write failed): the same events.
    const distinct = (p: RecordingEventPublisher) => new Set(p.alarms.map((a) => JSON.stringify(a)));
    expect(distinct(racing.publisher)).toEqual(distinct(reference.publisher));

    report('duplicate delivery', {
      records: event.Records.length,
      itemsCompared: Object.values(single).reduce<number>((n, v) => n + (Array.isArray(v) ? v.length : 1), 0),
      sequentialDuplicateIdentical: true,
      concurrentConflicts: conflicts,
      redeliveries,
      concurrentIdentical: true,
      alarmEventsOnce: events,
      alarmEventsConcurrent: racing.publisher.alarms.length,
    });
  }, 60_000);
});
