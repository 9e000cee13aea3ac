/**
 * A fast acceptor for the common case: a well-formed telemetry message. It answers "valid, here is the
 * typed message" or "not sure" (undefined) and never rejects on its own: anything it does not accept
 * goes through the zod schema, which stays the single authority for what is valid and why not.
 *
 * Why it exists: the zod schema costs ~3 µs per message, the processor's whole budget for validate +
 * detect + health is ~1 µs beyond JSON.parse (see bench/). test/unit/telemetry-fast-path.test.ts proves
 * with fast-check that whatever this accepts, zod accepts too, with the same output.
 */

import type { TelemetryMessage } from './messages.js';
import {
  MACHINE_ID_PATTERN,
  MAX_MAGNITUDE,
  MAX_SENSORS_PER_MESSAGE,
  MAX_TIMESTAMP_MS,
  MIN_MAGNITUDE,
  MIN_TIMESTAMP_MS,
} from './messages.js';
import { SENSORS, type SensorSpec } from './sensors.js';

const KNOWN_SENSORS: ReadonlyMap<string, SensorSpec> = new Map(Object.entries(SENSORS));

const SENSOR_KEY_PATTERN = /^[A-Za-z0-9_]{1,64}$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Reads `length` ASCII digits at `at`, or -1 if any is not a digit. */
function digits(text: string, at: number, length: number): number {
  let n = 0;
  for (let i = at; i < at + length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Parses "YYYY-MM-DDTHH:MM:SS.sssZ" (what toISOString() writes) without Date.parse's generality. */
function parseCanonicalIso(text: string): number | undefined {
  if (
    text.length !== 24 ||
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 || // T
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 46 || // .
    text.charCodeAt(23) !== 90 // Z
  ) {
    return undefined;
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  const millis = digits(text, 20, 3);
  if (year < 0 || millis < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return undefined;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (day > (month === 2 && !leap ? 28 : (DAYS_IN_MONTH[month - 1] as number))) return undefined;
  return daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm; Date.UTC without the call). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * @param owned the caller just parsed `value` and holds no other reference to it: the fast path may then
 *   turn it into the typed message in place instead of allocating a copy (the processor's hot path).
 */
export function acceptTelemetry(value: unknown, owned = false): TelemetryMessage | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const machineId = v.machine_id;
  if (typeof machineId !== 'string' || !MACHINE_ID_PATTERN.test(machineId)) return undefined;
  const rawTs = v.ts;
  let ts: number | undefined;
  if (typeof rawTs === 'string') ts = parseCanonicalIso(rawTs);
  else if (typeof rawTs === 'number' && Number.isInteger(rawTs)) ts = rawTs;
  if (ts === undefined || ts < MIN_TIMESTAMP_MS || ts > MAX_TIMESTAMP_MS) return undefined;
  const seq = v.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  const rawSensors = v.sensors;
  if (typeof rawSensors !== 'object' || rawSensors === null || Array.isArray(rawSensors)) return undefined;
  // The parsed object is ours (fresh from JSON.parse), so it is kept rather than copied.
  const sensors = rawSensors as Record<string, number>;
  let count = 0;
  for (const name in rawSensors) {
    const reading = (rawSensors as Record<string, unknown>)[name];
    if (typeof reading !== 'number' || !Number.isFinite(reading)) return undefined;
    // A magnitude the stores cannot hold (messages.ts isStorable), inlined: this is the hot loop.
    const magnitude = reading < 0 ? -reading : reading;
    if (magnitude !== 0 && (magnitude < MIN_MAGNITUDE || magnitude > MAX_MAGNITUDE)) return undefined;
    const spec = KNOWN_SENSORS.get(name);
    if (spec !== undefined) {
      if (reading < spec.min || reading > spec.max) return undefined;
    } else if (!SENSOR_KEY_PATTERN.test(name) || name === '__proto__') {
      // zod builds its output with plain assignment, which drops an own "__proto__" key: let it decide.
      return undefined;
    }
    count++;
  }
  if (count === 0 || count > MAX_SENSORS_PER_MESSAGE) return undefined;
  if (owned) {
    let keys = 0;
    for (const _ in v) keys++;
    // Exactly the four contract fields: reuse the object (zod would strip any extra field).
    if (keys === 4) {
      v.ts = ts;
      return v as unknown as TelemetryMessage;
    }
  }
  return { machine_id: machineId, ts, seq, sensors };
}
