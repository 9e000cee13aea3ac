/**
 * Data contracts of DESIGN.md §3: the telemetry and production messages devices publish. The zod
 * schemas are the single definition: the validator (validate.ts) runs them, and the API's OpenAPI
 * document is generated from the same objects.
 */
import * as z from 'zod';
import { SENSOR_NAMES, SENSORS, type SensorName } from './sensors.js';

/** IoT Core thing names: 1–128 of [a-zA-Z0-9:_-]. The machine id is the thing name. */
export const MACHINE_ID_PATTERN = /^[A-Za-z0-9:_-]{1,128}$/;
const SENSOR_KEY_PATTERN = /^[A-Za-z0-9_]{1,64}$/;
/** Unknown sensors are kept (raw storage) but a message may not carry an unbounded map. */
export const MAX_SENSORS_PER_MESSAGE = 64;
/** 2000-01-01T00:00:00Z: anything earlier is a clock that was never set, or epoch seconds sent as ms. */
export const MIN_TIMESTAMP_MS = 946_684_800_000;
/** 2100-01-01T00:00:00Z: an upper sanity bound independent of the "not in the future" check. */
export const MAX_TIMESTAMP_MS = 4_102_444_800_000;

export const MACHINE_STATUSES = ['Running', 'Downtime', 'Setup', 'Idle'] as const;
export type MachineStatus = (typeof MACHINE_STATUSES)[number];

export const machineIdSchema = z
  .string()
  .regex(MACHINE_ID_PATTERN, 'must be 1–128 characters of A–Z, a–z, 0–9, "_", "-" or ":"');

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Whether the YYYY-MM-DD prefix names a day that exists. Date.parse only refuses days above 31 and
 * silently rolls 2025-02-30 over to 2025-03-02, which would file the reading under the wrong day.
 */
function isCalendarDate(iso: string): boolean {
  const year = Number(iso.slice(0, 4));
  const month = Number(iso.slice(5, 7));
  const day = Number(iso.slice(8, 10));
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days =
    month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days;
}

/**
 * `ts`: ISO-8601 with an explicit zone, or epoch milliseconds. Parsed to epoch ms. A naive local time
 * ("2025-10-23T10:30:00") is refused: on a plant network it is ambiguous by the plant's UTC offset.
 */
export const timestampSchema = z.union([z.string(), z.number()]).transform((value, ctx): number => {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      ctx.addIssue({ code: 'custom', message: 'epoch timestamps must be integer milliseconds' });
      return z.NEVER;
    }
    if (value > 0 && value < MIN_TIMESTAMP_MS && value >= MIN_TIMESTAMP_MS / 1000) {
      ctx.addIssue({ code: 'custom', message: `${value} looks like epoch seconds; send epoch milliseconds` });
      return z.NEVER;
    }
    ms = value;
  } else {
    if (!ISO_WITH_ZONE.test(value)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be ISO-8601 with a time zone (e.g. 2025-10-23T10:30:00.000Z) or epoch milliseconds',
      });
      return z.NEVER;
    }
    ms = Date.parse(value);
    if (Number.isNaN(ms) || !isCalendarDate(value)) {
      ctx.addIssue({ code: 'custom', message: `"${value.slice(0, 40)}" is not a real date` });
      return z.NEVER;
    }
  }
  if (ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS) {
    ctx.addIssue({ code: 'custom', message: 'must lie between 2000-01-01 and 2100-01-01' });
    return z.NEVER;
  }
  return ms;
});

/**
 * Magnitudes a number in a message may have: 0, or 1e-130 to 1e125 — what a DynamoDB number holds (the
 * time-series, alarm and FMEA tables; Timestream takes any double). A reading outside cannot be stored,
 * nor an alarm on it: the store refuses the whole write, which would take the other readings of its
 * minute into quarantine, or fail its machine's records until they are dead-lettered. So it is refused
 * here, alone, with this reason.
 */
export const MIN_MAGNITUDE = 1e-130;
export const MAX_MAGNITUDE = 1e125;
export const STORABLE_MESSAGE = `must be 0 or of magnitude ${MIN_MAGNITUDE} to ${MAX_MAGNITUDE} (what the stores hold)`;

export function isStorable(value: number): boolean {
  const magnitude = Math.abs(value);
  return magnitude === 0 || (magnitude >= MIN_MAGNITUDE && magnitude <= MAX_MAGNITUDE);
}

/** A number the stores can hold (finite, and see {@link isStorable}). */
const storable = (schema: z.ZodNumber = z.number()) => schema.refine(isStorable, STORABLE_MESSAGE);

const seqSchema = z.number().int('must be an integer').min(0, 'must be ≥ 0').max(Number.MAX_SAFE_INTEGER);

/** Known sensors are range-checked in the schema itself (fast, and their ranges appear in OpenAPI). */
const knownSensorShape = Object.fromEntries(
  SENSOR_NAMES.map((name) => {
    const { min, max, unit } = SENSORS[name];
    const message = `is outside the physical range ${min}..${max} ${unit}`;
    return [name, storable(z.number().min(min, message).max(max, message)).optional()];
  }),
) as { [K in SensorName]: z.ZodOptional<z.ZodNumber> };

const sensorsSchema = z
  .object(knownSensorShape)
  .catchall(storable())
  .superRefine((sensors, ctx) => {
    let count = 0;
    for (const name in sensors) {
      count++;
      if (!SENSOR_KEY_PATTERN.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'sensor names are 1–64 of [A-Za-z0-9_]' });
      }
    }
    if (count === 0) ctx.addIssue({ code: 'custom', message: 'must hold at least one reading' });
    if (count > MAX_SENSORS_PER_MESSAGE) {
      ctx.addIssue({
        code: 'custom',
        message: `holds ${count} readings; at most ${MAX_SENSORS_PER_MESSAGE}`,
      });
    }
  });

export const telemetrySchema = z.object({
  machine_id: machineIdSchema,
  ts: timestampSchema,
  seq: seqSchema,
  sensors: sensorsSchema,
});

/** A validated telemetry message; `ts` is epoch milliseconds. Unknown sensors are kept. */
export type TelemetryMessage = z.output<typeof telemetrySchema>;

const count = z.number().int('must be an integer').min(0, 'must be ≥ 0').max(1_000_000_000);
const minutes = storable(z.number().min(0, 'must be ≥ 0').max(1440, 'must be ≤ 1440 (one day)'));
const percent = storable(z.number().min(0, 'must be ≥ 0').max(100, 'must be ≤ 100'));

export const productionSchema = z
  .object({
    machine_id: machineIdSchema,
    ts: timestampSchema,
    seq: seqSchema,
    status: z.enum(MACHINE_STATUSES),
    /** Cumulative counts and minutes of the current shift so far (a snapshot, not an increment). */
    total_produksi: count,
    produk_cacat: count,
    planned_minutes: minutes,
    run_minutes: minutes,
    ideal_rate_ppm: storable(z.number().gt(0, 'must be > 0').max(100_000)).optional(),
    availability_rate: percent.optional(),
    performance_rate: percent.optional(),
    quality_rate: percent.optional(),
    downtime_reason: z.string().max(200).nullable().optional(),
  })
  .superRefine((m, ctx) => {
    if (m.produk_cacat > m.total_produksi) {
      ctx.addIssue({ code: 'custom', path: ['produk_cacat'], message: 'exceeds total_produksi' });
    }
    if (m.run_minutes > m.planned_minutes) {
      ctx.addIssue({ code: 'custom', path: ['run_minutes'], message: 'exceeds planned_minutes' });
    }
  });

/** A validated production-status message; `ts` is epoch milliseconds. */
export type ProductionMessage = z.output<typeof productionSchema>;

export const MESSAGE_KINDS = ['telemetry', 'production'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export type MessageOf<K extends MessageKind> = K extends 'telemetry' ? TelemetryMessage : ProductionMessage;

export const messageSchemas = { telemetry: telemetrySchema, production: productionSchema } as const;
