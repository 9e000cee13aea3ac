/**
 * The route table on Powertools' HTTP Router (API Gateway HTTP API, payload 2.0). The router matches
 * paths, decodes parameters and runs the error handlers; this module adds what the API promises on top:
 * parsing and validation with the routes' schemas, 405 with Allow for a known path, 413 over 64 KB,
 * JSON errors with the request id on every answer, and correct decoding of component names.
 */

import {
  MethodNotAllowedError,
  ParameterValidationError,
  Router,
} from '@aws-lambda-powertools/event-handler/http';
import type { RequestContext } from '@aws-lambda-powertools/event-handler/types';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { InvalidCursorError } from '../../core/ports.js';
import {
  ApiError,
  bodyByteLength,
  errorResponse,
  jsonResponse,
  MAX_BODY_BYTES,
  REQUEST_ID_HEADER,
} from '../../shared/http.js';
import { pathParamSchema } from './openapi.js';
import type { Operations } from './operations.js';
import { pathParams, pathRegex, ROUTES, type RouteSpec } from './routes.js';

export type ApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** Methods Powertools' router accepts; anything else is answered 405 before it. */
const ROUTABLE_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** Request id: API Gateway's (also in its access logs), else the Lambda request id. */
function requestIdOf(event: unknown, context?: Context): string {
  const id = (event as { requestContext?: { requestId?: unknown } } | undefined)?.requestContext?.requestId;
  return typeof id === 'string' && id !== '' ? id : (context?.awsRequestId ?? 'unknown');
}

function issuesMessage(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((i) => {
      const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
      return path === '' ? i.message : `${path}: ${i.message}`;
    })
    .join('; ');
}

/**
 * The path in percent-encoded form. REST APIs, function URLs and the local server pass the path as the
 * client encoded it; API Gateway HTTP APIs decode it first, so "Folder%2FGluer" arrives as
 * "Folder/Gluer" and "Ink 100%" with a bare "%". A path with characters that cannot appear in an encoded
 * path (or a "%" not starting an escape) is re-encoded segment by segment; greedy name parameters take
 * the rest of the path, so a decoded "/" inside a name still lands in the name.
 */
export function canonicalPath(rawPath: string): string {
  const encoded = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/.test(rawPath);
  return encoded ? rawPath : rawPath.split('/').map(encodeURIComponent).join('/');
}

export interface RouterOptions {
  readonly logger: Logger;
  readonly clock: () => number;
}

export function createApiHandler(operations: Operations, options: RouterOptions): ApiHandler {
  const { logger, clock } = options;
  const router = new Router({ logger });
  const table = (ROUTES as readonly RouteSpec[]).map((route) => ({ route, regex: pathRegex(route) }));

  for (const { route, regex } of table) {
    const operation = operations[route.operationId as keyof Operations] as (
      request: Parameters<Operations[keyof Operations]>[0],
    ) => ReturnType<Operations[keyof Operations]>;
    const handler = async (reqCtx: RequestContext) => {
      const requestId = requestIdOf(reqCtx.event);
      const url = new URL(reqCtx.req.url);
      const result = await operation({
        params: parseParams(route, reqCtx.params),
        query: route.query === undefined ? undefined : parseQuery(route.query, url.searchParams),
        body: route.body === undefined ? undefined : await parseBody(route, await reqCtx.req.text()),
        requestId,
        origin: originOf(reqCtx.event as APIGatewayProxyEventV2, url),
        caller: callerOf(reqCtx.event),
        now: clock(),
      } as never);
      return jsonResponse(result.status, result.body, requestId, result.headers);
    };
    // Parameterless paths are static routes (exact match); the others match by regex over the encoded path.
    const path = pathParams(route.path).length === 0 ? (route.path as `/${string}`) : regex;
    router.route(handler, { method: route.method, path });
  }

  router.notFound(async (_error, reqCtx) => {
    const path = new URL(reqCtx.req.url).pathname.replace(/\/+$/, '') || '/';
    const allowed = [...new Set(table.filter((t) => t.regex.test(path)).map((t) => t.route.method))];
    const error =
      allowed.length > 0
        ? new ApiError(
            405,
            `${reqCtx.req.method} is not allowed on ${path}`,
            undefined,
            {},
            { allow: allowed.join(', ') },
          )
        : new ApiError(404, `No route ${reqCtx.req.method} ${path}`);
    return errorResponse(error, requestIdOf(reqCtx.event));
  });
  router.errorHandler(ApiError, async (error, reqCtx) => errorResponse(error, requestIdOf(reqCtx.event)));
  router.errorHandler(InvalidCursorError, async (error, reqCtx) =>
    errorResponse(new ApiError(400, error.message), requestIdOf(reqCtx.event)),
  );
  // A malformed escape in the path ("%E0%A4%A") or an empty parameter.
  router.errorHandler([URIError, ParameterValidationError], async (_error, reqCtx) =>
    errorResponse(new ApiError(400, 'The path is not correctly percent-encoded'), requestIdOf(reqCtx.event)),
  );
  router.errorHandler(MethodNotAllowedError, async (error, reqCtx) =>
    errorResponse(new ApiError(405, error.message), requestIdOf(reqCtx.event)),
  );
  router.errorHandler(Error, async (error, reqCtx) => {
    const requestId = requestIdOf(reqCtx.event);
    logger.error('request failed', { error, request_id: requestId, path: reqCtx.req.url });
    return errorResponse(
      new ApiError(500, `An internal error occurred; quote request id ${requestId} when reporting it`),
      requestId,
    );
  });

  return async (event, context) => {
    const requestId = requestIdOf(event, context);
    logger.resetKeys();
    logger.addContext(context);
    logger.appendKeys({ request_id: requestId });
    const method = (event.requestContext?.http?.method ?? '').toUpperCase();
    let result: APIGatewayProxyStructuredResultV2;
    if (!ROUTABLE_METHODS.has(method)) {
      result = await toResult(
        errorResponse(new ApiError(405, `Method ${method || '(none)'} is not supported`), requestId),
      );
    } else if (bodyByteLength(event.body, event.isBase64Encoded) > MAX_BODY_BYTES) {
      result = await toResult(
        errorResponse(
          new ApiError(413, `The request body is larger than ${MAX_BODY_BYTES / 1024} KB`),
          requestId,
        ),
      );
    } else {
      const routed = {
        ...event,
        rawPath: canonicalPath(event.rawPath ?? '/'),
        // A GET or HEAD body means nothing, but API Gateway passes it on, and the router's Web Request
        // refuses one (a TypeError the function would fail with: 500). Dropped, as servers ignore it.
        ...((method === 'GET' || method === 'HEAD') && { body: undefined, isBase64Encoded: false }),
      };
      result = (await router.resolve(routed, context)) as APIGatewayProxyStructuredResultV2;
    }
    result.headers = { ...result.headers, [REQUEST_ID_HEADER]: requestId };
    return result;
  };
}

function parseParams(route: RouteSpec, raw: Readonly<Record<string, string>>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const name of pathParams(route.path)) {
    const parsed = pathParamSchema(name).safeParse(raw[name]);
    if (!parsed.success) throw new ApiError(400, issuesMessage(parsed.error, name));
    params[name] = parsed.data as string;
  }
  return params;
}

function parseQuery(schema: z.ZodObject, search: URLSearchParams): unknown {
  const parsed = schema.safeParse(Object.fromEntries(search.entries()));
  if (!parsed.success) throw new ApiError(400, issuesMessage(parsed.error));
  return parsed.data;
}

/** The original predict route answers bad input with its own documented shape. */
function inputError(route: RouteSpec, message: string, received: unknown): ApiError {
  return route.operationId === 'predictMaintenance'
    ? new ApiError(400, message, 'Invalid input', { input_received: received })
    : new ApiError(400, message);
}

/** JSON bodies nest at most this deep: ours are flat objects, and a deeper one cannot be echoed back. */
export const MAX_BODY_DEPTH = 32;

/** Whether a parsed JSON value nests deeper than `limit` (iteratively: the value may be very deep). */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [v, depth] = next;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

async function parseBody(route: RouteSpec, text: string): Promise<unknown> {
  const schema = route.body as z.ZodType;
  let value: unknown;
  if (text.trim() === '') {
    if (route.optionalBody !== true) throw inputError(route, 'A JSON body is required', null);
    value = {};
  } else {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw inputError(route, `The body is not valid JSON: ${(error as Error).message}`, null);
    }
    // JSON.parse takes any depth, JSON.stringify overflows the stack from ~5000 levels: echoing such a
    // body in predict's input_received failed the error handler itself (500).
    if (nestsDeeperThan(value, MAX_BODY_DEPTH))
      throw inputError(route, `The body nests deeper than ${MAX_BODY_DEPTH} levels`, null);
  }
  const parsed = await schema.safeParseAsync(value);
  if (!parsed.success) throw inputError(route, issuesMessage(parsed.error), value);
  return parsed.data;
}

function originOf(event: APIGatewayProxyEventV2, url: URL): string {
  const host = event.headers?.host ?? event.headers?.Host ?? event.requestContext?.domainName ?? url.host;
  const proto = event.headers?.['x-forwarded-proto'] ?? url.protocol.replace(':', '');
  return `${proto}://${host}`;
}

function callerOf(event: unknown): string | undefined {
  const iam = (event as { requestContext?: { authorizer?: { iam?: { userArn?: unknown } } } }).requestContext
    ?.authorizer?.iam;
  return typeof iam?.userArn === 'string' ? iam.userArn : undefined;
}

async function toResult(response: Response): Promise<APIGatewayProxyStructuredResultV2> {
  return {
    statusCode: response.status,
    headers: Object.fromEntries(response.headers.entries()),
    body: await response.text(),
    isBase64Encoded: false,
  };
}
