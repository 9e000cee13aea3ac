/**
 * Data shaping between the API's answers and what the page draws: threshold lines from the machine's
 * rules, telemetry merged into chart columns, alarm spans for chart markers and the timeline, alarm
 * distributions. Pure functions (unit-tested in Node).
 */
import { sensorDisplay, toDisplay } from './format.js';
import type { Alarm, ComponentHealth, Rule, TelemetrySeries } from './types.js';

export type Level = 'normal' | 'warning' | 'critical';

export interface ThresholdLine {
  /** In API units (the chart scales it for display). */
  readonly value: number;
  readonly level: Exclude<Level, 'normal'>;
}

const rulesOf = (rules: readonly Rule[], sensor: string) => rules.filter((r) => r.sensor === sensor);

/**
 * The level thresholds of a sensor as horizontal lines. Rate-of-rise, rolling-σ, stuck and missing
 * rules have no level to draw; they show as alarms.
 */
export function thresholdLines(rules: readonly Rule[], sensor: string): ThresholdLine[] {
  const lines: ThresholdLine[] = [];
  for (const rule of rulesOf(rules, sensor)) {
    for (const level of ['warning', 'critical'] as const) {
      if (rule.kind === 'above' || rule.kind === 'below') {
        const value = rule[level];
        if (value !== undefined) lines.push({ value, level });
      } else if (rule.kind === 'outside') {
        const band = rule[level];
        if (band !== undefined) lines.push({ value: band[0], level }, { value: band[1], level });
      }
    }
  }
  return lines.sort((a, b) => a.value - b.value);
}

/** The sensor's level limits in words: "warning ≥ 100.0 °C · critical ≥ 120.0 °C". */
export function limitsSummary(rules: readonly Rule[], sensor: string): string {
  const d = sensorDisplay(sensor);
  const show = (v: number) => toDisplay(sensor, v).toFixed(d.decimals);
  const unit = d.unit === '' ? '' : ` ${d.unit}`;
  const parts: string[] = [];
  for (const rule of rulesOf(rules, sensor)) {
    const when = rule.while_status === undefined ? '' : ` while ${rule.while_status.toLowerCase()}`;
    for (const level of ['warning', 'critical'] as const) {
      if (rule.kind === 'above' || rule.kind === 'below') {
        const value = rule[level];
        if (value === undefined) continue;
        const op = rule.kind === 'above' ? (rule.inclusive ? '≥' : '>') : rule.inclusive ? '≤' : '<';
        parts.push(`${level} ${op} ${show(value)}${unit}${when}`);
      } else if (rule.kind === 'outside') {
        const band = rule[level];
        if (band !== undefined)
          parts.push(`${level} outside ${show(band[0])}–${show(band[1])}${unit}${when}`);
      }
    }
  }
  return parts.join(' · ');
}

/** Where a single reading stands against the sensor's level rules (no debounce: a glance, not an alarm). */
export function levelOf(rules: readonly Rule[], sensor: string, value: number | null | undefined): Level {
  if (value == null || !Number.isFinite(value)) return 'normal';
  let level: Level = 'normal';
  const raise = (to: Exclude<Level, 'normal'>) => {
    if (to === 'critical' || level === 'normal') level = to;
  };
  for (const rule of rulesOf(rules, sensor)) {
    if (rule.while_status !== undefined) continue; // depends on the machine's status, not the value alone
    for (const at of ['warning', 'critical'] as const) {
      if (rule.kind === 'above') {
        const t = rule[at];
        if (t !== undefined && (rule.inclusive ? value >= t : value > t)) raise(at);
      } else if (rule.kind === 'below') {
        const t = rule[at];
        if (t !== undefined && (rule.inclusive ? value <= t : value < t)) raise(at);
      } else if (rule.kind === 'outside') {
        const band = rule[at];
        if (band !== undefined && (value < band[0] || value > band[1])) raise(at);
      }
    }
  }
  return level;
}

// ------------------------------------------------------------------------------------------------ telemetry

export interface TelemetryRange {
  readonly key: string;
  readonly label: string;
  readonly ms: number;
  /** Bucket width for avg/min/max; raw points when absent. */
  readonly interval?: string;
  /** How often the whole range is fetched again (raw ranges are topped up at every poll instead). */
  readonly refetchMs: number;
}

export const TELEMETRY_RANGES: readonly TelemetryRange[] = [
  { key: '15m', label: '15 min', ms: 15 * 60_000, refetchMs: 5 * 60_000 },
  { key: '1h', label: '1 h', ms: 60 * 60_000, refetchMs: 5 * 60_000 },
  { key: '6h', label: '6 h', ms: 6 * 60 * 60_000, interval: '1m', refetchMs: 30_000 },
  { key: '24h', label: '24 h', ms: 24 * 60 * 60_000, interval: '5m', refetchMs: 60_000 },
];

export function telemetryRange(key: string | undefined): TelemetryRange {
  return TELEMETRY_RANGES.find((r) => r.key === key) ?? (TELEMETRY_RANGES[0] as TelemetryRange);
}

/**
 * Points are merged by (ts, seq): a poll re-reads a margin before the newest point, because the
 * processor commits batches a little after the readings were taken.
 */
export const TOP_UP_OVERLAP_MS = 60_000;

export interface RawPoint {
  readonly t: number;
  readonly seq: number;
  readonly sensors: Readonly<Record<string, number>>;
}

export interface Bucket {
  readonly t: number;
  readonly sensors: Readonly<Record<string, { avg: number; min: number; max: number }>>;
}

export function rawPointsOf(series: TelemetrySeries): RawPoint[] {
  return series.kind === 'raw'
    ? series.points.map((p) => ({ t: Date.parse(p.ts), seq: p.seq, sensors: p.sensors }))
    : [];
}

export function bucketsOf(series: TelemetrySeries): Bucket[] {
  return series.kind === 'aggregated'
    ? series.buckets.map((b) => ({ t: Date.parse(b.ts), sensors: b.sensors }))
    : [];
}

/** Existing and new points, deduplicated, in time order, none before `from`. */
export function mergePoints(
  existing: readonly RawPoint[],
  incoming: readonly RawPoint[],
  from: number,
): RawPoint[] {
  const byKey = new Map<string, RawPoint>();
  for (const p of existing) if (p.t >= from) byKey.set(`${p.t}:${p.seq}`, p);
  for (const p of incoming) if (p.t >= from) byKey.set(`${p.t}:${p.seq}`, p);
  return [...byKey.values()].sort((a, b) => a.t - b.t || a.seq - b.seq);
}

/** uPlot columns: x in seconds, then the sensor in display units (null where a reading lacks it). */
export type Columns = [number[], ...(number | null)[][]];

export function rawColumns(points: readonly RawPoint[], sensor: string): Columns {
  const xs: number[] = [];
  const ys: (number | null)[] = [];
  for (const p of points) {
    xs.push(p.t / 1000);
    const v = p.sensors[sensor];
    ys.push(v === undefined ? null : toDisplay(sensor, v));
  }
  return [xs, ys];
}

/** uPlot columns of buckets: x, avg, min, max (display units). */
export function bucketColumns(buckets: readonly Bucket[], sensor: string): Columns {
  const xs: number[] = [];
  const avg: (number | null)[] = [];
  const min: (number | null)[] = [];
  const max: (number | null)[] = [];
  for (const b of buckets) {
    const a = b.sensors[sensor];
    xs.push(b.t / 1000);
    avg.push(a === undefined ? null : toDisplay(sensor, a.avg));
    min.push(a === undefined ? null : toDisplay(sensor, a.min));
    max.push(a === undefined ? null : toDisplay(sensor, a.max));
  }
  return [xs, avg, min, max];
}

/** The latest reading of each sensor among the points (raw) or buckets (their average). */
export function latestValues(
  points: readonly RawPoint[],
  buckets: readonly Bucket[],
): Record<string, number> {
  const latest: Record<string, number> = {};
  for (const b of buckets) for (const [s, a] of Object.entries(b.sensors)) latest[s] = a.avg;
  for (const p of points) Object.assign(latest, p.sensors);
  return latest;
}

/** The y range that shows the data and the thresholds around it, so the distance to a limit is visible. */
export function yRange(
  values: readonly (number | null)[],
  lines: readonly number[],
): [number, number] | null {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of [...values, ...lines]) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return null;
  const pad = hi - lo > 0 ? (hi - lo) * 0.08 : Math.max(Math.abs(hi) * 0.05, 1);
  return [lo - pad, hi + pad];
}

// ------------------------------------------------------------------------------------------------ alarms

export interface AlarmSpan {
  readonly alarm_id: string;
  readonly sensor: string;
  /** Epoch ms. */
  readonly from: number;
  readonly to: number;
  readonly severity: Alarm['severity'];
  readonly state: Alarm['state'];
  readonly message: string;
}

/** Each alarm as a time span (an active one lasts until now), clipped to the range; outside ones dropped. */
export function alarmSpans(alarms: readonly Alarm[], range: { from: number; to: number }): AlarmSpan[] {
  const spans: AlarmSpan[] = [];
  for (const a of alarms) {
    const start = Date.parse(a.first_seen);
    const end = a.cleared_at === null ? range.to : Date.parse(a.cleared_at);
    if (end < range.from || start > range.to) continue;
    spans.push({
      alarm_id: a.alarm_id,
      sensor: a.sensor,
      from: Math.max(start, range.from),
      to: Math.min(Math.max(end, start), range.to),
      severity: a.severity,
      state: a.state,
      message: a.message,
    });
  }
  return spans.sort((x, y) => x.from - y.from);
}

const STATE_ORDER: Readonly<Record<Alarm['state'], number>> = {
  active_unacknowledged: 0,
  active_acknowledged: 1,
  cleared: 2,
};

/** What needs attention first: unacknowledged, then acknowledged, then cleared; critical first; newest first. */
export function sortAlarms(alarms: readonly Alarm[]): Alarm[] {
  return [...alarms].sort(
    (a, b) =>
      STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
      (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1) ||
      Date.parse(b.first_seen) - Date.parse(a.first_seen),
  );
}

export interface DistributionRow {
  readonly key: string;
  readonly warning: number;
  readonly critical: number;
}

/**
 * Alarms counted by a field and severity, one row per listed key in that order (zero rows included,
 * so the chart does not reshuffle as counts change), then any other key seen.
 */
export function distribution(
  alarms: readonly Alarm[],
  field: 'sensor' | 'category',
  keys: readonly string[],
): DistributionRow[] {
  const counts = new Map<string, { warning: number; critical: number }>(
    keys.map((k) => [k, { warning: 0, critical: 0 }]),
  );
  for (const a of alarms) {
    const key = a[field];
    const row = counts.get(key) ?? { warning: 0, critical: 0 };
    row[a.severity] += 1;
    counts.set(key, row);
  }
  return [...counts].map(([key, c]) => ({ key, ...c }));
}

/** Unique by alarm id, the later copy winning (pages and polls overlap). */
export function uniqueAlarms(...lists: readonly (readonly Alarm[])[]): Alarm[] {
  const byId = new Map<string, Alarm>();
  for (const list of lists) for (const a of list) byId.set(a.alarm_id, a);
  return [...byId.values()];
}

// ------------------------------------------------------------------------------------------------ components

export interface ComponentRow {
  readonly name: string;
  readonly rpn_value: number;
  readonly rpn_dynamic: number;
  readonly health: ComponentHealth | undefined;
}

/** Worst health first (unknown health last), then by name, so the table reads as a to-do list. */
export function sortComponents(rows: readonly ComponentRow[]): ComponentRow[] {
  const index = (r: ComponentRow) => r.health?.health_index ?? Number.POSITIVE_INFINITY;
  return [...rows].sort(
    (a, b) => index(a) - index(b) || b.rpn_dynamic - a.rpn_dynamic || a.name.localeCompare(b.name),
  );
}
