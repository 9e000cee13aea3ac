/**
 * Helpers of the end-to-end tests: a local runtime on free ports in a temporary data directory, HTTP
 * and MQTT clients of it, device messages, and the third-party tools (mosquitto clients, curl, Python
 * requests) — which a test may skip without locally, but never on CI (CI=true): there a missing tool
 * fails the test.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { expect } from 'vitest';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../../local/runtime.js';

export const ROOT = join(import.meta.dirname, '../..');
export const run = promisify(execFile);

export const TOOLS = {
  mosquittoPub: process.env.MOSQUITTO_PUB ?? '/usr/bin/mosquitto_pub',
  mosquittoSub: process.env.MOSQUITTO_SUB ?? '/usr/bin/mosquitto_sub',
  curl: process.env.CURL ?? '/usr/bin/curl',
  python: process.env.PYTHON ?? '/usr/bin/python3',
} as const;

/** Whether a test needing `tool` runs: always on CI (where its absence is a failure), else if present. */
export function runsWith(...tools: string[]): boolean {
  return process.env.CI === 'true' || tools.every((t) => existsSync(t));
}

export function expectInstalled(...tools: string[]): void {
  for (const t of tools) expect(existsSync(t), `${t} is not installed (see .ci/run)`).toBe(true);
}

/** `flexotwin local` flags for a headless runtime in `dataDir`: free ports, no simulator, one machine. */
export const headlessLocalArgs = (dataDir: string) => [
  '--data-dir',
  dataDir,
  '--port',
  '0',
  '--mqtt-port',
  '0',
  '--no-simulator',
  '--machines',
  '1',
];

/**
 * `flexotwin local` as a user runs it (`npm start`), in a child process whose output is collected.
 * The child is added to `children`, which the suite kills in its afterAll.
 */
export function spawnLocal(args: string[], children: ChildProcess[]) {
  const child = spawn(process.execPath, ['bin/flexotwin.js', 'local', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

/** The banner's API and MQTT URLs, once it is printed. */
export function bannerUrls(stdout: string): { api: string; mqtt: string } | undefined {
  const api = /^ {2}API +(http:\/\/127\.0\.0\.1:\d+\/api)/m.exec(stdout)?.[1];
  const mqtt = /^ {2}MQTT +(mqtt:\/\/127\.0\.0\.1:\d+)/m.exec(stdout)?.[1];
  return api === undefined || mqtt === undefined ? undefined : { api, mqtt };
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `flexotwin-e2e-${prefix}-`));
}

/** A runtime for tests: free ports, a short batch window, no simulator, one machine's history. */
export function startTestRuntime(
  dataDir: string,
  options: Partial<LocalRuntimeOptions> = {},
): Promise<LocalRuntime> {
  return startLocalRuntime({
    dataDir,
    port: 0,
    mqttPort: 0,
    batchWindowMs: 200,
    visibilityTimeoutMs: 500,
    simulator: false,
    machines: 1,
    ...options,
  });
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of JSON answers
  readonly body: any;
}

/** A request to the runtime's HTTP server; `path` as sent (percent-encoded). */
export async function http(runtime: LocalRuntime, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(`${runtime.urls.dashboard.replace(/\/$/, '')}${path}`, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body };
}

export async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() - started > timeoutMs)
      throw new Error(
        `${what} not met within ${timeoutMs} ms${last === undefined ? '' : `: ${String(last)}`}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function connect(url: string, clientId?: string): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...(clientId === undefined ? {} : { clientId }),
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

export const NORMAL_SENSORS = {
  temperature_coil: 72.4,
  vibration_rotor: 1.6,
  current: 41.2,
  voltage: 398,
  pressure: 601_000,
  temperature_env: 29.1,
  humidity_env: 64,
} as const;

/** A telemetry message of `machine` (sensors: the normal ones, overridden). */
export function telemetry(
  machine: string,
  seq: number,
  ts: number,
  sensors: Partial<Record<keyof typeof NORMAL_SENSORS, number>> = {},
) {
  return { machine_id: machine, ts, seq, sensors: { ...NORMAL_SENSORS, ...sensors } };
}

export function production(
  machine: string,
  seq: number,
  ts: number,
  overrides: Record<string, unknown> = {},
) {
  return {
    machine_id: machine,
    ts,
    seq,
    status: 'Running',
    total_produksi: 4500,
    produk_cacat: 180,
    planned_minutes: 480,
    run_minutes: 410,
    ideal_rate_ppm: 12.5,
    ...overrides,
  };
}

export async function publish(client: MqttClient, topic: string, message: unknown): Promise<void> {
  await client.publishAsync(topic, typeof message === 'string' ? message : JSON.stringify(message), {
    qos: 1,
  });
}

/**
 * mosquitto_sub in the background until it has received `count` messages, resolved once the broker saw
 * its subscription. (Its output is block-buffered into a pipe, so the messages are read when it exits.)
 */
export async function mosquittoSub(runtime: LocalRuntime, topic: string, count: number) {
  const clientId = `e2e-mosquitto-sub-${process.pid}-${Date.now()}`;
  const subscribed = new Promise<void>((resolve) => {
    const onSubscribe = (subscriptions: { topic: string }[], client: { id: string }) => {
      if (client.id !== clientId || !subscriptions.some((s) => s.topic === topic)) return;
      runtime.broker.aedes.off('subscribe', onSubscribe);
      resolve();
    };
    runtime.broker.aedes.on('subscribe', onSubscribe);
  });
  const child = spawn(
    TOOLS.mosquittoSub,
    [
      ...['-h', '127.0.0.1', '-p', String(runtime.ports.mqtt), '-i', clientId, '-q', '1'],
      ...['-t', topic, '-C', String(count), '-W', '60'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await Promise.race([
    subscribed,
    exited.then((code) => {
      throw new Error(`mosquitto_sub exited with ${code} before subscribing: ${err}`);
    }),
  ]);
  return {
    /** The messages, once it has received `count` of them and exited. */
    async messages(): Promise<Record<string, unknown>[]> {
      const code = await exited;
      if (code !== 0) throw new Error(`mosquitto_sub exited with ${code}: ${err}`);
      return out
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    kill: () => child.kill('SIGTERM'),
  };
}
