/**
 * How numbers, times and states read on the page. Pure functions (the unit tests run them in Node).
 * Times show in the browser's time zone, 24-hour clock; values in the units operators use on the floor
 * (supply pressure in bar rather than the API's pascal).
 */
import { SENSOR_NAMES, SENSORS, type SensorName } from '../../lambdas/core/sensors.js';

export { SENSOR_NAMES, type SensorName };

export const DASH = '—';

interface SensorDisplay {
  readonly label: string;
  readonly unit: string;
  /** API units per displayed unit (pascal per bar): displayed = API value / perUnit. */
  readonly perUnit: number;
  readonly decimals: number;
}

const DISPLAY_OVERRIDES: Partial<Record<SensorName, Partial<SensorDisplay>>> = {
  pressure: { unit: 'bar', perUnit: 100_000, decimals: 2 },
  vibration_rotor: { decimals: 2 },
  humidity_env: { decimals: 0 },
};

export const SENSOR_DISPLAY: Readonly<Record<SensorName, SensorDisplay>> = Object.fromEntries(
  SENSOR_NAMES.map((name) => [
    name,
    {
      label: SENSORS[name].label,
      unit: SENSORS[name].unit,
      perUnit: 1,
      decimals: 1,
      ...DISPLAY_OVERRIDES[name],
    },
  ]),
) as Record<SensorName, SensorDisplay>;

export function sensorDisplay(sensor: string): SensorDisplay {
  return (
    (SENSOR_DISPLAY as Record<string, SensorDisplay | undefined>)[sensor] ?? {
      label: sensor,
      unit: '',
      perUnit: 1,
      decimals: 2,
    }
  );
}

/** An API value of the sensor in display units (pascal → bar). */
export function toDisplay(sensor: string, value: number): number {
  return value / sensorDisplay(sensor).perUnit;
}

/** A sensor value in display units, e.g. "6.01 bar"; "—" when absent. */
export function formatSensor(sensor: string, value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return DASH;
  const d = sensorDisplay(sensor);
  const text = (value / d.perUnit).toFixed(d.decimals);
  return d.unit === '' ? text : `${text} ${d.unit}`;
}

/**
 * A value of an alarm in the unit the alarm states (the sensor's, per minute for a rate of rise, σ for
 * a rolling deviation, readings or messages for data-quality rules), in display units: "0.20 bar (σ)".
 */
export function formatAlarmValue(sensor: string, unit: string, value: number): string {
  const base = (SENSORS as Record<string, { unit: string } | undefined>)[sensor]?.unit;
  const d = sensorDisplay(sensor);
  const shown = () => toDisplay(sensor, value).toFixed(d.decimals);
  if (base !== undefined && unit === base) return formatSensor(sensor, value);
  if (base !== undefined && unit === `${base}/min`) return `${shown()} ${d.unit}/min`;
  if (base !== undefined && unit === `${base} (σ)`) return `${shown()} ${d.unit} (σ)`;
  return `${Math.round(value * 100) / 100} ${unit}`;
}

export function formatPercent(value: number | null | undefined, decimals = 1): string {
  return value == null || !Number.isFinite(value) ? DASH : `${value.toFixed(decimals)} %`;
}

/** "just now", "12 s ago", "4 min ago", "3 h ago", "2 d ago". */
export function relativeTime(at: string | number | null | undefined, now: number): string {
  if (at == null) return 'never';
  const ms = typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) return DASH;
  const s = Math.floor((now - ms) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

export type Freshness = 'live' | 'stale' | 'offline' | 'never';

/** Data older than this is shown as stale: several missed 5 s messages. */
export const STALE_AFTER_MS = 30_000;
export const OFFLINE_AFTER_MS = 5 * 60_000;

export function freshness(lastSeen: string | null, now: number): Freshness {
  if (lastSeen === null) return 'never';
  const age = now - Date.parse(lastSeen);
  return age < STALE_AFTER_MS ? 'live' : age < OFFLINE_AFTER_MS ? 'stale' : 'offline';
}

/** "45 s", "12 min", "2 h 21 min", "3 d 4 h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return DASH;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** A predicted maintenance duration in hours, as a clock duration: 2.35 → "2 h 21 min". */
export function formatHours(hours: number): string {
  return formatDuration(hours * 3_600_000);
}

export interface TimeOptions {
  readonly timeZone?: string;
  /** Dates on this day show the time only. */
  readonly now?: number;
}

/** "10:30:05" today, "23 Oct 10:30" on another day (24-hour clock, the browser's zone unless given). */
export function formatTime(at: string | number, options: TimeOptions = {}): string {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) return DASH;
  const zone = options.timeZone === undefined ? {} : { timeZone: options.timeZone };
  const day = (t: number) =>
    new Intl.DateTimeFormat('en-CA', { ...zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
      t,
    );
  const sameDay = options.now === undefined || day(ms) === day(options.now);
  return new Intl.DateTimeFormat('en-GB', {
    ...zone,
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    ...(sameDay ? { second: '2-digit' } : { day: 'numeric', month: 'short' }),
  }).format(ms);
}

const STATE_LABELS: Readonly<Record<string, string>> = {
  active_unacknowledged: 'Active, unacknowledged',
  active_acknowledged: 'Active, acknowledged',
  cleared: 'Cleared',
};

export function stateLabel(state: string): string {
  return STATE_LABELS[state] ?? state;
}

const CATEGORY_LABELS: Readonly<Record<string, string>> = {
  thermal: 'Thermal',
  mechanical: 'Mechanical',
  electrical: 'Electrical',
  support_system: 'Support system',
  environment: 'Environment',
  sensor: 'Sensor fault',
};

export function categoryLabel(category: string): string {
  return CATEGORY_LABELS[category] ?? category;
}

/**
 * Labels of a time axis (uPlot splits, in seconds): "14:30" over a day or two, "23 Oct" beyond, in the
 * browser's zone unless given.
 */
export function timeAxisLabels(splits: readonly number[], spanMs: number, timeZone?: string): string[] {
  const zone = timeZone === undefined ? {} : { timeZone };
  const format = new Intl.DateTimeFormat(
    'en-GB',
    spanMs > 2 * 86_400_000
      ? { ...zone, day: 'numeric', month: 'short' }
      : { ...zone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' },
  );
  return splits.map((s) => format.format(s * 1000));
}
