/**
 * Builders shared by the unit suites: valid messages of DESIGN.md §3 and a detector wired with the
 * default rules of the Flexo 104 profile. Tests override only what they are about.
 */
import { createDetector, type Detector } from '../../../lambdas/core/anomaly/engine.js';
import { defaultRules } from '../../../lambdas/core/anomaly/rules.js';
import type { ProductionMessage, TelemetryMessage } from '../../../lambdas/core/messages.js';
import { FLEXO_104_PROFILE } from '../../../lambdas/core/profiles.js';

export const MACHINE = 'C_FL104';
/** 2025-10-23T06:00:00.000Z: the start of a shift with the default 06:00 UTC offset. */
export const T0 = Date.parse('2025-10-23T06:00:00.000Z');
export const CADENCE_MS = 5_000;

/** Sensor readings comfortably inside every band of the Flexo 104 profile (shared with the other suites). */
export { NORMAL_SENSORS } from '../../support/fixtures.js';

/**
 * Normal readings with a little noise that depends on `i`, so long runs do not trip the stuck-sensor
 * rules and never come near a threshold, a rate limit or the pressure σ limit.
 */
export function noisySensors(i: number): Record<string, number> {
  const wobble = ((i * 7) % 5) - 2; // -2..2
  return {
    temperature_coil: 72 + wobble * 0.1,
    vibration_rotor: 2 + wobble * 0.01,
    current: 41 + wobble * 0.1,
    voltage: 398 + wobble * 0.5,
    pressure: 600_000 + wobble * 100,
    temperature_env: 29 + wobble * 0.1,
    humidity_env: 64 + wobble * 0.1,
  };
}

export function telemetryAt(
  ts: number,
  seq: number,
  sensors: Record<string, number>,
  machineId = MACHINE,
): TelemetryMessage {
  return { machine_id: machineId, ts, seq, sensors };
}

/** Telemetry number `i` of a 5 s cadence from T0: noisy normal readings with `overrides` on top. */
export function reading(i: number, overrides: Record<string, number> = {}): TelemetryMessage {
  return telemetryAt(T0 + i * CADENCE_MS, i, { ...noisySensors(i), ...overrides });
}

/** Readings i = from, from+1, … with the given values of one sensor. */
export function series(sensor: string, values: readonly number[], from = 0): TelemetryMessage[] {
  return values.map((value, k) => reading(from + k, { [sensor]: value }));
}

export function production(overrides: Partial<ProductionMessage> = {}): ProductionMessage {
  return {
    machine_id: MACHINE,
    ts: T0,
    seq: 1,
    status: 'Running',
    total_produksi: 4500,
    produk_cacat: 180,
    planned_minutes: 480,
    run_minutes: 410,
    ideal_rate_ppm: 12.5,
    downtime_reason: null,
    ...overrides,
  };
}

export const DEFAULT_RULES = defaultRules(FLEXO_104_PROFILE);

export function flexoDetector(): Detector {
  return createDetector(MACHINE, DEFAULT_RULES, { debounce: FLEXO_104_PROFILE.debounce_readings });
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** A Fisher–Yates shuffle driven by a seeded generator, so a failing order can be reproduced. */
export function shuffled<T>(list: readonly T[], next: () => number): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
