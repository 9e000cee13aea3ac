/**
 * The MQTT broker restarts while the simulated fleet publishes (QoS 1, one connection per device, the
 * simulator's offline queue and reconnect with backoff): twice, for a second each, every device
 * connection dropped and new ones refused (LocalBroker.closeListeners / reopenListeners, same port); the
 * first time at the worst moment, when a message is queued and its PUBACK not yet written.
 * Every message the devices produced is stored exactly once — in the time series and in the raw
 * archive — although QoS 1 redelivers the messages whose PUBACK the restart swallowed.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageKind } from '../../lambdas/core/messages.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { startFleet } from '../../simulator/fleet.js';
import { generateHistory } from '../../simulator/generator.js';
import { startTestRuntime, tempDir, until } from '../e2e/support.js';
import {
  expectExactlyOnce,
  newQuarantine,
  rawReadingCounts,
  readingKey,
  report,
  storedReadingCounts,
  tally,
} from './support.js';

const MACHINES = ['C_FL104', 'C_FL105', 'C_FL106'];
const RESTARTS = 2;
const DOWN_MS = 1_000;

let dir: string;
let runtime: LocalRuntime;

beforeAll(async () => {
  dir = await tempDir('broker-restart');
  runtime = await startTestRuntime(dir, { machines: MACHINES, batchWindowMs: 200, trainModel: false });
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await rm(dir, { recursive: true, force: true });
}, 60_000);

/**
 * Closes the listeners from aedes' 'publish' event of a device message: the message is in the queue
 * (ingestion happens before it is published), its PUBACK is not written yet and never will be.
 */
function closeBeforePuback(): Promise<void> {
  return new Promise((resolve) => {
    const onPublish = (packet: { topic: string }, client: unknown) => {
      if (client == null || !packet.topic.startsWith('flexotwin/')) return;
      runtime.broker.aedes.off('publish', onPublish);
      void runtime.broker.closeListeners().then(resolve);
    };
    runtime.broker.aedes.on('publish', onPublish);
  });
}

describe('broker restart mid-stream', () => {
  it('loses nothing and stores nothing twice while the simulated fleet keeps publishing with QoS 1', async () => {
    const started = Date.now();
    const produced = new Set<string>();
    let connections = 0;
    const fleet = startFleet({
      history: generateHistory({ machines: MACHINES.length, months: 1, seed: 11 }),
      machines: MACHINES,
      intervalMs: 20,
      speed: 3600,
      mqtt: { url: runtime.urls.mqtt, reconnectMinMs: 50, reconnectMaxMs: 400 },
      onMessage: (m) =>
        produced.add(readingKey(m.message.machine_id, m.kind, m.message.seq, Date.parse(m.message.ts))),
      onConnection: (e) => {
        if (e.event === 'connected') connections++;
      },
    });
    const recovered: number[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      await until(() => runtime.stats().ingested >= (i + 1) * 300 || undefined, 20_000, 'traffic');
      // The first restart at the worst moment: a device message is queued but not yet acknowledged.
      if (i === 0) await closeBeforePuback();
      else await runtime.broker.closeListeners();
      const down = Date.now();
      await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
      const before = connections;
      await runtime.broker.reopenListeners();
      await until(() => connections >= before + MACHINES.length || undefined, 10_000, 'the devices back');
      recovered.push(Date.now() - down - DOWN_MS);
    }
    await until(() => runtime.stats().ingested >= RESTARTS * 300 + 300 || undefined, 20_000, 'more traffic');
    const fleetStats = await fleet.stop();
    await runtime.flush();

    expect(fleetStats).toMatchObject({ errors: 0, dropped: 0, pending: 0 });
    expect(fleetStats.sent).toBe(produced.size);
    const from = started - 60_000;
    const to = Date.now() + 60_000;
    const stored = new Map<string, number>();
    for (const machine of MACHINES)
      for (const [k, n] of await storedReadingCounts(runtime, machine, from, to)) stored.set(k, n);
    expectExactlyOnce(tally(produced, stored), 'time series');
    const raw = await rawReadingCounts(runtime, new Set(MACHINES));
    expectExactlyOnce(tally(produced, raw.counts), 'raw archive');
    expect(await newQuarantine(runtime)).toEqual([]);
    const stats = runtime.stats();
    expect(stats.queue).toMatchObject({ depth: 0, deadLetters: 0 });
    report('broker restart', {
      restarts: RESTARTS,
      downMs: DOWN_MS,
      produced: produced.size,
      ingested: stats.ingested,
      resentByQoS1: stats.ingested - produced.size,
      duplicatesDropped: stats.duplicates,
      lost: tally(produced, stored).missing.length,
      duplicatesStored: 0,
      reconnectMsAfterRestart: recovered,
      kinds: [...produced].reduce<Record<MessageKind, number>>(
        (n, k) => {
          const kind = k.split('|')[1] as MessageKind;
          n[kind]++;
          return n;
        },
        { telemetry: 0, production: 0 },
      ),
      seconds: (Date.now() - started) / 1000,
    });
  }, 90_000);
});
