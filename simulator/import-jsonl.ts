/**
 * Importer for recorded sensor data as flat JSON lines, the layout of the anomaly pipeline's
 * `dummy_sensor_data_fix.jsonl`: one object per line with the machine id, a timestamp and the seven
 * sensor fields, e.g.
 *
 *   {"machine_id":"C_FL104","timestamp":"2025-06-01T10:00:00Z","temperature_coil":72.4,
 *    "vibration_rotor":2.1,"current":41.2,"voltage":398,"pressure":601000,
 *    "temperature_env":29.1,"humidity_env":64}
 *
 * `timestamp` (or `ts`) is ISO-8601 or epoch seconds/milliseconds; a timestamp without a zone is taken
 * in `utcOffsetMinutes` (default UTC). Sensors may be missing or null (the record carries a subset);
 * other fields are ignored. Any malformed line is an ImportError naming the file and line.
 */
import { readFile } from 'node:fs/promises';
import { MACHINE_ID_PATTERN, MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS } from '../lambdas/core/messages.js';
import { SENSOR_NAMES } from '../lambdas/core/sensors.js';
import { ImportError } from './import-error.js';
import type { SensorReadings } from './motor.js';

export interface SensorRecord {
  readonly machine_id: string;
  /** Epoch ms. */
  readonly ts: number;
  readonly sensors: SensorReadings;
}

export interface SensorRecording {
  /** Sorted by time (stable: equal times keep file order). */
  readonly records: readonly SensorRecord[];
}

export interface JsonlImportOptions {
  /** Offset of the plant's clock from UTC for timestamps without a zone, minutes (WIB = 420). */
  readonly utcOffsetMinutes?: number;
}

/** Epoch seconds below this (year 5138) are seconds; above, milliseconds. */
const SECONDS_LIMIT = 1e11;
const NAIVE_ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)$/;
const ZONED_ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

function parseTimestamp(value: unknown, utcOffsetMinutes: number): number | string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) return `timestamp ${value} is not a time`;
    return Math.round(value < SECONDS_LIMIT ? value * 1000 : value);
  }
  if (typeof value !== 'string') return 'needs "timestamp" or "ts" (ISO-8601 or epoch seconds/ms)';
  const naive = NAIVE_ISO.exec(value);
  const ms = naive
    ? Date.parse(`${naive[1]}T${naive[2]}Z`) - utcOffsetMinutes * 60_000
    : ZONED_ISO.test(value)
      ? Date.parse(value.replace(' ', 'T'))
      : Number.NaN;
  return Number.isNaN(ms) ? `timestamp "${value.slice(0, 40)}" is not ISO-8601` : ms;
}

function checkedTimestamp(value: unknown, utcOffsetMinutes: number): number | string {
  const ms = parseTimestamp(value, utcOffsetMinutes);
  if (typeof ms === 'number' && (ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS)) {
    return `timestamp ${JSON.stringify(value)} lies outside 2000–2100`;
  }
  return ms;
}

/** Parses JSONL text; `file` only names the source in errors. */
export function parseSensorRecords(
  text: string,
  file: string,
  options: JsonlImportOptions = {},
): SensorRecording {
  const offset = options.utcOffsetMinutes ?? 0;
  const records: SensorRecord[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const fail = (problem: string): never => {
      throw new ImportError(file, i + 1, problem);
    };
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      fail(`not valid JSON (${(error as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      fail('each line must be a JSON object');
    const o = value as Record<string, unknown>;
    const machine = o.machine_id;
    if (typeof machine !== 'string' || !MACHINE_ID_PATTERN.test(machine)) {
      fail('"machine_id" must be 1–128 of A–Z, a–z, 0–9, "_", "-", ":"');
    }
    const ts = checkedTimestamp(o.timestamp ?? o.ts, offset);
    if (typeof ts === 'string') fail(ts);
    const sensors: SensorReadings = {};
    for (const name of SENSOR_NAMES) {
      const v = o[name];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number' || !Number.isFinite(v))
        fail(`"${name}" must be a number, got ${JSON.stringify(v)}`);
      sensors[name] = v as number;
    }
    if (Object.keys(sensors).length === 0)
      fail(`no sensor readings (expected any of ${SENSOR_NAMES.join(', ')})`);
    records.push({ machine_id: machine as string, ts: ts as number, sensors });
  }
  if (records.length === 0) throw new ImportError(file, undefined, 'holds no records');
  records.sort((a, b) => a.ts - b.ts);
  return { records };
}

export async function importSensorRecords(
  file: string,
  options: JsonlImportOptions = {},
): Promise<SensorRecording> {
  return parseSensorRecords(await readFile(file, 'utf8'), file, options);
}

/** The machine ids of a recording, in order of first appearance. */
export function recordingMachines(recording: SensorRecording): string[] {
  return [...new Set(recording.records.map((r) => r.machine_id))];
}
