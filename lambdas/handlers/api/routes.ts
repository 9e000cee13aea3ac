/**
 * The API's routes as data: method, path, summary and the schemas of each. The router is built from
 * this table (router.ts), the OpenAPI document and /api/docs are generated from it (openapi.ts), and the
 * operations (operations.ts) are typed by it, so none of them can list a route the others do not know.
 */
import type { z } from 'zod';
import {
  ackRequestSchema,
  ackResponseSchema,
  alarmPageSchema,
  anomalyQuerySchema,
  componentDetailSchema,
  componentHealthSchema,
  componentListSchema,
  componentUpdateSchema,
  docsSchema,
  errorSchema,
  invalidInputSchema,
  machineListSchema,
  machineQuerySchema,
  machineRulesSchema,
  modelNotAvailableSchema,
  oeeQuerySchema,
  oeeSchema,
  oeeTrendSchema,
  openApiSchema,
  predictionSchema,
  predictRequestSchema,
  systemHealthSchema,
  telemetryQuerySchema,
  telemetrySeriesSchema,
} from './schemas.js';

export const API_PREFIX = '/api';

export interface ResponseSpec {
  readonly description: string;
  readonly schema: z.ZodType;
}

export interface RouteSpec {
  readonly operationId: string;
  readonly method: 'GET' | 'PUT' | 'POST';
  /** OpenAPI path template. */
  readonly path: string;
  /**
   * The last parameter takes the rest of the path: component names may contain "/" (sent as %2F, which
   * API Gateway HTTP APIs decode before the function sees the path).
   */
  readonly greedy?: boolean;
  readonly summary: string;
  /** Reachable without IAM authorization (API Gateway), like the original health check. */
  readonly public?: boolean;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  /** The body may be omitted (an empty body is `{}`). */
  readonly optionalBody?: boolean;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
}

const error = (description: string): ResponseSpec => ({ description, schema: errorSchema });

export const ROUTES = [
  {
    operationId: 'getSystemHealth',
    method: 'GET',
    path: '/api/health',
    summary: 'System health check: storage and IoT broker reachability',
    public: true,
    responses: {
      200: { description: 'Healthy, or degraded (broker unreachable)', schema: systemHealthSchema },
      503: { description: 'Storage unreachable', schema: systemHealthSchema },
    },
  },
  {
    operationId: 'listComponents',
    method: 'GET',
    path: '/api/components',
    summary: 'Machine components with their RPN (base and dynamic)',
    query: machineQuerySchema,
    responses: {
      200: { description: 'The FMEA components in machine order', schema: componentListSchema },
      404: error('No such machine'),
    },
  },
  {
    operationId: 'getComponent',
    method: 'GET',
    path: '/api/components/{name}',
    greedy: true,
    summary: 'One component with its FMEA fields',
    query: machineQuerySchema,
    responses: {
      200: { description: 'The component', schema: componentDetailSchema },
      404: error('No such component'),
    },
  },
  {
    operationId: 'updateComponent',
    method: 'PUT',
    path: '/api/components/{name}',
    greedy: true,
    summary: 'Update severity, occurrence and/or detection (integers 1..10)',
    body: componentUpdateSchema,
    responses: {
      200: { description: 'The updated component', schema: componentDetailSchema },
      404: error('No such component'),
    },
  },
  {
    operationId: 'getComponentHealth',
    method: 'GET',
    path: '/api/health/{component_name}',
    greedy: true,
    summary: 'Health index and recommendations of a component (prediction attached below 50)',
    query: machineQuerySchema,
    responses: {
      200: { description: 'The health of the component on the machine', schema: componentHealthSchema },
      404: error('No such component or machine'),
    },
  },
  {
    operationId: 'predictMaintenance',
    method: 'POST',
    path: '/api/predict',
    summary: 'Predict the maintenance duration from production figures',
    body: predictRequestSchema,
    responses: {
      200: { description: 'The predicted duration in hours', schema: predictionSchema },
      400: { description: 'Invalid input', schema: invalidInputSchema },
      503: { description: 'No model is available', schema: modelNotAvailableSchema },
    },
  },
  {
    operationId: 'listMachines',
    method: 'GET',
    path: '/api/machines',
    summary: 'The fleet: status, OEE, health and active alarms per machine',
    responses: { 200: { description: 'Every machine that has reported', schema: machineListSchema } },
  },
  {
    operationId: 'getTelemetry',
    method: 'GET',
    path: '/api/machines/{machine_id}/telemetry',
    summary: 'Telemetry of a machine: raw points (paginated) or avg/min/max buckets',
    query: telemetryQuerySchema,
    responses: {
      200: { description: 'Raw points or aggregated buckets', schema: telemetrySeriesSchema },
      404: error('No such machine'),
    },
  },
  {
    operationId: 'getOee',
    method: 'GET',
    path: '/api/machines/{machine_id}/oee',
    summary: 'OEE of a machine over the current shift, 24 h or 7 days',
    query: oeeQuerySchema,
    responses: {
      200: { description: 'Availability, performance, quality and OEE (percent)', schema: oeeSchema },
      404: error('No such machine'),
    },
  },
  {
    operationId: 'getOeeTrend',
    method: 'GET',
    path: '/api/machines/{machine_id}/oee/trend',
    summary: 'OEE of a machine over time: the running shift figures, sampled across the window',
    query: oeeQuerySchema,
    responses: {
      200: {
        description: 'Availability, performance, quality and OEE per point (percent)',
        schema: oeeTrendSchema,
      },
      404: error('No such machine'),
    },
  },
  {
    operationId: 'getMachineRules',
    method: 'GET',
    path: '/api/machines/{machine_id}/rules',
    summary: 'The anomaly rules and thresholds in force for a machine (from its profile)',
    responses: {
      200: { description: 'The rules the processor applies to this machine', schema: machineRulesSchema },
      404: error('No such machine'),
    },
  },
  {
    operationId: 'listAnomalies',
    method: 'GET',
    path: '/api/anomalies',
    summary: 'Alarms by machine, state and time (paginated)',
    query: anomalyQuerySchema,
    responses: { 200: { description: 'A page of alarms', schema: alarmPageSchema } },
  },
  {
    operationId: 'acknowledgeAnomaly',
    method: 'POST',
    path: '/api/anomalies/{alarm_id}/ack',
    summary: 'Acknowledge an active alarm',
    body: ackRequestSchema,
    optionalBody: true,
    responses: {
      200: { description: 'Acknowledged (or already acknowledged)', schema: ackResponseSchema },
      404: error('No such alarm'),
      409: error('The alarm is cleared'),
    },
  },
  {
    operationId: 'getOpenApi',
    method: 'GET',
    path: '/api/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document',
    responses: { 200: { description: 'The OpenAPI document', schema: openApiSchema } },
  },
  {
    operationId: 'getDocs',
    method: 'GET',
    path: '/api/docs',
    summary: 'The endpoints of this API',
    responses: { 200: { description: 'API documentation', schema: docsSchema } },
  },
] as const satisfies readonly RouteSpec[];

export type Route = (typeof ROUTES)[number];
export type OperationId = Route['operationId'];

/** The path's parameter names, in order. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1] as string);
}

/** The route's path as an anchored regex over the encoded path: one segment per parameter, greedy last. */
export function pathRegex(route: RouteSpec): RegExp {
  const names = pathParams(route.path);
  let source = '';
  let rest = route.path;
  names.forEach((name, i) => {
    const at = rest.indexOf(`{${name}}`);
    source += escapeRegex(rest.slice(0, at));
    source += route.greedy && i === names.length - 1 ? `(?<${name}>.+)` : `(?<${name}>[^/]+)`;
    rest = rest.slice(at + name.length + 2);
  });
  return new RegExp(`^${source}${escapeRegex(rest)}$`);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
