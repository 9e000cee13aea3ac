/**
 * HTTP load with autocannon (in a worker thread, so the client does not share an event loop with the
 * server under test), and a bare node:http JSON endpoint to hold the API's figures against.
 */
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

interface AutocannonResult {
  readonly latency: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly requests: { readonly average: number; readonly total: number };
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly duration: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface HttpLoadResult {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Completed requests per second. */
  readonly rps: number;
  /** Requests that did not answer 2xx, errored or timed out. */
  readonly failures: number;
}

/** `rate` requests/s over all connections (coordinated omission corrected), or as fast as possible. */
export async function httpLoad(options: {
  url: string;
  seconds: number;
  connections: number;
  rate?: number;
}): Promise<HttpLoadResult> {
  const r = await autocannon({
    url: options.url,
    duration: options.seconds,
    connections: options.connections,
    workers: 1,
    ...(options.rate !== undefined && { overallRate: options.rate }),
  });
  return {
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    rps: r.requests.total / r.duration,
    failures: r.non2xx + r.errors + r.timeouts,
  };
}

/** A node:http server answering every request with `body` as JSON: the floor any API latency sits on. */
export async function bareJsonServer(
  body: string,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
