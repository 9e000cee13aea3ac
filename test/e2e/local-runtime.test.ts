/**
 * The local runtime end to end, in process on free ports with a 200 ms batch window: device messages
 * published with MQTT.js (TCP and WebSocket) and with Debian's mosquitto_pub go through the broker, the
 * shared ingest rules, the journaled queue and the real processor into the emulated stores, and come
 * back through the real API over HTTP — and through mosquitto_sub for the alarm events. Then the
 * original document's curl and Python requests examples run against it, and a restart on the same data
 * directory finds everything where it was.
 */
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.js';
import {
  connect,
  expectInstalled,
  http,
  mosquittoSub,
  production,
  publish,
  runsWith,
  startTestRuntime,
  TOOLS,
  telemetry,
  tempDir,
  until,
} from './support.js';

const exec = promisify(execFile);

let dataDir: string;
let runtime: LocalRuntime;
let device: MqttClient;
const T = Date.now() - 10 * 60_000;

beforeAll(async () => {
  dataDir = await tempDir('runtime');
  runtime = await startTestRuntime(dataDir, { wsPort: 0 });
  device = await connect(runtime.urls.mqtt, 'e2e-device');
  // The default machine (C_FL104) reports, as the simulator would: the original routes show its figures.
  await publish(device, 'flexotwin/C_FL104/production', production('C_FL104', 1, T));
  await runtime.flush();
}, 60_000);

afterAll(async () => {
  await device?.endAsync();
  await runtime?.stop();
  await rm(dataDir, { recursive: true, force: true });
}, 60_000);

async function rawLines(prefix: string): Promise<string[]> {
  const listed = await runtime.clients.s3.send(
    new ListObjectsV2Command({ Bucket: runtime.config.RAW_BUCKET, Prefix: prefix }),
  );
  const lines: string[] = [];
  for (const { Key } of listed.Contents ?? []) {
    const object = await runtime.clients.s3.send(
      new GetObjectCommand({ Bucket: runtime.config.RAW_BUCKET, Key }),
    );
    const text = gunzipSync(
      Buffer.from(await (object.Body?.transformToByteArray() ?? new Uint8Array())),
    ).toString();
    lines.push(...text.split('\n').filter((l) => l !== ''));
  }
  return lines;
}

const telemetryOf = (machine: string, query = '') =>
  http(runtime, `/api/machines/${machine}/telemetry?from=${T - 60_000}&to=${Date.now() + 60_000}${query}`);

describe('local runtime end to end', () => {
  it('answers at once after start: system health, 15 seeded components, a trained model, / left for the dashboard', async () => {
    const health = await http(runtime, '/api/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'healthy',
      database: { status: 'connected' },
      mqtt: { status: 'connected', broker: `127.0.0.1:${runtime.ports.mqtt}` },
    });
    expect(health.headers.get('x-request-id')).toBeTruthy();
    const components = await http(runtime, '/api/components');
    expect(components.body.total_components).toBe(15);
    expect(runtime.model).toMatchObject({ trained: true });
    const predicted = await http(runtime, '/api/predict', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ total_produksi: 4500, produk_cacat: 180 }),
    });
    expect(predicted.status).toBe(200);
    expect(predicted.body.prediction_formatted).toMatch(/^\d+(\.\d+)? jam$/);
    const docs = await http(runtime, '/api/docs');
    expect(docs.body.base_url).toBe(`${runtime.urls.api}`);
    const root = await http(runtime, '/');
    expect(root.status).toBe(404);
    expect(root.body.message).toMatch(/\/api/);
    expect((await http(runtime, '/api/nope')).status).toBe(404);
    const tooBig = await http(runtime, '/api/predict', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ total_produksi: 1, produk_cacat: 0, pad: 'x'.repeat(70_000) }),
    });
    expect(tooBig.status).toBe(413);
  });

  it('stores telemetry published with MQTT.js after the batch window, raw and aggregated, with the raw objects in S3', async () => {
    const machine = 'E2E_MQTTJS';
    for (let i = 0; i < 10; i++)
      await publish(device, `flexotwin/${machine}/telemetry`, telemetry(machine, i + 1, T + i * 1000));
    await publish(device, `flexotwin/${machine}/production`, production(machine, 11, T + 10_000));
    const raw = await until(async () => {
      const answer = await telemetryOf(machine);
      return answer.body.count === 10 ? answer : undefined;
    });
    expect(raw.body.kind).toBe('raw');
    expect(raw.body.points.map((p: { seq: number }) => p.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(raw.body.points[0].sensors.temperature_coil).toBe(72.4);
    const aggregated = await telemetryOf(machine, '&interval=1m&sensors=temperature_coil,current');
    expect(aggregated.body.kind).toBe('aggregated');
    const bucket = aggregated.body.buckets[0];
    expect(Object.keys(bucket.sensors).sort()).toEqual(['current', 'temperature_coil']);
    expect(bucket.sensors.temperature_coil.avg).toBeCloseTo(72.4, 9);
    expect(bucket.sensors.temperature_coil).toMatchObject({ min: 72.4, max: 72.4 });
    const lines = await until(async () => {
      const found = await rawLines(`raw/kind=telemetry/machine_id=${machine}/`);
      return found.length === 10 ? found : undefined;
    });
    expect(lines.map((l) => JSON.parse(l).seq).sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    expect(await rawLines(`raw/kind=production/machine_id=${machine}/`)).toHaveLength(1);
    const machines = await http(runtime, '/api/machines');
    expect(
      machines.body.machines.find((m: { machine_id: string }) => m.machine_id === machine),
    ).toMatchObject({
      messages: { telemetry: 10, production: 1 },
    });
  });

  it('ingests over MQTT over WebSocket (/mqtt on the API port, and --ws-port) and from Basic Ingest topics, which no subscriber sees', async () => {
    const ws = await connect(runtime.urls.mqttWebSocket, 'e2e-ws-device');
    const wsPort = await connect(runtime.urls.mqttWebSocketPort as string, 'e2e-ws-port-device');
    const seen: string[] = [];
    const watcher = await connect(runtime.urls.mqtt, 'e2e-watcher');
    await watcher.subscribeAsync('#', { qos: 1 });
    watcher.on('message', (topic) => seen.push(topic));
    try {
      await publish(ws, 'flexotwin/E2E_WS/telemetry', telemetry('E2E_WS', 1, T));
      await publish(wsPort, 'flexotwin/E2E_WS/telemetry', telemetry('E2E_WS', 2, T + 1000));
      await publish(
        device,
        '$aws/rules/flexotwin_telemetry/flexotwin/E2E_BASIC/telemetry',
        telemetry('E2E_BASIC', 1, T),
      );
      await runtime.flush();
      expect((await telemetryOf('E2E_WS')).body.count).toBe(2);
      expect((await telemetryOf('E2E_BASIC')).body.count).toBe(1);
      expect(seen).toContain('flexotwin/E2E_WS/telemetry');
      expect(seen.filter((t) => t.startsWith('$aws/rules/'))).toEqual([]);
    } finally {
      await Promise.all([ws.endAsync(), wsPort.endAsync(), watcher.endAsync()]);
    }
  });

  it.runIf(runsWith(TOOLS.mosquittoPub))('ingests what mosquitto_pub publishes (QoS 1)', async () => {
    expectInstalled(TOOLS.mosquittoPub);
    const machine = 'E2E_MOSQ';
    for (let i = 1; i <= 3; i++) {
      await exec(TOOLS.mosquittoPub, [
        ...['-h', '127.0.0.1', '-p', String(runtime.ports.mqtt), '-q', '1', '-i', `e2e-mosquitto-pub-${i}`],
        ...[
          '-t',
          `flexotwin/${machine}/telemetry`,
          '-m',
          JSON.stringify(telemetry(machine, i, T + i * 1000)),
        ],
      ]);
    }
    const answer = await until(async () => {
      const a = await telemetryOf(machine);
      return a.body.count === 3 ? a : undefined;
    });
    expect(answer.body.points.map((p: { seq: number }) => p.seq)).toEqual([1, 2, 3]);
  });

  it.runIf(runsWith(TOOLS.mosquittoSub, TOOLS.mosquittoPub))(
    'raises a thermal alarm after the debounce count, publishes it on flexotwin/{id}/anomalies, clears it after recovery; health and OEE follow',
    async () => {
      expectInstalled(TOOLS.mosquittoSub, TOOLS.mosquittoPub);
      const machine = 'E2E_HOT';
      const sub = await mosquittoSub(runtime, `flexotwin/${machine}/anomalies`, 2);
      try {
        let seq = 1;
        await publish(device, `flexotwin/${machine}/production`, production(machine, seq, T));
        const send = async (temperature: number) => {
          seq++;
          const reading = telemetry(machine, seq, T + seq * 1000, { temperature_coil: temperature });
          await publish(device, `flexotwin/${machine}/telemetry`, reading);
        };
        await send(72);
        await runtime.flush();
        const component = 'Main%20Drive%20Motor';
        const before = await http(runtime, `/api/health/${component}?machine_id=${machine}`);
        expect(before.status).toBe(200);
        expect(before.body.metrics).toMatchObject({
          availability_rate: 85.4,
          quality_rate: 96,
          criticals_24h: 0,
        });

        const coilAlarms = async (state = '') =>
          (await http(runtime, `/api/anomalies?machine_id=${machine}${state}`)).body.anomalies.filter(
            (a: { rule_id: string }) => a.rule_id === 'coil_temp_high',
          );
        // Debounce: two readings at 125 °C are not an alarm yet…
        await send(125);
        await send(125);
        await runtime.flush();
        expect(await coilAlarms()).toEqual([]);
        // …the third is.
        await send(125);
        await runtime.flush();
        const [raised] = await coilAlarms();
        expect(raised).toMatchObject({
          category: 'thermal',
          severity: 'critical',
          state: 'active_unacknowledged',
          sensor: 'temperature_coil',
          component: 'Main Drive Motor',
          value: 125,
        });
        const during = await http(runtime, `/api/health/${component}?machine_id=${machine}`);
        expect(during.body.metrics.criticals_24h).toBeGreaterThanOrEqual(1);
        expect(during.body.metrics.rpn_dynamic).toBeGreaterThan(during.body.metrics.rpn_value);
        expect(during.body.health_index).toBeLessThan(before.body.health_index);
        const fleet = await http(runtime, '/api/machines');
        expect(
          fleet.body.machines.find((m: { machine_id: string }) => m.machine_id === machine).active_alarms,
        ).toBeGreaterThanOrEqual(1);

        // Recovery: readings back inside the hysteresis clear it after the same debounce.
        for (let i = 0; i < 3; i++) await send(72);
        await runtime.flush();
        const [cleared] = await coilAlarms('&state=cleared');
        expect(cleared).toMatchObject({ alarm_id: raised.alarm_id, state: 'cleared' });
        expect(cleared.cleared_at).not.toBeNull();

        // mosquitto_sub, subscribed before the first reading, received exactly the raise and the clear.
        const events = await sub.messages();
        expect(events.map((e) => [e.type, (e.alarm as { alarm_id: string }).alarm_id])).toEqual([
          ['raised', raised.alarm_id],
          ['cleared', raised.alarm_id],
        ]);
        expect(events[0]).toMatchObject({
          alarm: { machine_id: machine, category: 'thermal', severity: 'critical' },
        });

        const oee = await http(runtime, `/api/machines/${machine}/oee`);
        expect(oee.status).toBe(200);
        expect(oee.body).toMatchObject({ machine_id: machine, availability: 85.4, quality: 96 });
      } finally {
        sub.kill();
      }
    },
    30_000,
  );

  it('quarantines malformed messages with their reasons and counts them, while valid ones flow', async () => {
    const machine = 'E2E_BAD';
    const quarantinedBefore = runtime.stats().quarantined;
    await publish(device, `flexotwin/${machine}/telemetry`, '{"machine_id": "E2E_BAD", not json');
    await publish(device, `flexotwin/${machine}/telemetry`, telemetry(machine, 1, T, { humidity_env: 140 }));
    await publish(device, `flexotwin/${machine}/telemetry`, telemetry('SOMEONE_ELSE', 2, T + 1000));
    await publish(device, `flexotwin/${machine}/telemetry`, telemetry(machine, 3, T + 2000));
    await publish(device, `flexotwin/${machine}/telemetry`, telemetry(machine, 4, T + 3000));
    await runtime.flush();
    expect(runtime.stats().quarantined - quarantinedBefore).toBe(3);
    expect((await telemetryOf(machine)).body.points.map((p: { seq: number }) => p.seq)).toEqual([3, 4]);
    const quarantined = (await rawLines('quarantine/'))
      .map((l) => JSON.parse(l) as { topic: string; reasons: string[] })
      .filter((q) => q.topic === `flexotwin/${machine}/telemetry`);
    expect(quarantined).toHaveLength(3);
    const reasons = quarantined.flatMap((q) => q.reasons).join(' | ');
    expect(reasons).toMatch(/JSON/);
    expect(reasons).toMatch(/humidity_env/);
    expect(reasons).toMatch(/SOMEONE_ELSE|topic/);
  });

  it.runIf(runsWith(TOOLS.curl))(
    "answers the original document's cURL examples with the documented fields",
    async () => {
      expectInstalled(TOOLS.curl);
      const script = await readFile(join(import.meta.dirname, 'fixtures/original-curl-examples.sh'), 'utf8');
      const commands = script
        .replace(/\\\n\s*/g, ' ')
        .split('\n')
        .filter((line) => line.startsWith('curl '))
        .map((line) => line.replaceAll('localhost:5000', `localhost:${runtime.ports.api}`));
      expect(commands).toHaveLength(4);
      const [health, components, preFeeder, predict] = await Promise.all(
        commands.map(async (command) =>
          JSON.parse((await exec('/bin/sh', ['-c', `${command} --silent --show-error`])).stdout),
        ),
      );
      expect(health).toMatchObject({
        status: 'healthy',
        app_name: expect.any(String),
        version: expect.any(String),
        timestamp: expect.any(String),
        database: { status: 'connected', message: expect.any(String) },
        mqtt: {
          status: 'connected',
          broker: expect.any(String),
          topic: expect.stringContaining('flexotwin/'),
        },
      });
      expect(components.total_components).toBe(15);
      expect(components.components[0]).toMatchObject({
        component_name: 'Pre-Feeder',
        rpn_value: expect.any(Number),
        rpn_max: 1000,
      });
      expect(preFeeder).toMatchObject({
        component_name: 'Pre-Feeder',
        health_index: expect.any(Number),
        status: expect.stringMatching(/^(Good|Warning|Critical)$/),
        color: expect.stringMatching(/^#[0-9A-F]{6}$/),
        description: expect.any(String),
        recommendations: expect.any(Array),
        metrics: {
          rpn_score: expect.any(Number),
          oee_score: expect.any(Number),
          availability_rate: expect.any(Number),
          performance_rate: expect.any(Number),
          quality_rate: expect.any(Number),
          rpn_value: expect.any(Number),
          rpn_max: 1000,
        },
        calculation_details: {
          formula: expect.any(String),
          rpn_contribution: expect.any(Number),
          oee_contribution: expect.any(Number),
        },
        auto_triggered: expect.any(Boolean),
      });
      expect(
        preFeeder.calculation_details.rpn_contribution + preFeeder.calculation_details.oee_contribution,
      ).toBeCloseTo(preFeeder.health_index, 0);
      expect(predict).toMatchObject({
        success: true,
        prediction: expect.any(Number),
        prediction_formatted: expect.stringMatching(/ jam$/),
        input_data: { total_produksi: 4500, produk_cacat: 180 },
        timestamp: expect.any(String),
        model_info: {
          algorithm: expect.stringMatching(/Random ?Forest ?Regressor/),
          trained_on: expect.any(String),
        },
        recommendation: expect.any(String),
      });
    },
  );

  it.runIf(runsWith(TOOLS.python))(
    "runs the original document's Python requests client example unchanged",
    async () => {
      expectInstalled(TOOLS.python);
      const original = await readFile(join(import.meta.dirname, 'fixtures/original-client.py'), 'utf8');
      expect(original).toContain('BASE_URL = "http://localhost:5000/api"');
      const script = join(dataDir, 'client.py');
      await writeFile(script, original.replace('localhost:5000', `localhost:${runtime.ports.api}`));
      const { stdout } = await exec(TOOLS.python, [script], { timeout: 30_000 });
      expect(stdout).toMatch(/^System Status: healthy$/m);
      expect(stdout).toMatch(/^Total Components: 15$/m);
      expect(stdout).toMatch(/^Pre-Feeder Health Index: \d+(\.\d+)?%$/m);
      expect(stdout).toMatch(/^Predicted Duration: \d+(\.\d+)? jam$/m);
    },
  );

  it('keeps telemetry, alarms, components and the model across a restart on the same data directory', async () => {
    const before = await telemetryOf('E2E_MQTTJS');
    const alarmsBefore = (await http(runtime, '/api/anomalies?machine_id=E2E_HOT')).body.count;
    await device.endAsync();
    const summary = await runtime.stop();
    expect(summary).toMatchObject({ leftInQueue: 0, deadLetters: 0 });

    runtime = await startTestRuntime(dataDir);
    device = await connect(runtime.urls.mqtt, 'e2e-device');
    expect(runtime.model).toMatchObject({ trained: false });
    expect(runtime.recovery).toMatchObject({ pending: 0, deadLetters: 0 });
    const after = await telemetryOf('E2E_MQTTJS');
    expect(after.body.points).toEqual(before.body.points);
    expect((await http(runtime, '/api/anomalies?machine_id=E2E_HOT')).body.count).toBe(alarmsBefore);
    expect((await http(runtime, '/api/components')).body.total_components).toBe(15);
    const machines = (await http(runtime, '/api/machines')).body.machines.map(
      (m: { machine_id: string }) => m.machine_id,
    );
    expect(machines).toContain('E2E_MQTTJS');
    // And it goes on: a new reading joins the old ones.
    await publish(device, 'flexotwin/E2E_MQTTJS/telemetry', telemetry('E2E_MQTTJS', 11, T + 11_000));
    await runtime.flush();
    expect((await telemetryOf('E2E_MQTTJS')).body.count).toBe(11);
  }, 60_000);
});
