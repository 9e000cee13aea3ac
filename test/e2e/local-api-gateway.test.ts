/**
 * The local API Gateway translation (local/api-gateway.ts) over real HTTP: the payload-2.0 event a
 * request becomes (as documented for HTTP APIs) and the response a structured result becomes; and the
 * local HTTP server's gateway behaviour (local/http-server.ts): CORS only for configured origins, the
 * size limit, integration timeout and function crash answers, and the static root for the dashboard.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGatewayEvent, requestTime, splitTarget, writeResult } from '../../local/api-gateway.js';
import { type ApiFunction, startHttpServer } from '../../local/http-server.js';
import { rawRequest } from '../support/raw-http.js';

let server: Server;
let port: number;
let lastEvent: APIGatewayProxyEventV2 | undefined;
let nextResult: APIGatewayProxyStructuredResultV2 = { statusCode: 200, body: '{}' };

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      lastEvent = apiGatewayEvent(req, Buffer.concat(chunks), {
        requestId: 'req-1',
        now: Date.UTC(2025, 9, 23, 10, 30),
      });
      writeResult(res, nextResult, { head: req.method === 'HEAD' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A raw request (node:http keeps the path as given, and sends a header per value of an array). */
function send(
  method: string,
  path: string,
  headers: Record<string, string | string[]> = {},
  body?: Buffer | string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('local API Gateway translation', () => {
  it('builds the documented payload-2.0 event', async () => {
    await send('GET', '/api/health/Main%20Drive%20Motor?machine_id=C_FL104&tag=a&tag=b%2Cc&q=x+y', {
      'X-Custom': ['one', 'two'],
      Cookie: 'a=1; b=2',
      'User-Agent': 'curl/8',
    });
    const event = lastEvent as APIGatewayProxyEventV2;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/api/health/Main%20Drive%20Motor',
      rawQueryString: 'machine_id=C_FL104&tag=a&tag=b%2Cc&q=x+y',
      cookies: ['a=1', 'b=2'],
      queryStringParameters: { machine_id: 'C_FL104', tag: 'a,b,c', q: 'x y' },
      isBase64Encoded: false,
      requestContext: {
        http: {
          method: 'GET',
          path: '/api/health/Main%20Drive%20Motor',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'curl/8',
        },
        requestId: 'req-1',
        routeKey: '$default',
        stage: '$default',
        time: '23/Oct/2025:10:30:00 +0000',
        timeEpoch: Date.UTC(2025, 9, 23, 10, 30),
        domainName: `127.0.0.1:${port}`,
      },
    });
    expect(event.headers).toMatchObject({
      'x-custom': 'one,two',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': String(port),
      'x-forwarded-for': '127.0.0.1',
    });
    expect(event.headers.cookie).toBeUndefined();
    expect(event.body).toBeUndefined();
  });

  it('passes text bodies as text and binary ones base64-encoded', async () => {
    await send('POST', '/api/predict', { 'content-type': 'application/json' }, '{"total_produksi":4500}');
    expect(lastEvent).toMatchObject({ body: '{"total_produksi":4500}', isBase64Encoded: false });
    const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80]);
    await send('POST', '/api/predict', { 'content-type': 'application/octet-stream' }, bytes);
    expect(lastEvent).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
    // Declared as text but not UTF-8: still binary.
    await send('POST', '/api/predict', { 'content-type': 'text/plain' }, bytes);
    expect(lastEvent?.isBase64Encoded).toBe(true);
  });

  it('writes the result back: status, headers, cookies, base64 bodies, HEAD without a body', async () => {
    nextResult = {
      statusCode: 201,
      headers: { 'X-Request-Id': 'r1', 'content-type': 'application/octet-stream' },
      cookies: ['s=1; HttpOnly', 't=2'],
      body: Buffer.from([1, 2, 3]).toString('base64'),
      isBase64Encoded: true,
    };
    const answer = await send('GET', '/api/x');
    expect(answer.status).toBe(201);
    expect(answer.headers['x-request-id']).toBe('r1');
    expect(answer.headers['set-cookie']).toEqual(['s=1; HttpOnly', 't=2']);
    expect([...answer.body]).toEqual([1, 2, 3]);
    nextResult = { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"a":1}' };
    const head = await send('HEAD', '/api/x');
    expect(head.headers['content-length']).toBe('7');
    expect(head.body.length).toBe(0);
  });

  it('splits request targets, absolute ones too, and formats requestContext.time', () => {
    expect(splitTarget('/api/docs?x=1#frag')).toEqual({ rawPath: '/api/docs', rawQueryString: 'x=1' });
    expect(splitTarget('http://127.0.0.1:5000/api/health')).toEqual({
      rawPath: '/api/health',
      rawQueryString: '',
    });
    expect(splitTarget('http://127.0.0.1:5000')).toEqual({ rawPath: '/', rawQueryString: '' });
    expect(requestTime(Date.UTC(2025, 0, 5, 3, 4, 5))).toBe('05/Jan/2025:03:04:05 +0000');
  });
});

describe('local HTTP server', () => {
  it('answers a request it cannot parse with a JSON gateway error, not a bare 400', async () => {
    const api: ApiFunction = async () => ({ statusCode: 200, body: '{}' });
    const local = await startHttpServer({ host: '127.0.0.1', port: 0, api });
    try {
      for (const [method, target] of [
        ['BREW', '/api/health'],
        ['GET', '/api/components/M\u00f6tor'],
        ['GET', '/api/a\u0001b'],
      ] as const) {
        const answer = await rawRequest(local.port, { method, target });
        expect(answer.status, `${method} ${target}`).toBe(400);
        expect(answer.headers['content-type']).toMatch(/^application\/json/);
        expect(JSON.parse(answer.body.toString())).toEqual({ message: 'Bad Request' });
      }
      const huge = await rawRequest(local.port, {
        method: 'GET',
        target: '/api/health',
        headers: { 'x-big': 'x'.repeat(20_000) },
      });
      expect([huge.status, JSON.parse(huge.body.toString())]).toEqual([
        431,
        { message: 'Request Header Fields Too Large' },
      ]);
    } finally {
      await local.close();
    }
  });

  it('answers CORS for configured origins only, and gateway errors as API Gateway does', async () => {
    const www = await mkdtemp(join(tmpdir(), 'flexotwin-www-'));
    await mkdir(join(www, 'assets'));
    await writeFile(join(www, 'index.html'), '<!doctype html><title>dashboard</title>');
    await writeFile(join(www, 'assets', 'app.js'), 'console.log(1)');
    let mode: 'ok' | 'slow' | 'crash' = 'ok';
    const api: ApiFunction = async (event) => {
      if (mode === 'slow') await new Promise((resolve) => setTimeout(resolve, 1_000));
      if (mode === 'crash') throw new Error('boom');
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ path: event.rawPath }),
      };
    };
    const local = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      api,
      staticRoot: www,
      corsOrigins: ['http://localhost:3000'],
      maxBodyBytes: 100,
      timeoutMs: 300,
    });
    const base = `http://127.0.0.1:${local.port}`;
    try {
      const allowed = await fetch(`${base}/api/health`, { headers: { origin: 'http://localhost:3000' } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
      const other = await fetch(`${base}/api/health`, { headers: { origin: 'http://evil.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await fetch(`${base}/api/predict`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:3000',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');

      const big = await fetch(`${base}/api/predict`, { method: 'POST', body: 'x'.repeat(101) });
      expect([big.status, await big.json()]).toEqual([413, { message: 'Request Entity Too Large' }]);
      mode = 'slow';
      const slow = await fetch(`${base}/api/health`);
      expect([slow.status, await slow.json()]).toEqual([503, { message: 'Service Unavailable' }]);
      mode = 'crash';
      const crash = await fetch(`${base}/api/health`);
      expect([crash.status, await crash.json()]).toEqual([500, { message: 'Internal Server Error' }]);

      const index = await fetch(`${base}/`);
      expect([index.status, index.headers.get('content-type'), await index.text()]).toEqual([
        200,
        'text/html; charset=utf-8',
        '<!doctype html><title>dashboard</title>',
      ]);
      const script = await fetch(`${base}/assets/app.js`);
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      for (const path of ['/assets/nope.js', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd']) {
        const refused = await fetch(`${base}${path}`);
        expect(refused.status, path).toBe(404);
      }
    } finally {
      await local.close();
      await rm(www, { recursive: true, force: true });
    }
  });
});
