/**
 * The publisher against a real broker (mosquitto) restarted mid-run: the devices queue while it is down
 * and resend, and a persistent subscriber session receives every message. Skipped locally when
 * mosquitto is not installed; on CI (CI=true) a missing mosquitto fails the test instead.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startFleet } from '../../simulator/fleet.js';
import { generateHistory } from '../../simulator/generator.js';

const MOSQUITTO = process.env.MOSQUITTO ?? '/usr/sbin/mosquitto';
const available = existsSync(MOSQUITTO);
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** mosquitto with `config`, resolved once it listens. */
async function startMosquitto(config: string): Promise<ChildProcess> {
  const child = spawn(MOSQUITTO, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (log.includes('running')) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > 5000) {
        // Never leave a broker behind that the test could not use.
        clearInterval(timer);
        child.kill('SIGKILL');
        reject(new Error(`mosquitto did not start within 5 s: ${log}`));
      }
    }, 20);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`mosquitto exited with ${code}: ${log}`));
    });
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe.skipIf(!available && process.env.CI !== 'true')('publisher against mosquitto', () => {
  it('loses nothing across a broker restart, end to end to a persistent subscriber', async () => {
    expect(existsSync(MOSQUITTO), `mosquitto not found at ${MOSQUITTO}`).toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'flexotwin-mosquitto-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    // Run as root, mosquitto drops to its own user, which must be able to save the sessions here.
    await chmod(dir, 0o777);
    const port = await freePort();
    const config = join(dir, 'mosquitto.conf');
    await writeFile(
      config,
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${dir}/`,
        'log_dest stderr',
        'max_queued_messages 100000',
        '',
      ].join('\n'),
    );
    let broker = await startMosquitto(config);
    cleanup.push(() => stop(broker));

    const received = new Set<string>();
    const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: 'flexotwin-test-observer',
      clean: false,
      reconnectPeriod: 100,
    });
    cleanup.push(() => subscriber.endAsync(true));
    subscriber.on('message', (_topic, payload) => {
      const m = JSON.parse(payload.toString()) as { machine_id: string; seq: number };
      received.add(`${m.machine_id}#${m.seq}`);
    });
    await subscriber.subscribeAsync('flexotwin/+/+', { qos: 1 });

    const produced: string[] = [];
    const fleet = startFleet({
      history: generateHistory({ machines: 2, months: 1, seed: 3 }),
      machines: 2,
      intervalMs: 25,
      speed: 3600,
      durationMs: 2500,
      mqtt: { url: `mqtt://127.0.0.1:${port}`, reconnectMinMs: 50, reconnectMaxMs: 200 },
      onMessage: (m) => {
        const { machine_id, seq } = m.message;
        produced.push(`${machine_id}#${seq}`);
      },
    });

    await expect.poll(() => received.size, { timeout: 5000 }).toBeGreaterThan(20);
    await stop(broker);
    const atStop = produced.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(produced.length - atStop).toBeGreaterThan(20);
    broker = await startMosquitto(config);

    const stats = await fleet.done;
    expect(stats).toMatchObject({
      generated: produced.length,
      sent: produced.length,
      errors: 0,
      dropped: 0,
      pending: 0,
    });
    await expect.poll(() => received.size, { timeout: 10_000 }).toBe(produced.length);
    expect(produced.filter((key) => !received.has(key))).toEqual([]);
  });
});
