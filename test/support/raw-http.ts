/**
 * A raw HTTP/1.1 client (the API fuzz suite, the local HTTP server tests): the request line and headers
 * go on the wire exactly as given (fetch and http.request normalise or refuse paths with dot segments,
 * bare "%", spaces or non-ASCII bytes, and unknown methods — which is what a fuzzer wants to send), one
 * connection per request (Connection: close).
 */
import { connect } from 'node:net';

export interface RawRequest {
  readonly method: string;
  /** The request target as sent (path and query), bytes as they are. */
  readonly target: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export function rawRequest(port: number, request: RawRequest, timeoutMs = 30_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${request.method} ${request.target.slice(0, 200)} in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may answer (413) and close before the body is written: what it answered counts.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(new Error(`${request.method} ${request.target.slice(0, 200)}: ${(error as Error).message}`));
      }
    });
    const body = request.body ?? new Uint8Array();
    const lines = [
      `${request.method} ${request.target} HTTP/1.1`,
      ...Object.entries({ host: '127.0.0.1', ...request.headers, connection: 'close' }).map(
        ([k, v]) => `${k}: ${v}`,
      ),
      ...(body.length > 0 || request.method === 'POST' || request.method === 'PUT'
        ? [`content-length: ${body.length}`]
        : []),
    ];
    // Not ended: a half-closed connection is dropped by the server before it answers; with
    // "connection: close" it closes after its answer.
    socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), body]));
  });
}

function parseResponse(bytes: Buffer): RawResponse {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete response (${bytes.length} bytes)`);
  const [statusLine = '', ...headerLines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!Number.isInteger(status)) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = bytes.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  return { status, headers, body };
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
