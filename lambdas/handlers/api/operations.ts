/**
 * What each API route does, over the ports. Requests arrive parsed and validated by the router (schemas
 * of routes.ts); answers are plain JSON bodies with a status. Domain decisions (health, dynamic RPN,
 * OEE) are core's; this module only gathers their inputs and shapes the outputs.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { z } from 'zod';
import type { Probe } from '../../adapters/probes.js';
import type { Alarm } from '../../core/anomaly/alarm.js';
import { defaultRules } from '../../core/anomaly/rules.js';
import { type Component, dynamicRpn, RPN_MAX } from '../../core/fmea.js';
import { componentHealth, round1 } from '../../core/health.js';
import type { MachineState } from '../../core/machine.js';
import { computeShiftOee, computeWindowOee, type Oee, SHIFT_MS, shiftStart } from '../../core/oee.js';
import type {
  AnomalyStore,
  ComponentStore,
  MachineStateStore,
  SensorAggregate,
  TimeSeriesStore,
} from '../../core/ports.js';
import type { MachineProfile } from '../../core/profiles.js';
import type { ComponentCatalog } from '../../shared/component-catalog.js';
import { ApiError, badRequest, notFound } from '../../shared/http.js';
import { API_VERSION, APP_NAME, docsListing, openApiDocument } from './openapi.js';
import { missingFeatures, type PredictionBody, type PredictorCache, predict } from './predictions.js';
import type { Route } from './routes.js';
import type { predictionResultSchema } from './schemas.js';

export interface ApiServices {
  readonly components: ComponentStore;
  /** Always-fresh view of the FMEA table that seeds it when empty. */
  readonly catalog: ComponentCatalog;
  readonly anomalies: AnomalyStore;
  readonly machineStates: MachineStateStore;
  readonly timeSeries: TimeSeriesStore;
  readonly predictors: PredictorCache;
  readonly probes: {
    readonly storage: Probe;
    readonly broker: Probe;
    /** What GET /api/health shows as the broker and topic. */
    readonly brokerInfo: { readonly broker: string; readonly topic: string };
  };
  readonly machineProfile: (machineId: string) => {
    profile: MachineProfile;
    shiftOffsetHours: number | undefined;
  };
  readonly defaultMachineId: string;
  readonly logger: Logger;
}

export interface ApiRequest<Q, B> {
  readonly params: Readonly<Record<string, string>>;
  readonly query: Q;
  readonly body: B;
  readonly requestId: string;
  /** Scheme and host the client called, e.g. https://abc.execute-api.eu-west-1.amazonaws.com */
  readonly origin: string;
  /** The IAM principal that signed the request, when API Gateway authorized it. */
  readonly caller: string | undefined;
  readonly now: number;
}

export interface ApiResult {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

type QueryOf<R> = R extends { query: infer S extends z.ZodType } ? z.output<S> : undefined;
type BodyOf<R> = R extends { body: infer S extends z.ZodType } ? z.output<S> : undefined;

export type Operations = {
  readonly [R in Route as R['operationId']]: (
    request: ApiRequest<QueryOf<R>, BodyOf<R>>,
  ) => Promise<ApiResult>;
};

const ok = (body: unknown): ApiResult => ({ status: 200, body });
const iso = (ms: number) => new Date(ms).toISOString();
const pct = (x: number | null) => (x === null ? null : round1(x * 100));
const DAY_MS = 24 * 60 * 60 * 1000;
/** Bucket averages to three decimals, the precision of the readings they average (min and max are readings). */
function roundedAverages(
  sensors: Readonly<Record<string, SensorAggregate>>,
): Record<string, SensorAggregate> {
  const out: Record<string, SensorAggregate> = {};
  for (const [name, a] of Object.entries(sensors)) out[name] = { ...a, avg: Math.round(a.avg * 1000) / 1000 };
  return out;
}

/** Longest telemetry range one request may cover, and most buckets one aggregate may return. */
export const MAX_TELEMETRY_RANGE_MS = 31 * DAY_MS;
export const MAX_BUCKETS = 10_000;
/** Most points of an OEE trend; the interval is the window over this, in whole minutes. */
export const OEE_TREND_POINTS = 240;

export function createOperations(s: ApiServices): Operations {
  /** A machine's state; a machine the caller names must exist, the default one may not have reported yet. */
  async function machineFor(
    requested: string | undefined,
  ): Promise<{ id: string; state: MachineState | undefined }> {
    const id = requested ?? s.defaultMachineId;
    const state = (await s.machineStates.get(id))?.state;
    if (state === undefined && requested !== undefined)
      throw notFound(`Machine "${requested}" has not reported yet`);
    return { id, state };
  }

  async function component(name: string): Promise<Component> {
    const found = (await s.catalog.current()).find((c) => c.component_name === name);
    if (found === undefined) throw notFound(`Component "${name}" not found`);
    return found;
  }

  function detail(c: Component, machineId: string, state: MachineState | undefined, now: number) {
    return {
      component_name: c.component_name,
      rpn_value: c.severity * c.occurrence * c.detection,
      rpn_max: RPN_MAX,
      rpn_dynamic: dynamicRpn(c, state?.recent_alarms ?? [], now).rpn_dynamic,
      machine_id: machineId,
      description: c.description,
      failure_mode: c.failure_mode,
      effect: c.effect,
      cause: c.cause,
      severity: c.severity,
      occurrence: c.occurrence,
      detection: c.detection,
      linked_sensors: c.linked_sensors,
      recommendations: c.recommendations,
    };
  }

  /** The prediction a critical component's health carries, from the machine's current shift figures. */
  async function autoPrediction(
    state: MachineState | undefined,
    now: number,
  ): Promise<z.output<typeof predictionResultSchema>> {
    const lookup = await s.predictors.get();
    if (!lookup.ok) return { success: false, error: 'Model not available', message: lookup.message };
    const shift = state?.shift;
    if (shift == null) {
      return {
        success: false,
        error: 'No production data',
        message: 'The machine has reported no production figures yet',
      };
    }
    const input: Record<string, number> = {};
    for (const [key, value] of Object.entries(shift)) {
      if (typeof value === 'number' && key !== 'ts' && key !== 'seq' && key !== 'shift_start')
        input[key] = value;
    }
    const missing = missingFeatures(lookup.predictor, input);
    if (missing.length > 0) {
      return { success: false, error: 'Missing features', message: `The model needs ${missing.join(', ')}` };
    }
    try {
      return predict(lookup.predictor, input, now);
    } catch (error) {
      s.logger.error('auto-triggered prediction failed', { error });
      return {
        success: false,
        error: 'Prediction failed',
        message: 'The model could not predict from these figures',
      };
    }
  }

  return {
    async getSystemHealth({ now }) {
      const [storage, broker] = await Promise.all([s.probes.storage(), s.probes.broker()]);
      const status = !storage.ok ? 'unhealthy' : broker.ok ? 'healthy' : 'degraded';
      return {
        status: storage.ok ? 200 : 503,
        body: {
          status,
          app_name: APP_NAME,
          version: API_VERSION,
          timestamp: iso(now),
          database: { status: storage.ok ? 'connected' : 'disconnected', message: storage.message },
          mqtt: {
            status: broker.ok ? 'connected' : 'disconnected',
            broker: s.probes.brokerInfo.broker,
            topic: s.probes.brokerInfo.topic,
          },
        },
      };
    },

    async listComponents({ query, now }) {
      const [components, machine] = await Promise.all([s.catalog.current(), machineFor(query.machine_id)]);
      return ok({
        total_components: components.length,
        machine_id: machine.id,
        components: components.map((c) => {
          const { component_name, rpn_value, rpn_max, rpn_dynamic } = detail(
            c,
            machine.id,
            machine.state,
            now,
          );
          return { component_name, rpn_value, rpn_max, rpn_dynamic };
        }),
      });
    },

    async getComponent({ params, query, now }) {
      const [c, machine] = await Promise.all([
        component(params.name as string),
        machineFor(query.machine_id),
      ]);
      return ok(detail(c, machine.id, machine.state, now));
    },

    async updateComponent({ params, body, now }) {
      const name = params.name as string;
      await component(name); // seeds an empty table and 404s an unknown name
      const updated = await s.components.updateRatings(name, body);
      if (updated === undefined) throw notFound(`Component "${name}" not found`);
      s.catalog.invalidate();
      const machine = await machineFor(undefined);
      s.logger.info('component ratings updated', { component: name, ratings: body });
      return ok(detail(updated, machine.id, machine.state, now));
    },

    async getComponentHealth({ params, query, now }) {
      const [c, machine] = await Promise.all([
        component(params.component_name as string),
        machineFor(query.machine_id),
      ]);
      const health = componentHealth(c, machine.state?.oee ?? null, machine.state?.recent_alarms ?? [], now);
      return ok({
        ...health,
        machine_id: machine.id,
        ...(health.auto_triggered && { prediction_result: await autoPrediction(machine.state, now) }),
      });
    },

    async predictMaintenance({ body, now }) {
      const lookup = await s.predictors.get();
      if (!lookup.ok) throw new ApiError(503, lookup.message, 'Model not available');
      const missing = missingFeatures(lookup.predictor, body);
      if (missing.length > 0) {
        throw new ApiError(400, `The model also needs: ${missing.join(', ')}`, 'Invalid input', {
          input_received: body,
        });
      }
      const result: PredictionBody = predict(lookup.predictor, body, now);
      return ok(result);
    },

    async listMachines() {
      const states = await s.machineStates.list();
      return ok({
        total_machines: states.length,
        machines: states.map((m) => ({
          machine_id: m.machine_id,
          status: m.status,
          last_seen: m.last_seen > 0 ? iso(m.last_seen) : null,
          oee: m.oee === null ? null : oeeFigures(m.oee),
          health:
            m.health === null
              ? null
              : {
                  health_index: m.health.health_index,
                  status: m.health.status,
                  color: m.health.color,
                  worst_component: m.health.worst_component,
                },
          active_alarms: m.recent_alarms.filter((a) => a.state !== 'cleared').length,
          messages: { ...m.counters },
        })),
      });
    },

    async getTelemetry({ params, query, now }) {
      const machineId = params.machine_id as string;
      await machineFor(machineId);
      const to = query.to ?? now;
      const from = query.from ?? to - 60 * 60 * 1000;
      if (from >= to) throw badRequest('`from` must be before `to`');
      if (to - from > MAX_TELEMETRY_RANGE_MS) throw badRequest('a telemetry query may cover at most 31 days');
      const interval = query.interval;
      if (interval !== undefined && Math.ceil((to - from) / interval.ms) > MAX_BUCKETS) {
        throw badRequest(`at most ${MAX_BUCKETS} buckets per query: widen the interval or narrow the range`);
      }
      const series = await s.timeSeries.queryTelemetry({
        machine_id: machineId,
        from,
        to,
        ...(query.sensors !== undefined && { sensors: query.sensors }),
        ...(interval !== undefined && { interval_ms: interval.ms }),
        limit: query.limit,
        ...(query.cursor !== undefined && { cursor: query.cursor }),
      });
      const range = { machine_id: machineId, from: iso(from), to: iso(to) };
      if (series.kind === 'raw') {
        return ok({
          ...range,
          kind: 'raw',
          count: series.points.length,
          points: series.points.map((p) => ({ ts: iso(p.ts), seq: p.seq, sensors: p.sensors })),
          ...(series.next_cursor !== undefined && { next_cursor: series.next_cursor }),
        });
      }
      return ok({
        ...range,
        kind: 'aggregated',
        interval: interval?.text ?? `${series.interval_ms}ms`,
        interval_ms: series.interval_ms,
        count: series.buckets.length,
        buckets: series.buckets.map((b) => ({ ts: iso(b.ts), sensors: roundedAverages(b.sensors) })),
      });
    },

    async getOee({ params, query, now }) {
      const machineId = params.machine_id as string;
      const { state } = await machineFor(machineId);
      const { profile, shiftOffsetHours } = s.machineProfile(machineId);
      let from: number;
      let to: number;
      let oee: Oee | null;
      if (query.window === 'shift') {
        from = shiftStart(now, shiftOffsetHours);
        to = from + SHIFT_MS;
        // The state holds the latest snapshot; it is this shift's only if it was taken in this shift.
        oee = state?.shift != null && state.shift.shift_start === from ? state.oee : null;
      } else {
        to = now;
        from = now - (query.window === '24h' ? DAY_MS : 7 * DAY_MS);
        const snapshots = await s.timeSeries.queryProduction({ machine_id: machineId, from, to });
        oee = computeWindowOee(snapshots, { from, to }, profile.ideal_rate_ppm, shiftOffsetHours);
      }
      return ok({
        machine_id: machineId,
        window: query.window,
        from: iso(from),
        to: iso(to),
        ...oeeFigures(oee),
        planned_minutes: oee?.planned_minutes ?? 0,
        run_minutes: oee?.run_minutes ?? 0,
        total_produksi: oee?.total_produksi ?? 0,
        produk_cacat: oee?.produk_cacat ?? 0,
        shifts: oee?.shifts ?? 0,
      });
    },

    async getOeeTrend({ params, query, now }) {
      const machineId = params.machine_id as string;
      await machineFor(machineId);
      const { profile, shiftOffsetHours } = s.machineProfile(machineId);
      const to = now;
      const from =
        query.window === 'shift'
          ? shiftStart(now, shiftOffsetHours)
          : now - (query.window === '24h' ? DAY_MS : 7 * DAY_MS);
      const intervalMs = Math.max(1, Math.ceil((to - from) / OEE_TREND_POINTS / 60_000)) * 60_000;
      const snapshots = await s.timeSeries.queryProduction({ machine_id: machineId, from, to });
      // A snapshot holds its shift so far, so the latest one of each interval is the figure at its end.
      const latest = new Map<number, (typeof snapshots)[number]>();
      for (const snapshot of snapshots) {
        const bucket = Math.floor((snapshot.ts - from) / intervalMs);
        const current = latest.get(bucket);
        if (current === undefined || snapshot.ts > current.ts) latest.set(bucket, snapshot);
      }
      const points = [...latest.values()]
        .sort((a, b) => a.ts - b.ts)
        .map((snapshot) => ({
          ts: iso(snapshot.ts),
          shift_start: iso(shiftStart(snapshot.ts, shiftOffsetHours)),
          ...oeeFigures(computeShiftOee(snapshot, profile.ideal_rate_ppm)),
        }));
      return ok({
        machine_id: machineId,
        window: query.window,
        from: iso(from),
        to: iso(to),
        interval_ms: intervalMs,
        count: points.length,
        points,
      });
    },

    async getMachineRules({ params }) {
      const machineId = params.machine_id as string;
      await machineFor(machineId);
      const { profile } = s.machineProfile(machineId);
      return ok({
        machine_id: machineId,
        machine_type: profile.machine_type,
        vibration_class: profile.vibration_class,
        debounce_readings: profile.debounce_readings,
        rules: defaultRules(profile),
      });
    },

    async listAnomalies({ query }) {
      const page = await s.anomalies.query({
        limit: query.limit,
        ...(query.machine_id !== undefined && { machine_id: query.machine_id }),
        ...(query.state !== undefined && { state: query.state }),
        ...(query.since !== undefined && { since: query.since }),
        ...(query.cursor !== undefined && { cursor: query.cursor }),
      });
      return ok({
        count: page.items.length,
        anomalies: page.items satisfies Alarm[],
        ...(page.next_cursor !== undefined && { next_cursor: page.next_cursor }),
      });
    },

    async acknowledgeAnomaly({ params, body, caller, now }) {
      const id = params.alarm_id as string;
      const by = body.by ?? caller ?? 'anonymous';
      const result = await s.anomalies.acknowledge(id, by, iso(now));
      if (result === undefined) throw notFound(`Alarm "${id}" not found`);
      if (!result.ok) {
        throw new ApiError(409, `Alarm "${id}" is cleared; only an active alarm can be acknowledged`);
      }
      if (result.changed) s.logger.info('alarm acknowledged', { alarm_id: id, by });
      return ok({ success: true, changed: result.changed, alarm: result.alarm });
    },

    async getOpenApi({ origin }) {
      return ok(openApiDocument(origin));
    },

    async getDocs({ origin }) {
      return ok(docsListing(`${origin}/api`));
    },
  };
}

function oeeFigures(oee: Oee | null) {
  return {
    availability: pct(oee?.availability ?? null),
    performance: pct(oee?.performance ?? null),
    quality: pct(oee?.quality ?? null),
    oee: pct(oee?.oee ?? null),
  };
}
