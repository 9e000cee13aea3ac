/**
 * The API's request and response schemas. Requests are parsed with them; the OpenAPI document is
 * generated from them (openapi.ts); the contract test validates every response of the test suite against
 * that document. Response shapes of the original routes keep the original field names; core types are
 * mirrored here with a compile-time check that the two agree.
 */
import * as z from 'zod';
import { ALARM_STATES, type Alarm } from '../../core/anomaly/alarm.js';
import { ANOMALY_CATEGORIES, type RuleSpec, SEVERITIES } from '../../core/anomaly/rules.js';
import { componentSchema, ratingSchema } from '../../core/fmea.js';
import { type ComponentHealth, HEALTH_STATUSES } from '../../core/health.js';
import { MACHINE_ID_PATTERN, MACHINE_STATUSES, timestampSchema } from '../../core/messages.js';
import { VIBRATION_CLASSES } from '../../core/profiles.js';
import { SENSOR_NAMES } from '../../core/sensors.js';

/** Mutual assignability of a schema's output and a core type, checked by the compiler. */
function mirrors<T>() {
  return <S extends z.ZodType<T>>(schema: S & z.ZodType<T>): S => schema;
}

const iso = z.iso.datetime({ offset: true });
const percent = z.number().nullable().describe('percent, one decimal; null where undefined');

// ------------------------------------------------------------------------------------------------ errors

export const errorSchema = z
  .object({
    success: z.literal(false),
    error: z.string().describe('short error title, e.g. "Not Found"'),
    message: z.string().describe('what went wrong, for a human'),
    request_id: z.string(),
  })
  .meta({ id: 'Error' });

export const invalidInputSchema = errorSchema
  .extend({
    error: z.literal('Invalid input'),
    input_received: z.unknown().describe('the request body as received (null when it was not JSON)'),
  })
  .meta({ id: 'InvalidInput' });

export const modelNotAvailableSchema = errorSchema
  .extend({ error: z.literal('Model not available') })
  .meta({ id: 'ModelNotAvailable' });

// ------------------------------------------------------------------------------------------------ system

export const systemHealthSchema = z
  .strictObject({
    status: z.enum(['healthy', 'degraded', 'unhealthy']),
    app_name: z.string(),
    version: z.string(),
    timestamp: iso,
    database: z.strictObject({ status: z.enum(['connected', 'disconnected']), message: z.string() }),
    mqtt: z.strictObject({
      status: z.enum(['connected', 'disconnected']),
      broker: z.string(),
      topic: z.string(),
    }),
  })
  .meta({ id: 'SystemHealth' });

export const docsSchema = z
  .strictObject({
    api_name: z.string(),
    version: z.string(),
    description: z.string(),
    base_url: z.string(),
    endpoints: z.array(z.strictObject({ path: z.string(), method: z.string(), description: z.string() })),
  })
  .meta({ id: 'ApiDocs' });

export const openApiSchema = z.looseObject({ openapi: z.string(), info: z.unknown(), paths: z.unknown() });

// ------------------------------------------------------------------------------------------------ components

const rpn = z.int().min(1).max(1000);

export const componentSummarySchema = z.strictObject({
  component_name: z.string(),
  rpn_value: rpn.describe('S × O × D from the FMEA table'),
  rpn_max: z.literal(1000),
  rpn_dynamic: rpn.describe("occurrence raised by the machine's alarms on linked sensors in the last 24 h"),
});

export const componentListSchema = z
  .strictObject({
    total_components: z.int().min(0),
    machine_id: z.string().describe('the machine rpn_dynamic is computed for'),
    components: z.array(componentSummarySchema),
  })
  .meta({ id: 'ComponentList' });

export const componentDetailSchema = componentSummarySchema
  .extend({
    machine_id: z.string(),
    // The FMEA fields as the components table holds them (lambdas/core/fmea.ts).
    ...componentSchema.omit({ component_name: true }).shape,
  })
  .meta({ id: 'ComponentDetail' });

export const componentUpdateSchema = z
  .strictObject({
    severity: ratingSchema.optional(),
    occurrence: ratingSchema.optional(),
    detection: ratingSchema.optional(),
  })
  .refine((r) => r.severity !== undefined || r.occurrence !== undefined || r.detection !== undefined, {
    message: 'give at least one of severity, occurrence, detection',
  })
  .meta({ id: 'ComponentUpdate' });

// ------------------------------------------------------------------------------------------------ predictions

export const predictRequestSchema = z
  .object({
    total_produksi: z
      .number({ error: 'must be a number' })
      .min(0, 'must be a non-negative number')
      .describe('pieces produced in the period'),
    produk_cacat: z
      .number({ error: 'must be a number' })
      .min(0, 'must be a non-negative number')
      .describe('defective pieces in the period'),
  })
  .catchall(z.number({ error: 'extra features must be numbers' }))
  .refine((r) => r.produk_cacat <= r.total_produksi, {
    message: 'produk_cacat cannot exceed total_produksi',
    path: ['produk_cacat'],
  })
  .meta({ id: 'PredictRequest', description: 'extra numeric features are passed to models trained on them' });

export const predictionSchema = z
  .strictObject({
    success: z.literal(true),
    prediction: z.number().describe('predicted maintenance duration, hours'),
    prediction_formatted: z.string().describe('e.g. "2.35 jam" (jam: hours)'),
    input_data: z.record(z.string(), z.number()),
    timestamp: iso,
    model_info: z.looseObject({ algorithm: z.string(), trained_on: z.string(), version: z.string() }),
    recommendation: z.string(),
  })
  .meta({ id: 'Prediction' });

/** The auto-triggered prediction of a critical component: a prediction, or why there is none. */
export const predictionResultSchema = z
  .union([
    predictionSchema,
    z.strictObject({ success: z.literal(false), error: z.string(), message: z.string() }),
  ])
  .meta({ id: 'PredictionResult' });

// ------------------------------------------------------------------------------------------------ health

const healthStatus = z.enum(HEALTH_STATUSES.map((s) => s.status) as [string, ...string[]]);

export const componentHealthCoreSchema = mirrors<ComponentHealth>()(
  z.strictObject({
    component_name: z.string(),
    health_index: z.number(),
    status: z.enum(['Good', 'Warning', 'Critical']),
    color: z.string(),
    description: z.string(),
    recommendations: z.array(z.string()),
    metrics: z.strictObject({
      rpn_score: z.number(),
      oee_score: z.number().nullable(),
      availability_rate: percent,
      performance_rate: percent,
      quality_rate: percent,
      rpn_value: z.number(),
      rpn_dynamic: z.number(),
      rpn_max: z.number(),
      severity: z.number(),
      occurrence: z.number(),
      occurrence_effective: z.number(),
      detection: z.number(),
      warnings_24h: z.number(),
      criticals_24h: z.number(),
    }),
    calculation_details: z.strictObject({
      formula: z.string(),
      rpn_score_formula: z.string(),
      oee_score_formula: z.string(),
      rpn_weight: z.number(),
      oee_weight: z.number(),
      rpn_contribution: z.number(),
      oee_contribution: z.number(),
    }),
    auto_triggered: z.boolean(),
  }),
);

export const componentHealthSchema = componentHealthCoreSchema
  .extend({ machine_id: z.string(), prediction_result: predictionResultSchema.optional() })
  .meta({ id: 'ComponentHealth' });

// ------------------------------------------------------------------------------------------------ machines

const oeeFiguresSchema = z.strictObject({
  availability: percent,
  performance: percent,
  quality: percent,
  oee: percent,
});

export const machineListSchema = z
  .strictObject({
    total_machines: z.int().min(0),
    machines: z.array(
      z.strictObject({
        machine_id: z.string(),
        status: z.enum(MACHINE_STATUSES).nullable(),
        last_seen: iso.nullable(),
        oee: oeeFiguresSchema.nullable(),
        health: z
          .strictObject({
            health_index: z.number(),
            status: healthStatus,
            color: z.string(),
            worst_component: z.string(),
          })
          .nullable(),
        active_alarms: z.int().min(0),
        messages: z.strictObject({ telemetry: z.int().min(0), production: z.int().min(0) }),
      }),
    ),
  })
  .meta({ id: 'MachineList' });

const aggregateSchema = z.strictObject({ avg: z.number(), min: z.number(), max: z.number(), count: z.int() });

export const telemetrySeriesSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      machine_id: z.string(),
      from: iso,
      to: iso,
      kind: z.literal('raw'),
      count: z.int().min(0),
      points: z.array(z.strictObject({ ts: iso, seq: z.int(), sensors: z.record(z.string(), z.number()) })),
      next_cursor: z.string().optional().describe('pass as `cursor` for the next page'),
    }),
    z.strictObject({
      machine_id: z.string(),
      from: iso,
      to: iso,
      kind: z.literal('aggregated'),
      interval: z.string(),
      interval_ms: z.int().positive(),
      count: z.int().min(0),
      buckets: z.array(z.strictObject({ ts: iso, sensors: z.record(z.string(), aggregateSchema) })),
    }),
  ])
  .meta({ id: 'TelemetrySeries' });

export const OEE_WINDOWS = ['shift', '24h', '7d'] as const;

export const oeeSchema = oeeFiguresSchema
  .extend({
    machine_id: z.string(),
    window: z.enum(OEE_WINDOWS),
    from: iso,
    to: iso,
    planned_minutes: z.number(),
    run_minutes: z.number(),
    total_produksi: z.number(),
    produk_cacat: z.number(),
    shifts: z.int().min(0),
  })
  .meta({ id: 'Oee' });

export const oeeTrendSchema = z
  .strictObject({
    machine_id: z.string(),
    window: z.enum(OEE_WINDOWS),
    from: iso,
    to: iso,
    interval_ms: z.int().positive().describe('one point per interval: the latest production snapshot in it'),
    count: z.int().min(0),
    points: z.array(
      oeeFiguresSchema.extend({
        ts: iso,
        shift_start: iso.describe('the figures are those of this shift so far'),
      }),
    ),
  })
  .meta({ id: 'OeeTrend' });

// ------------------------------------------------------------------------------------------------ rules

const ruleBase = {
  id: z.string(),
  category: z.enum(ANOMALY_CATEGORIES),
  sensor: z.enum(SENSOR_NAMES),
  component: z.string(),
  basis: z.string().describe('the standard or physics behind the numbers'),
  debounce: z.int().positive().optional(),
  while_status: z.enum(MACHINE_STATUSES).optional(),
};
const band = z.tuple([z.number(), z.number()]).readonly();

export const ruleSchema = mirrors<RuleSpec>()(
  z
    .discriminatedUnion('kind', [
      z.strictObject({
        ...ruleBase,
        kind: z.enum(['above', 'below']),
        warning: z.number().optional(),
        critical: z.number().optional(),
        inclusive: z.boolean(),
        hysteresis: z.number(),
      }),
      z.strictObject({
        ...ruleBase,
        kind: z.literal('outside'),
        warning: band.optional(),
        critical: band.optional(),
        hysteresis: z.number(),
      }),
      z.strictObject({
        ...ruleBase,
        kind: z.literal('rate_of_rise'),
        warning: z.number().describe('per minute'),
        critical: z.number().optional(),
        window_ms: z.int().positive(),
        hysteresis: z.number(),
      }),
      z.strictObject({
        ...ruleBase,
        kind: z.literal('rolling_std'),
        warning: z.number(),
        critical: z.number().optional(),
        window: z.int().positive(),
        hysteresis: z.number(),
      }),
      z.strictObject({ ...ruleBase, kind: z.enum(['stuck', 'missing']), window: z.int().positive() }),
    ])
    .meta({ id: 'Rule' }),
);

export const machineRulesSchema = z
  .strictObject({
    machine_id: z.string(),
    machine_type: z.string(),
    vibration_class: z.enum(VIBRATION_CLASSES),
    debounce_readings: z.int().positive().describe('readings a condition must hold to raise, and to clear'),
    rules: z.array(ruleSchema),
  })
  .meta({ id: 'MachineRules' });

// ------------------------------------------------------------------------------------------------ alarms

export const alarmSchema = mirrors<Alarm>()(
  z
    .strictObject({
      alarm_id: z.string(),
      machine_id: z.string(),
      rule_id: z.string(),
      category: z.enum(ANOMALY_CATEGORIES),
      sensor: z.string(),
      component: z.string(),
      severity: z.enum(SEVERITIES),
      value: z.number(),
      worst_value: z.number(),
      threshold: z.number(),
      unit: z.string(),
      message: z.string(),
      first_seen: iso,
      last_seen: iso,
      raised_at: iso,
      cleared_at: iso.nullable(),
      state: z.enum(ALARM_STATES),
      acknowledged_at: iso.nullable(),
      acknowledged_by: z.string().nullable(),
    })
    .meta({ id: 'Alarm' }),
);

export const alarmPageSchema = z
  .strictObject({
    count: z.int().min(0),
    anomalies: z.array(alarmSchema),
    next_cursor: z.string().optional().describe('pass as `cursor` for the next page'),
  })
  .meta({ id: 'AlarmPage' });

export const ackRequestSchema = z
  .strictObject({ by: z.string().trim().min(1).max(128).optional() })
  .meta({ id: 'AckRequest' });

export const ackResponseSchema = z
  .strictObject({
    success: z.literal(true),
    changed: z.boolean().describe('false when it was already acknowledged (the first acknowledgment stays)'),
    alarm: alarmSchema,
  })
  .meta({ id: 'AckResult' });

// ------------------------------------------------------------------------------------------------ parameters

/** Epoch milliseconds or ISO-8601 with a zone, as a query string value. */
export const timeParam = z
  .string()
  .transform((text, ctx): number => {
    const parsed = timestampSchema.safeParse(/^\d{1,16}$/.test(text) ? Number(text) : text);
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: 'custom', message: parsed.error.issues[0]?.message ?? 'not a time' });
    return z.NEVER;
  })
  .describe('ISO-8601 with a zone (2025-10-23T10:30:00Z) or epoch milliseconds');

export const machineIdParam = z.string().regex(MACHINE_ID_PATTERN, 'is not a machine id');
/**
 * Alarm ids as the detector mints them, `<machine_id>.<rule_id>.<first seen, epoch ms>` (core/anomaly/
 * engine.ts): anything else cannot name an alarm — and one over DynamoDB's key size would fail the read.
 */
export const alarmIdParam = z.string().regex(/^[A-Za-z0-9:_.-]{1,256}$/, 'is not an alarm id');

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const INTERVAL_PATTERN = /^(\d{1,6})(ms|s|m|h|d)$/;

export const intervalParam = z
  .string()
  .regex(INTERVAL_PATTERN, 'must be a duration like 30s, 1m, 5m, 1h or 1d')
  .transform((text) => {
    const [, n, unit] = INTERVAL_PATTERN.exec(text) as RegExpExecArray;
    return { text, ms: Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS] };
  })
  .refine((i) => i.ms >= 1000, 'must be at least 1s')
  .describe('bucket width for avg/min/max aggregation (raw points when absent)');

export const sensorsParam = z
  .string()
  .transform((text) => [
    ...new Set(
      text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ])
  .pipe(
    z
      .array(z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'sensor names are [A-Za-z0-9_]'))
      .min(1)
      .max(64),
  )
  .describe(`comma-separated sensor names, e.g. ${SENSOR_NAMES.slice(0, 2).join(',')}`);

const limitParam = (max: number, fallback: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback).describe(`page size, 1..${max}`);

export const telemetryQuerySchema = z.object({
  from: timeParam.optional().describe('start, inclusive (default: one hour before `to`)'),
  to: timeParam.optional().describe('end, exclusive (default: now)'),
  interval: intervalParam.optional(),
  sensors: sensorsParam.optional(),
  limit: limitParam(10_000, 1000),
  cursor: z.string().max(2048).optional(),
});

export const oeeQuerySchema = z.object({ window: z.enum(OEE_WINDOWS).default('shift') });

export const machineQuerySchema = z.object({
  machine_id: machineIdParam.optional().describe('default: the configured default machine (C_FL104)'),
});

export const anomalyQuerySchema = z.object({
  machine_id: machineIdParam.optional(),
  state: z
    .enum([...ALARM_STATES, 'active'])
    .optional()
    .describe('"active": both active states'),
  since: timeParam.optional().describe('alarms last seen at or after this time'),
  limit: limitParam(200, 50),
  cursor: z.string().max(2048).optional(),
});
