/**
 * The OpenAPI 3.1 document and the original API's /api/docs listing, both generated from the route table
 * and the zod schemas the routes validate with (zod 4's JSON Schema output is draft 2020-12, which is
 * OpenAPI 3.1's schema dialect). Named schemas (`.meta({ id })`) become components.
 */
import * as z from 'zod';
import { MAX_BODY_BYTES } from '../../shared/http.js';
import { API_PREFIX, pathParams, ROUTES, type RouteSpec } from './routes.js';
import { alarmIdParam, errorSchema, machineIdParam } from './schemas.js';

export const API_NAME = 'FlexoTwin API';
export const APP_NAME = 'FlexoTwin Smart Maintenance 4.0';
/** The API contract version (the original API's); the product's own version is separate. */
export const API_VERSION = '1.0.0';
export const API_DESCRIPTION =
  'REST API of the FlexoTwin digital twin: condition monitoring, FMEA/RPN, health index, alarms and maintenance prediction';

type JsonSchema = Record<string, unknown>;

/** Path parameter schemas: machine and alarm ids are validated, names are any non-empty text. */
export function pathParamSchema(name: string): z.ZodType {
  return name === 'machine_id' ? machineIdParam : name === 'alarm_id' ? alarmIdParam : z.string().min(1);
}

const ERRORS: Readonly<Record<number, string>> = {
  400: 'Invalid parameters or body',
  405: 'Method not allowed on this path',
  413: `Body larger than ${MAX_BODY_BYTES / 1024} KB`,
  500: 'Internal error',
};

let cached: { document: JsonSchema } | undefined;

/** The document (paths relative to the server URL, which is the API's origin). */
export function openApiDocument(serverUrl?: string): JsonSchema {
  cached ??= { document: buildDocument() };
  return serverUrl === undefined ? cached.document : { ...cached.document, servers: [{ url: serverUrl }] };
}

function buildDocument(): JsonSchema {
  const schemas: Record<string, JsonSchema> = {};
  const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema =>
    hoistDefs(
      z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema,
      schemas,
    );

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES as readonly RouteSpec[]) {
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      responses[status] = {
        description: spec.description,
        content: { 'application/json': { schema: toSchema(spec.schema, 'output') } },
      };
    }
    const errorStatuses = [
      ...(route.query !== undefined || route.body !== undefined || pathParams(route.path).length > 0
        ? [400]
        : []),
      405,
      ...(route.body !== undefined ? [413] : []),
      500,
    ];
    for (const status of errorStatuses) {
      responses[String(status)] ??= {
        description: ERRORS[status],
        content: { 'application/json': { schema: toSchema(errorSchema, 'output') } },
      };
    }
    const parameters = [
      ...pathParams(route.path).map((name) => ({
        name,
        in: 'path',
        required: true,
        schema: toSchema(pathParamSchema(name), 'input'),
        ...(route.greedy && {
          description: 'URL-encoded; may contain "/" (as %2F), "%", spaces and any Unicode',
        }),
      })),
      ...Object.entries(route.query?.shape ?? {}).map(([name, schema]) => {
        const field = schema as z.ZodType;
        const json = toSchema(field, 'input');
        return {
          name,
          in: 'query',
          required: !field.safeParse(undefined).success,
          schema: json,
          ...(typeof json.description === 'string' && { description: json.description }),
        };
      }),
    ];
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(parameters.length > 0 && { parameters }),
      ...(route.body !== undefined && {
        requestBody: {
          required: route.optionalBody !== true,
          content: { 'application/json': { schema: toSchema(route.body, 'input') } },
        },
      }),
      responses,
      security: route.public ? [] : [{ sigv4: [] }],
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: API_NAME, version: API_VERSION, description: API_DESCRIPTION },
    paths,
    components: {
      schemas,
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4 (API Gateway IAM authorization)',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    },
  };
}

/**
 * Moves a generated schema's `$defs` (the named schemas, `.meta({ id })`) into components.schemas,
 * keeping the first definition of each name, and points its references there.
 */
function hoistDefs(json: JsonSchema, into: Record<string, JsonSchema>): JsonSchema {
  const { $defs, $schema: _dialect, ...rest } = json as JsonSchema & { $defs?: Record<string, JsonSchema> };
  for (const [name, def] of Object.entries($defs ?? {})) into[name] ??= rewriteRefs(def) as JsonSchema;
  return rewriteRefs(rest) as JsonSchema;
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      k === '$ref' && typeof v === 'string'
        ? v.replace(/^#\/\$defs\//, '#/components/schemas/')
        : rewriteRefs(v);
  }
  return out;
}

/** The original API's /api/docs: endpoints relative to base_url. */
export function docsListing(baseUrl: string) {
  return {
    api_name: API_NAME,
    version: API_VERSION,
    description: API_DESCRIPTION,
    base_url: baseUrl,
    endpoints: (ROUTES as readonly RouteSpec[]).map((r) => ({
      path: r.path.startsWith(API_PREFIX) ? r.path.slice(API_PREFIX.length) : r.path,
      method: r.method,
      description: r.summary,
    })),
  };
}
