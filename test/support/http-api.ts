/**
 * Calling the API handler as API Gateway (HTTP API, payload 2.0) does, and holding every answer to the
 * OpenAPI document the API publishes: each response body is validated against the schema of its
 * operation and status code.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { expect } from 'vitest';
import { SchemaValidator } from './json-schema.js';
import { lambdaContext } from './lambda-context.js';

export interface ApiCall {
  readonly method?: string;
  /** The path as the client sent it (percent-encoded). */
  readonly path: string;
  /** The path API Gateway puts in rawPath when it differs (HTTP APIs decode it). */
  readonly rawPath?: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: string | object;
  readonly headers?: Readonly<Record<string, string>>;
  readonly isBase64Encoded?: boolean;
  readonly requestId?: string;
  readonly iamUserArn?: string;
}

let counter = 0;

export function apiEvent(call: ApiCall): APIGatewayProxyEventV2 {
  const method = call.method ?? 'GET';
  const rawQueryString = new URLSearchParams(call.query ?? {}).toString();
  const body =
    call.body === undefined
      ? undefined
      : typeof call.body === 'string'
        ? call.body
        : JSON.stringify(call.body);
  const requestId = call.requestId ?? `req-${++counter}`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: call.rawPath ?? call.path,
    rawQueryString,
    headers: {
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'x-forwarded-proto': 'https',
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...call.headers,
    },
    ...(rawQueryString !== '' && { queryStringParameters: call.query as Record<string, string> }),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path: call.path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: '23/Oct/2025:10:30:00 +0000',
      timeEpoch: 1_761_215_400_000,
      ...(call.iamUserArn !== undefined && {
        authorizer: { iam: { userArn: call.iamUserArn, accountId: '123456789012' } },
      }),
    } as APIGatewayProxyEventV2['requestContext'],
    ...(body !== undefined && { body }),
    isBase64Encoded: call.isBase64Encoded ?? false,
  };
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of JSON answers; the schema check types them
  readonly body: any;
}

type Handler = (
  event: APIGatewayProxyEventV2,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyStructuredResultV2>;

type OpenApi = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
  components: { schemas: Record<string, object> };
};

/** Finds the operation of a request path in the document (templates match one segment, or the rest). */
function operationOf(doc: OpenApi, method: string, path: string) {
  for (const template of Object.keys(doc.paths)) {
    for (const greedy of [false, true]) {
      const source = template
        .split(/(\{[a-z_]+\})/)
        .map((part, i, parts) =>
          /^\{[a-z_]+\}$/.test(part)
            ? greedy && i === parts.length - 2
              ? '.+'
              : '[^/]+'
            : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'),
        )
        .join('');
      const op = doc.paths[template]?.[method.toLowerCase()];
      if (op !== undefined && new RegExp(`^${source}$`).test(path)) return { template, op };
    }
  }
  return undefined;
}

/**
 * A client of the handler that checks every answer: JSON, a request id header, and a body that conforms
 * to the OpenAPI document (fetched once from the API itself).
 */
export function apiClient(handler: Handler) {
  let doc: OpenApi | undefined;
  const send = async (call: ApiCall): Promise<ApiAnswer> => {
    const result = await handler(apiEvent(call), lambdaContext());
    const headers = (result.headers ?? {}) as Record<string, string>;
    return {
      status: result.statusCode ?? 200,
      headers,
      body: result.body === undefined ? undefined : JSON.parse(result.body),
    };
  };
  return async function call(input: ApiCall | string): Promise<ApiAnswer> {
    const c = typeof input === 'string' ? { path: input } : input;
    const answer = await send(c);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.headers['x-request-id']).toBeTruthy();
    // Every error is the common error shape, except the health check's 503, which keeps the original shape.
    const healthCheck = (c.method ?? 'GET') === 'GET' && c.path === '/api/health';
    if (answer.status >= 400 && !healthCheck) {
      expect(answer.body).toMatchObject({ success: false, request_id: answer.headers['x-request-id'] });
      expect(JSON.stringify(answer.body)).not.toMatch(/\bat .+\.(ts|js):\d+/);
    }
    doc ??= (await send({ path: '/api/openapi.json' })).body as OpenApi;
    const method = c.method ?? 'GET';
    const found = operationOf(doc, method, safeDecode(c.path).replace(/(.)\/+$/, '$1'));
    // Unknown routes and methods answer with the common error schema.
    let schema: object = { $ref: '#/components/schemas/Error' };
    if (found !== undefined) {
      const response = found.op.responses[String(answer.status)];
      expect(response, `${method} ${c.path} → ${answer.status} is documented`).toBeDefined();
      schema = response?.content?.['application/json']?.schema as object;
    }
    const validator = new SchemaValidator((ref) => {
      const target = doc?.components.schemas[ref.replace('#/components/schemas/', '')];
      if (target === undefined) throw new Error(`unresolved ${ref}`);
      return target as Record<string, unknown>;
    });
    expect(
      validator.validate(schema as Record<string, unknown>, answer.body),
      `${method} ${c.path} → ${answer.status}`,
    ).toEqual([]);
    return answer;
  };
}
