/**
 * The page's only way to the system: the public HTTP API, the same one a cloud deployment exposes.
 * The base URL is empty for the local runtime (same origin) and set at build time for a page hosted
 * elsewhere (see dashboard/build.ts).
 */
import type {
  AckResponse,
  AlarmPage,
  ComponentHealth,
  ComponentList,
  MachineList,
  MachineRules,
  Oee,
  OeeTrend,
  OeeWindow,
  Prediction,
  TelemetrySeries,
} from './types.js';

/** An answer other than 2xx (status 0: the API could not be reached at all). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The API's short title ("Invalid input", "Model not available", …) or a transport description. */
    readonly title: string,
    message: string,
    readonly body: unknown = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Query = Readonly<Record<string, string | number | undefined>>;

export interface TelemetryQuery {
  readonly from?: number;
  readonly to?: number;
  readonly interval?: string;
  readonly sensors?: readonly string[];
  readonly limit?: number;
  readonly cursor?: string;
}

export interface AnomalyQuery {
  readonly machine_id?: string;
  readonly state?: 'active' | 'active_unacknowledged' | 'active_acknowledged' | 'cleared';
  readonly since?: number;
  readonly limit?: number;
  readonly cursor?: string;
}

/** How long one request may take before the poller treats the API as unreachable. */
export const REQUEST_TIMEOUT_MS = 8000;

export function apiUrl(base: string, path: string, query: Query = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return `${base.replace(/\/+$/, '')}${path}${text === '' ? '' : `?${text}`}`;
}

export function createApi(base: string, fetchImpl: typeof fetch = (...args) => fetch(...args)) {
  async function call<T>(method: 'GET' | 'POST', path: string, query?: Query, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetchImpl(apiUrl(base, path, query), {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      throw new ApiError(
        0,
        timedOut ? 'Timeout' : 'Unreachable',
        timedOut
          ? `The API did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`
          : 'The API cannot be reached',
      );
    }
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      // A proxy's HTML error page: reported below with the status.
    }
    if (!response.ok) {
      const err = (json ?? {}) as { error?: unknown; message?: unknown };
      throw new ApiError(
        response.status,
        typeof err.error === 'string' ? err.error : `HTTP ${response.status}`,
        typeof err.message === 'string' ? err.message : response.statusText || 'Request failed',
        json,
      );
    }
    return json as T;
  }

  const machine = (id: string) => `/api/machines/${encodeURIComponent(id)}`;

  return {
    machines: () => call<MachineList>('GET', '/api/machines'),
    components: (machineId: string) =>
      call<ComponentList>('GET', '/api/components', { machine_id: machineId }),
    componentHealth: (name: string, machineId: string) =>
      call<ComponentHealth>('GET', `/api/health/${encodeURIComponent(name)}`, { machine_id: machineId }),
    telemetry: (machineId: string, q: TelemetryQuery) =>
      call<TelemetrySeries>('GET', `${machine(machineId)}/telemetry`, {
        from: q.from,
        to: q.to,
        interval: q.interval,
        sensors: q.sensors?.join(','),
        limit: q.limit,
        cursor: q.cursor,
      }),
    oee: (machineId: string, window: OeeWindow) => call<Oee>('GET', `${machine(machineId)}/oee`, { window }),
    oeeTrend: (machineId: string, window: OeeWindow) =>
      call<OeeTrend>('GET', `${machine(machineId)}/oee/trend`, { window }),
    rules: (machineId: string) => call<MachineRules>('GET', `${machine(machineId)}/rules`),
    anomalies: (q: AnomalyQuery) => call<AlarmPage>('GET', '/api/anomalies', { ...q }),
    acknowledge: (alarmId: string, by: string) =>
      call<AckResponse>('POST', `/api/anomalies/${encodeURIComponent(alarmId)}/ack`, undefined, { by }),
    predict: (input: Readonly<Record<string, unknown>>) =>
      call<Prediction>('POST', '/api/predict', undefined, input),
  };
}

export type Api = ReturnType<typeof createApi>;
