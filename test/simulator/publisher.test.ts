/**
 * The publisher end to end: simulated devices → MQTT (one connection per device, QoS 1) → an
 * in-process aedes broker on a random port. Everything published arrives; nothing is lost when the
 * broker is closed mid-run and reopened on the same port (the devices queue and resend).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { publishTopic } from '../../lambdas/core/ingest-rules.js';
import { validatePayload } from '../../lambdas/core/validate.js';
import { startFleet } from '../../simulator/fleet.js';
import { generateHistory } from '../../simulator/generator.js';
import { createJsonlSink } from '../../simulator/jsonl-sink.js';
import { createMqttPublisher } from '../../simulator/mqtt.js';

interface Broker {
  readonly port: number;
  /** Every PUBLISH a client sent, as the broker received it. */
  readonly received: { topic: string; payload: string }[];
  /** Ids of the clients that connected. */
  readonly clientIds: Set<string>;
  close(): Promise<void>;
}

/** An aedes broker on 127.0.0.1:`port` (0: a random free port). */
async function startBroker(
  port: number,
  received: { topic: string; payload: string }[] = [],
): Promise<Broker> {
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const clientIds = new Set<string>();
  broker.on('client', (client) => clientIds.add(client.id));
  broker.on('publish', (packet, client) => {
    if (client !== null) received.push({ topic: packet.topic, payload: packet.payload.toString() });
  });
  return {
    port: (server.address() as AddressInfo).port,
    received,
    clientIds,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}

const keyOf = (payload: string) => {
  const m = JSON.parse(payload) as { machine_id: string; seq: number };
  return `${m.machine_id}#${m.seq}`;
};

const history = generateHistory({ machines: 3, months: 1, seed: 7 });
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe('MQTT publisher', () => {
  it('delivers every message to a subscriber, one connection per device, each on its own topic', async () => {
    const broker = await startBroker(0);
    cleanup.push(() => broker.close());
    const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'observer' });
    cleanup.push(() => subscriber.endAsync(true));
    const got: { topic: string; payload: string }[] = [];
    subscriber.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
    await subscriber.subscribeAsync('flexotwin/#', { qos: 1 });

    const machines = new Set<string>();
    const fleet = startFleet({
      history,
      machines: 3,
      intervalMs: 20,
      speed: 3600,
      durationMs: 600,
      mqtt: { url: `mqtt://127.0.0.1:${broker.port}` },
    });
    const stats = await fleet.done;
    await expect.poll(() => got.length, { timeout: 5000 }).toBe(stats.generated);

    expect(stats.generated).toBeGreaterThanOrEqual(3 * 2 * 10); // ~30 ticks per device; a loaded machine skips some
    expect(stats).toMatchObject({ sent: stats.generated, errors: 0, dropped: 0, pending: 0 });
    expect(new Set(got.map((m) => keyOf(m.payload))).size).toBe(stats.generated);
    for (const m of got) {
      const kind = m.topic.endsWith('/telemetry') ? 'telemetry' : 'production';
      const check = validatePayload(kind, m.payload, {
        now: Date.now(),
        topicMachineId: m.topic.split('/')[1],
      });
      expect(check, m.payload).toMatchObject({ ok: true });
      machines.add(m.topic.split('/')[1] as string);
    }
    expect([...machines].sort()).toEqual(['C_FL104', 'C_FL105', 'C_FL106']);
    // One connection per device, its client id the thing name (plus the observer).
    expect([...broker.clientIds].sort()).toEqual(['C_FL104', 'C_FL105', 'C_FL106', 'observer']);
    // seq strictly increases per device, across telemetry and production.
    for (const id of machines) {
      const seqs = got
        .filter((m) => m.topic.includes(`/${id}/`))
        .map((m) => (JSON.parse(m.payload) as { seq: number }).seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    }
  });

  it('loses nothing when the broker restarts mid-run: devices queue while it is down and resend', async () => {
    const received: { topic: string; payload: string }[] = [];
    let broker = await startBroker(0, received);
    const port = broker.port;
    cleanup.push(() => broker.close());
    const produced: string[] = [];
    const fleet = startFleet({
      history,
      machines: 3,
      intervalMs: 20,
      speed: 3600,
      durationMs: 2400,
      mqtt: { url: `mqtt://127.0.0.1:${port}`, reconnectMinMs: 50, reconnectMaxMs: 200 },
      onMessage: (m) => produced.push(keyOf(m.payload)),
    });

    await expect.poll(() => received.length, { timeout: 5000 }).toBeGreaterThan(30);
    await broker.close();
    const whileDown = produced.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(produced.length - whileDown).toBeGreaterThan(30); // the devices kept producing while it was down
    broker = await startBroker(port, received);

    const stats = await fleet.done;
    expect(stats).toMatchObject({ generated: produced.length, errors: 0, dropped: 0, pending: 0 });
    expect(stats.sent).toBe(produced.length);
    // At least once: every message reached a broker; a resent duplicate has the same (machine_id, seq).
    const arrived = new Set(received.map((m) => keyOf(m.payload)));
    expect(produced.filter((key) => !arrived.has(key))).toEqual([]);
    expect(arrived.size).toBe(produced.length);
  });

  it('publishes Basic Ingest topics on the connection of the device they name', async () => {
    const broker = await startBroker(0);
    cleanup.push(() => broker.close());
    const publisher = createMqttPublisher(['C_FL104', 'C_FL105'], { url: `mqtt://127.0.0.1:${broker.port}` });
    cleanup.push(() => publisher.close(true));
    expect(await publisher.waitConnected(5000)).toBe(true);
    const topics = ['flexotwin/C_FL104/telemetry', 'flexotwin/C_FL105/production'].map((t) =>
      publishTopic(t, true),
    );
    expect(topics).toEqual([
      '$aws/rules/flexotwin_telemetry/flexotwin/C_FL104/telemetry',
      '$aws/rules/flexotwin_production/flexotwin/C_FL105/production',
    ]);
    for (const topic of topics) await publisher.publish(topic, '{}');
    expect(broker.received.map((m) => m.topic)).toEqual(topics);
    await expect(
      publisher.publish('$aws/rules/flexotwin_telemetry/flexotwin/OTHER/telemetry', '{}'),
    ).rejects.toThrow(/no device connection/);
  });

  it('dry run: writes {topic, payload} lines that all pass the core validator', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flexotwin-dry-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 's.jsonl');
    const sink = await createJsonlSink(file);
    const start = Date.parse('2025-03-01T06:00:00Z');
    const fleet = startFleet({
      history,
      machines: 3,
      intervalMs: 5000,
      speed: 60,
      durationMs: 10 * 60_000,
      clock: 'virtual',
      startTime: start,
      faults: 'C_FL105:overheating@1m+3m,*:sensor_dropout/pressure@5m+1m',
      publish: sink.publish,
    });
    const stats = await fleet.done;
    await sink.close();
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(stats.generated);
    expect(lines).toHaveLength(3 * 2 * 120);
    for (const line of lines) {
      const { topic, payload } = JSON.parse(line) as { topic: string; payload: string };
      const kind = topic.endsWith('/telemetry') ? 'telemetry' : 'production';
      const check = validatePayload(kind, payload, {
        now: start + 10 * 60_000,
        topicMachineId: topic.split('/')[1],
      });
      expect(check, line).toMatchObject({ ok: true });
    }
  });
});
