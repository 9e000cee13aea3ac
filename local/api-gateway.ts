/**
 * What API Gateway (HTTP API, payload format 2.0, `$default` route) does between an HTTP client and the
 * API function, done locally: the request becomes the event the function receives in AWS, and the
 * function's structured result becomes the HTTP response. Mirrors the documented event: header names
 * lower-cased and repeated headers joined with commas, cookies moved out of the headers into `cookies`,
 * query parameters decoded (repeated ones joined with commas), a binary body base64-encoded with
 * `isBase64Encoded`, and the path as the client encoded it in `rawPath`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

/** Content types API Gateway passes as text; every other body is base64-encoded. */
const TEXT_TYPES =
  /^(text\/|application\/(json|[\w.+-]+\+json|xml|[\w.+-]+\+xml|javascript|x-www-form-urlencoded|graphql))/i;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** requestContext.time: `23/Oct/2025:10:30:00 +0000`. */
export function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** The request target split into the encoded path and the raw query string. */
export function splitTarget(target: string): { rawPath: string; rawQueryString: string } {
  let rest = target;
  // Absolute form (a proxy's request line): keep only what follows the authority.
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(rest);
  if (absolute !== null) rest = rest.slice(absolute[0].length);
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  const rawPath = q >= 0 ? rest.slice(0, q) : rest;
  return { rawPath: rawPath === '' ? '/' : rawPath, rawQueryString: q >= 0 ? rest.slice(q + 1) : '' };
}

/** Decoded query parameters; repeated names are joined with commas, as API Gateway does. */
export function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    out[name] = out[name] === undefined ? value : `${out[name]},${value}`;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export interface EventOptions {
  readonly requestId?: string;
  readonly now?: number;
}

/** The payload-2.0 event of one HTTP request (its body already read). */
export function apiGatewayEvent(
  request: Pick<IncomingMessage, 'method' | 'url' | 'rawHeaders' | 'httpVersion' | 'socket'>,
  body: Buffer,
  options: EventOptions = {},
): APIGatewayProxyEventV2 {
  const now = options.now ?? Date.now();
  const requestId = options.requestId ?? randomUUID();
  const { rawPath, rawQueryString } = splitTarget(request.url ?? '/');
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter((c) => c !== ''),
      );
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const sourceIp = (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  // Set by API Gateway itself (here: plain HTTP on the local port), so the API's links use this origin.
  headers['x-forwarded-for'] =
    headers['x-forwarded-for'] === undefined ? sourceIp : `${headers['x-forwarded-for']}, ${sourceIp}`;
  headers['x-forwarded-port'] = String(request.socket.localPort ?? '');
  headers['x-forwarded-proto'] = 'http';
  const host = headers.host ?? 'localhost';
  const contentType = headers['content-type'] ?? '';
  const text = body.length > 0 && (contentType === '' || TEXT_TYPES.test(contentType)) && isUtf8(body);
  const query = queryParameters(rawQueryString);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 && { cookies }),
    headers,
    ...(query !== undefined && { queryStringParameters: query }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0]?.split(':')[0] ?? host,
      http: {
        method: (request.method ?? 'GET').toUpperCase(),
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: requestTime(now),
      timeEpoch: now,
    },
    ...(body.length > 0 && { body: text ? body.toString('utf8') : body.toString('base64') }),
    isBase64Encoded: body.length > 0 && !text,
  };
}

/** A Lambda context for one invocation of a local function. */
export function lambdaContext(functionName: string, timeoutMs: number, requestId = randomUUID()): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Writes a function's result as the HTTP response. A result that is not a structured response (a
 * string or object) is sent as JSON with status 200, as API Gateway infers it for payload 2.0.
 */
export function writeResult(
  response: ServerResponse,
  result: APIGatewayProxyStructuredResultV2 | string | object | undefined,
  options: { readonly head?: boolean; readonly extraHeaders?: Readonly<Record<string, string>> } = {},
): void {
  const structured =
    typeof result === 'object' && result !== null && 'statusCode' in result
      ? (result as APIGatewayProxyStructuredResultV2)
      : {
          statusCode: 200,
          headers: { 'content-type': 'application/json' },
          body: typeof result === 'string' ? result : JSON.stringify(result ?? null),
        };
  const body =
    structured.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(structured.body, structured.isBase64Encoded ? 'base64' : 'utf8');
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (structured.cookies !== undefined && structured.cookies.length > 0)
    headers['set-cookie'] = structured.cookies;
  Object.assign(headers, options.extraHeaders);
  headers['content-length'] = String(body.length);
  response.writeHead(structured.statusCode ?? 200, headers);
  response.end(options.head ? undefined : body);
}
