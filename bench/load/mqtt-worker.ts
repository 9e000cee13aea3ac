/**
 * MQTT device load, in a worker thread (its own event loop, so the load generator does not compete with
 * the broker and the runtime under test for one): `connections` MQTT.js clients publish QoS 1
 * telemetry and production messages for `machines` devices — at `rate` messages/s, or as fast as the
 * broker acknowledges with `inflight` unacknowledged messages per connection when `rate` is 0.
 * Each message carries its publish time in `ts`, so a consumer can measure latency from it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import mqtt, { type MqttClient } from 'mqtt';

export interface LoadOptions {
  readonly url: string;
  readonly machines: readonly string[];
  readonly connections: number;
  /** Messages per second; 0: as fast as the broker acknowledges. */
  readonly rate: number;
  readonly seconds: number;
  /** Unacknowledged messages per connection when rate is 0. */
  readonly inflight: number;
  /** First seq of every device (later runs must start above earlier ones: the processor dedupes). */
  readonly firstSeq: number;
}

export interface LoadResult {
  readonly sent: number;
  readonly acked: number;
  readonly errors: number;
  /** Epoch ms of the first and of the last publish. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** Telemetry messages per machine (the latency probes know how many to wait for). */
  readonly telemetryByMachine: Record<string, number>;
}

const options = workerData as LoadOptions;
const seqs = new Map<string, number>(options.machines.map((m) => [m, options.firstSeq]));
const shift = new Map<string, { total: number; defects: number }>();
let turn = 0;

/** Device messages in the shape of DESIGN.md §3, telemetry and production in turn per machine. */
function nextMessage(): { topic: string; payload: string; machine: string; kind: string } {
  const machine = options.machines[Math.floor(turn / 2) % options.machines.length] as string;
  const kind = turn % 2 === 0 ? 'telemetry' : 'production';
  turn++;
  const seq = (seqs.get(machine) ?? 0) + 1;
  seqs.set(machine, seq);
  const ts = new Date().toISOString();
  const wobble = (x: number, d: number) => Math.round((x + (Math.random() - 0.5) * d) * 100) / 100;
  if (kind === 'telemetry') {
    const payload = JSON.stringify({
      machine_id: machine,
      ts,
      seq,
      sensors: {
        temperature_coil: wobble(72, 2),
        vibration_rotor: wobble(1.6, 0.3),
        current: wobble(41, 2),
        voltage: wobble(398, 4),
        pressure: Math.round(wobble(600_000, 5000)),
        temperature_env: wobble(29, 0.6),
        humidity_env: wobble(64, 2),
      },
    });
    return { topic: `flexotwin/${machine}/telemetry`, payload, machine, kind };
  }
  const s = shift.get(machine) ?? { total: 0, defects: 0 };
  s.total += 1;
  if (Math.random() < 0.03) s.defects += 1;
  shift.set(machine, s);
  const payload = JSON.stringify({
    machine_id: machine,
    ts,
    seq,
    status: 'Running',
    total_produksi: s.total,
    produk_cacat: s.defects,
    planned_minutes: 480,
    run_minutes: 410,
    ideal_rate_ppm: 12.5,
    downtime_reason: null,
  });
  return { topic: `flexotwin/${machine}/production`, payload, machine, kind };
}

function connect(i: number): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(options.url, {
      clientId: `bench-load-${process.pid}-${i}-${options.firstSeq}`,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

async function run(): Promise<LoadResult> {
  const clients = await Promise.all(Array.from({ length: options.connections }, (_, i) => connect(i)));
  let sent = 0;
  let acked = 0;
  let errors = 0;
  const telemetryByMachine: Record<string, number> = {};
  const publish = (client: MqttClient): Promise<void> => {
    const m = nextMessage();
    sent++;
    if (m.kind === 'telemetry') telemetryByMachine[m.machine] = (telemetryByMachine[m.machine] ?? 0) + 1;
    return new Promise((resolve) => {
      client.publish(m.topic, m.payload, { qos: 1 }, (error) => {
        if (error) errors++;
        else acked++;
        resolve();
      });
    });
  };
  const startedAt = Date.now();
  const deadline = startedAt + options.seconds * 1000;
  let endedAt = startedAt;
  if (options.rate === 0) {
    // Closed loop: each connection keeps `inflight` messages unacknowledged until the deadline.
    await Promise.all(
      clients.map(async (client) => {
        const lane = async () => {
          while (Date.now() < deadline) {
            endedAt = Date.now();
            await publish(client);
          }
        };
        await Promise.all(Array.from({ length: options.inflight }, lane));
      }),
    );
  } else {
    // Open loop: on a 5 ms tick, send what the rate owes by now, round-robin over the connections.
    const pending: Promise<void>[] = [];
    let next = 0;
    while (Date.now() < deadline) {
      const owed = Math.floor(((Date.now() - startedAt) / 1000) * options.rate) - sent;
      for (let k = 0; k < owed; k++) {
        pending.push(publish(clients[next++ % clients.length] as MqttClient));
        endedAt = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(pending);
  }
  await Promise.all(clients.map((c) => c.endAsync()));
  return { sent, acked, errors, startedAt, endedAt, telemetryByMachine };
}

run().then(
  (result) => parentPort?.postMessage({ ok: true, result }),
  (error: Error) => parentPort?.postMessage({ ok: false, error: error.message }),
);
