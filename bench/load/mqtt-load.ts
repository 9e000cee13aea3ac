/**
 * Runs MQTT device load (mqtt-worker.ts) in a worker thread, and a bare aedes broker to measure it
 * against: pub/sub with nothing behind the broker but one QoS 1 subscriber.
 */
import { createRequire } from 'node:module';
import { type AddressInfo, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import type { LoadOptions, LoadResult } from './mqtt-worker.js';

export type { LoadOptions, LoadResult };

/** tsx's ESM API (the `tsx/esm/api` export's import target), found from its package wherever it is installed. */
const TSX_ESM_API = join(
  dirname(createRequire(import.meta.url).resolve('tsx/package.json')),
  'dist/esm/api/index.mjs',
);

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    // The worker is TypeScript too: a one-line entry loads it through tsx's API (a worker does not
    // inherit the loader the benchmark runs under).
    const api = JSON.stringify(pathToFileURL(TSX_ESM_API).href);
    const entry = JSON.stringify(new URL('./mqtt-worker.ts', import.meta.url).href);
    const worker = new Worker(`import(${api}).then((tsx) => tsx.tsImport(${entry}, ${api}))`, {
      eval: true,
      workerData: options,
    });
    worker.once('message', (m: { ok: true; result: LoadResult } | { ok: false; error: string }) => {
      if (m.ok) resolve(m.result);
      else reject(new Error(`MQTT load: ${m.error}`));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`MQTT load worker exited with ${code}`));
    });
  });
}

export interface BareBrokerResult {
  /** Messages the subscriber received per second over the run. */
  readonly delivered: number;
  readonly published: number;
  readonly seconds: number;
}

/** A bare aedes broker on loopback, one QoS 1 subscriber to every device topic, and the load. */
export async function bareBrokerThroughput(
  load: Omit<LoadOptions, 'url' | 'rate'>,
): Promise<BareBrokerResult> {
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const subscriber = await mqtt.connectAsync(url, { clientId: 'bench-bare-subscriber', reconnectPeriod: 0 });
  let delivered = 0;
  let lastAt = 0;
  subscriber.on('message', () => {
    delivered++;
    lastAt = Date.now();
  });
  await subscriber.subscribeAsync('flexotwin/+/+', { qos: 1 });
  try {
    const result = await runLoad({ ...load, url, rate: 0 });
    // Whatever is still on its way to the subscriber after the last publish counts if it arrives.
    const settle = Date.now() + 2000;
    while (delivered < result.acked && Date.now() < settle) await new Promise((r) => setTimeout(r, 20));
    const seconds = (Math.max(lastAt, result.endedAt) - result.startedAt) / 1000;
    return { delivered: delivered / seconds, published: result.acked / seconds, seconds };
  } finally {
    await subscriber.endAsync();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
