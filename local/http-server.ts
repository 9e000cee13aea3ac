/**
 * The local HTTP server: /api/* goes through the API Gateway translation (api-gateway.ts) to the real
 * API handler; `/` and everything else is left for the dashboard — static files from `staticRoot` when
 * one is given, otherwise a JSON 404 pointing at the API. Upgrade requests on `upgradePath` (/mqtt) are
 * handed over (MQTT over WebSocket from the broker).
 *
 * Gateway behaviour kept from API Gateway HTTP APIs: a 10 MB request limit (413), a 30 s integration
 * timeout (503), a function error as 500 `{"message":"Internal Server Error"}`, a request that cannot
 * be parsed as 400 `{"message":"Bad Request"}`, and CORS answered by the gateway for the configured
 * origins only (none by default, as in the stack). What API Gateway does not need, being on the
 * internet with IAM: request-guard.ts keeps other web pages in the user's browser out (403).
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { apiGatewayEvent, lambdaContext, writeResult } from './api-gateway.js';
import { listen } from './broker.js';
import { hostRefusal, isCrossSite, refuseUpgrade, SAFE_METHODS } from './request-guard.js';

export type ApiFunction = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface AccessLogEntry {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly ms: number;
  readonly request_id: string;
  readonly source_ip: string;
}

export interface HttpServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly api: ApiFunction;
  /** A directory served at `/` (the dashboard); absent: `/` answers 404 with a pointer to the API. */
  readonly staticRoot?: string;
  /** Browser origins allowed to call the API (`*` for any); none by default. */
  readonly corsOrigins?: readonly string[];
  /** WebSocket upgrades on this path are handed to `onUpgrade` (MQTT over WebSocket). */
  readonly upgradePath?: string;
  readonly onUpgrade?: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  readonly accessLog?: (entry: AccessLogEntry) => void;
  /** Largest request body accepted (default 10 MB, API Gateway's limit). */
  readonly maxBodyBytes?: number;
  /** Integration timeout (default 30 s, API Gateway's limit). */
  readonly timeoutMs?: number;
}

export interface LocalHttpServer {
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

export const API_PREFIX = '/api';
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const TIMEOUT_MS = 30_000;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        request.pause();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolvePromise(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function gatewayError(response: ServerResponse, status: number, message: string, headers = {}): void {
  const body = JSON.stringify({ message });
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  response.end(body);
}

function isApiPath(path: string): boolean {
  return path === API_PREFIX || path.startsWith(`${API_PREFIX}/`) || path.startsWith(`${API_PREFIX}?`);
}

/** The CORS headers for an allowed origin, or undefined. */
function corsHeaders(
  origins: readonly string[] | undefined,
  origin: string | undefined,
): Record<string, string> | undefined {
  if (origins === undefined || origins.length === 0 || origin === undefined) return undefined;
  if (!origins.includes('*') && !origins.includes(origin)) return undefined;
  return {
    'access-control-allow-origin': origins.includes('*') ? '*' : origin,
    'access-control-expose-headers': 'x-request-id',
    vary: 'origin',
  };
}

export async function startHttpServer(options: HttpServerOptions): Promise<LocalHttpServer> {
  const limit = options.maxBodyBytes ?? MAX_BODY_BYTES;
  /** A Host that is not one, or not this machine's; a cross-site browser request that would change something. */
  const refusal = (request: IncomingMessage, changes: boolean): 400 | 403 | undefined =>
    hostRefusal(request.headers.host, options.host) ??
    (changes && isCrossSite(request.headers.origin, request.headers.host, options.corsOrigins)
      ? 403
      : undefined);
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  const staticRoot = options.staticRoot === undefined ? undefined : resolve(options.staticRoot);

  async function serveApi(request: IncomingMessage, response: ServerResponse, started: number) {
    const requestId = randomUUID();
    const method = (request.method ?? 'GET').toUpperCase();
    const cors = corsHeaders(options.corsOrigins, request.headers.origin);
    const log = (status: number) =>
      options.accessLog?.({
        method,
        path: request.url ?? '/',
        status,
        ms: Date.now() - started,
        request_id: requestId,
        source_ip: (request.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
      });
    if (method === 'OPTIONS' && cors !== undefined && request.headers['access-control-request-method']) {
      response.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'GET, POST, PUT, OPTIONS',
        'access-control-allow-headers': request.headers['access-control-request-headers'] ?? 'content-type',
        'access-control-max-age': '600',
        'content-length': '0',
      });
      response.end();
      log(204);
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(request, limit);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        gatewayError(response, 413, 'Request Entity Too Large', { connection: 'close' });
        log(413);
        return;
      }
      throw error;
    }
    const event = apiGatewayEvent(request, body, { requestId });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout('timeout'), timeoutMs);
    });
    try {
      const result = await Promise.race([
        options.api(event, lambdaContext('flexotwin-api', timeoutMs, requestId)),
        timeout,
      ]);
      if (result === 'timeout') {
        gatewayError(response, 503, 'Service Unavailable', cors);
        log(503);
        return;
      }
      writeResult(response, result, {
        head: method === 'HEAD',
        ...(cors === undefined ? {} : { extraHeaders: cors }),
      });
      log(result.statusCode ?? 200);
    } catch {
      // The function failed outright (the handler answers its own errors; this is a crash).
      gatewayError(response, 500, 'Internal Server Error', cors);
      log(500);
    } finally {
      clearTimeout(timer);
    }
  }

  async function serveStatic(request: IncomingMessage, response: ServerResponse) {
    const method = (request.method ?? 'GET').toUpperCase();
    const notFound = () => {
      const body = JSON.stringify({
        success: false,
        error: 'Not Found',
        message:
          staticRoot === undefined
            ? `Nothing is served at ${request.url} yet: the API is at ${API_PREFIX} (try ${API_PREFIX}/docs)`
            : `No file ${request.url}`,
      });
      response.writeHead(404, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
      });
      response.end(method === 'HEAD' ? undefined : body);
    };
    if (staticRoot === undefined || (method !== 'GET' && method !== 'HEAD')) {
      notFound();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(request.url ?? '/', 'http://local').pathname);
    } catch {
      notFound();
      return;
    }
    let file = join(staticRoot, path);
    const inside = relative(staticRoot, file);
    if (inside.startsWith('..') || inside.split(sep).includes('..')) {
      notFound();
      return;
    }
    let info = await stat(file).catch(() => undefined);
    if (info?.isDirectory()) {
      file = join(file, 'index.html');
      info = await stat(file).catch(() => undefined);
    }
    if (info === undefined || !info.isFile()) {
      notFound();
      return;
    }
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': String(info.size),
      'cache-control': 'no-cache',
    });
    if (method === 'HEAD') response.end();
    else createReadStream(file).pipe(response);
  }

  const server = createServer((request, response) => {
    const started = Date.now();
    const path = request.url ?? '/';
    const refused = refusal(
      request,
      isApiPath(path) && !SAFE_METHODS.has((request.method ?? '').toUpperCase()),
    );
    if (refused !== undefined) {
      gatewayError(response, refused, refused === 400 ? 'Bad Request' : 'Forbidden');
      options.accessLog?.({
        method: request.method ?? '',
        path,
        status: refused,
        ms: Date.now() - started,
        request_id: randomUUID(),
        source_ip: (request.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
      });
      return;
    }
    const work = isApiPath(path) ? serveApi(request, response, started) : serveStatic(request, response);
    work.catch(() => {
      if (!response.headersSent) gatewayError(response, 500, 'Internal Server Error');
      else response.destroy();
    });
  });
  // Requests Node's HTTP parser refuses (an unknown method, raw non-ASCII or control bytes in the target,
  // headers over 16 KB) never reach a handler; Node would answer a bare 400 without a body. Answered as
  // the gateway's own errors are, in JSON.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout']
          : [400, 'Bad Request'];
    const body = JSON.stringify({ message });
    socket.end(
      `HTTP/1.1 ${status} ${message}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  if (options.onUpgrade !== undefined) {
    const upgradePath = options.upgradePath ?? '/mqtt';
    const onUpgrade = options.onUpgrade;
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if ((request.url ?? '').split('?')[0] !== upgradePath) socket.destroy();
      else if (refusal(request, true) !== undefined) refuseUpgrade(socket);
      else onUpgrade(request, socket, head);
    });
  }
  const port = await listen(server, options.host, options.port, 'The HTTP API', '--port');
  return {
    port,
    server,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeIdleConnections();
        // Requests still running get a moment to finish; then their connections go too.
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}
