/**
 * Who can reach the local runtime. It has no authentication (DESIGN.md §7): loopback is the boundary.
 * - By default every listener — API, MQTT, MQTT over WebSocket, S3 and DynamoDB emulators — is bound to
 *   127.0.0.1: connecting to this machine's other addresses is refused. Told to bind elsewhere, it says
 *   so before it binds (checked with an address this machine does not have, so nothing is exposed).
 * - A browser on this machine does not carry other web pages across that boundary (local/request-guard.ts):
 *   a Host that is not loopback (DNS rebinding) is refused, and so are cross-site requests that change
 *   something and cross-site WebSockets to /mqtt — while curl-like clients (no Origin) and the
 *   dashboard's own origin go through.
 */

import { rm } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';
import { formatBanner } from '../../local/status.js';
import { startTestRuntime, tempDir } from '../e2e/support.js';
import { rawRequest } from '../support/raw-http.js';

let dir: string;
let runtime: LocalRuntime;

beforeAll(async () => {
  dir = await tempDir('exposure');
  runtime = await startTestRuntime(dir, { wsPort: 0, trainModel: false });
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await rm(dir, { recursive: true, force: true });
}, 60_000);

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** This machine's addresses that are not loopback (IPv6 link-local ones need a zone: left out). */
const externalAddresses = () =>
  Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal && !a.address.startsWith('fe80:'))
    .map((a) => a?.address as string);

/** A documentation address (RFC 5737) this machine does not have: binding to it fails. */
const notOurs = () =>
  ['203.0.113.1', '198.51.100.1', '192.0.2.1'].find((a) => !externalAddresses().includes(a)) as string;

describe('where the local runtime listens', () => {
  it('binds every listener to loopback by default: other addresses of this machine are refused', async () => {
    expect(runtime.host).toBe('127.0.0.1');
    const ports = Object.entries(runtime.ports) as [string, number][];
    expect(ports.map(([name]) => name).sort()).toEqual(['api', 'dynamodb', 'mqtt', 's3', 'ws']);
    for (const [name, port] of ports) expect(await accepts('127.0.0.1', port), name).toBe(true);
    for (const address of externalAddresses())
      for (const [name, port] of ports)
        expect(await accepts(address, port), `${name} on ${address}`).toBe(false);
  });

  it('says so before it binds anywhere else, and in the banner', async () => {
    const lines: string[] = [];
    const elsewhere = await tempDir('exposure-elsewhere');
    try {
      // No address of this machine: the bind fails, nothing is exposed.
      await expect(
        startLocalRuntime({
          dataDir: elsewhere,
          host: notOurs(),
          port: 0,
          mqttPort: 0,
          simulator: false,
          trainModel: false,
          print: (line) => lines.push(line),
        }),
      ).rejects.toThrow(/EADDRNOTAVAIL|address not available/i);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^\[WARN\] Binding to [\d.]+, not loopback: .* reachable from the network WITHOUT authentication/,
      ),
    );
    expect(formatBanner({ ...runtime, host: '0.0.0.0' }, { dashboard: false })).toMatch(
      /WARNING +bound to 0\.0\.0\.0: the API and MQTT are reachable from the network, unauthenticated/,
    );
    expect(formatBanner(runtime, { dashboard: false })).not.toMatch(/WARNING/);
  }, 60_000);
});

describe('what a browser on this machine can do for other web pages', () => {
  const api = (target: string, headers: Record<string, string> = {}, method = 'GET', body?: string) =>
    rawRequest(runtime.ports.api, {
      method,
      target,
      headers,
      ...(body === undefined ? {} : { body: Buffer.from(body) }),
    });

  it('serves loopback host names only (DNS rebinding), and refuses a Host that is not one', async () => {
    const port = runtime.ports.api;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `app.localhost:${port}`])
      expect((await api('/api/machines', { host })).status, host).toBe(200);
    for (const host of ['evil.example', `evil.example:${port}`, `192.168.1.20:${port}`, '0.0.0.0']) {
      const answer = await api('/api/machines', { host });
      expect([answer.status, JSON.parse(answer.body.toString())], host).toEqual([
        403,
        { message: 'Forbidden' },
      ]);
      expect((await api('/', { host })).status, `${host} /`).toBe(403);
    }
    for (const host of ['a b', 'x:99999', '%', ''])
      expect((await api('/api/machines', { host })).status, JSON.stringify(host)).toBe(400);
  });

  it('refuses cross-site requests that change something; same-site, loopback pages and curl go through', async () => {
    const ack = (origin?: string) =>
      api(
        '/api/anomalies/no-such-alarm/ack',
        { 'content-type': 'text/plain', ...(origin === undefined ? {} : { origin }) },
        'POST',
        '{"by":"page"}',
      );
    for (const origin of ['https://evil.example', 'null', `http://evil.example:${runtime.ports.api}`]) {
      const refused = await ack(origin);
      expect([refused.status, JSON.parse(refused.body.toString())], origin).toEqual([
        403,
        { message: 'Forbidden' },
      ]);
    }
    // Reaching the API: 404 for the unknown alarm.
    for (const origin of [undefined, `http://127.0.0.1:${runtime.ports.api}`, 'http://localhost:3000'])
      expect((await ack(origin)).status, String(origin)).toBe(404);
    const put = await api(
      '/api/components/Pre-Feeder',
      { 'content-type': 'application/json', origin: 'https://evil.example' },
      'PUT',
      '{"severity":10}',
    );
    expect(put.status).toBe(403);
    // Reading is not refused (and without CORS the page cannot read the answer).
    const read = await api('/api/machines', { origin: 'https://evil.example' });
    expect(read.status).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses cross-site WebSockets to /mqtt and to the WebSocket port; MQTT clients without Origin connect', async () => {
    const opens = (url: string, origin?: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, 'mqtt', origin === undefined ? {} : { origin });
        ws.once('open', () => {
          ws.close();
          resolve(101);
        });
        ws.once('unexpected-response', (_request, response) => {
          resolve(response.statusCode ?? 0);
          ws.terminate();
        });
        ws.once('error', () => resolve(0));
      });
    for (const url of [runtime.urls.mqttWebSocket, runtime.urls.mqttWebSocketPort as string]) {
      expect(await opens(url, 'https://evil.example'), url).toBe(403);
      expect(await opens(url, 'null'), url).toBe(403);
      expect(await opens(url), url).toBe(101);
      expect(await opens(url, 'http://localhost:8080'), url).toBe(101);
    }
    expect(await opens(runtime.urls.mqttWebSocket, `http://127.0.0.1:${runtime.ports.api}`)).toBe(101);
  });
});
