/** The dashboard's data shaping: thresholds from the rules the API serves, telemetry columns, alarms. */
import { describe, expect, it } from 'vitest';
import {
  alarmSpans,
  bucketColumns,
  bucketsOf,
  distribution,
  latestValues,
  levelOf,
  limitsSummary,
  mergePoints,
  type RawPoint,
  rawColumns,
  rawPointsOf,
  sortAlarms,
  sortComponents,
  telemetryRange,
  thresholdLines,
  uniqueAlarms,
  yRange,
} from '../../dashboard/src/shape.js';
import type { Alarm, ComponentHealth, Rule, TelemetrySeries } from '../../dashboard/src/types.js';
import { defaultRules } from '../../lambdas/core/anomaly/rules.js';
import { FLEXO_104_PROFILE } from '../../lambdas/core/profiles.js';
import { alarmFacts, T0 } from '../support/fixtures.js';

// The rules as GET /api/machines/{id}/rules serves them (JSON round trip).
const RULES = JSON.parse(JSON.stringify(defaultRules(FLEXO_104_PROFILE))) as Rule[];
const iso = (ms: number) => new Date(ms).toISOString();

function alarm(overrides: Partial<Alarm> = {}): Alarm {
  return {
    ...alarmFacts(),
    state: 'active_unacknowledged',
    acknowledged_at: null,
    acknowledged_by: null,
    ...overrides,
  } as Alarm;
}

describe('thresholds from the machine rules', () => {
  it('draws the level limits of each sensor, lowest first', () => {
    expect(thresholdLines(RULES, 'temperature_coil')).toEqual([
      { value: 100, level: 'warning' },
      { value: 120, level: 'critical' },
    ]);
    expect(thresholdLines(RULES, 'voltage').map((l) => [l.value, l.level])).toEqual([
      [360, 'critical'],
      [380, 'warning'],
      [420, 'warning'],
      [440, 'critical'],
    ]);
    // Overload above and the running low-current limit below.
    expect(thresholdLines(RULES, 'current').map((l) => l.value)).toEqual([11, 60.5, 68.75]);
    expect(thresholdLines(RULES, 'humidity_env')).toEqual([{ value: 85, level: 'warning' }]);
    expect(thresholdLines(RULES, 'unknown')).toEqual([]);
  });

  it('states the limits in words, in display units', () => {
    expect(limitsSummary(RULES, 'temperature_coil')).toBe('warning ≥ 100.0 °C · critical ≥ 120.0 °C');
    expect(limitsSummary(RULES, 'pressure')).toBe(
      'warning outside 5.70–6.30 bar · critical outside 4.80–7.20 bar',
    );
    expect(limitsSummary(RULES, 'current')).toBe(
      'warning > 60.5 A · critical > 68.8 A · critical < 11.0 A while running',
    );
  });

  it('judges a single reading against the level rules, inclusive or not as the rule says', () => {
    expect(levelOf(RULES, 'temperature_coil', 99.9)).toBe('normal');
    expect(levelOf(RULES, 'temperature_coil', 100)).toBe('warning');
    expect(levelOf(RULES, 'temperature_coil', 120)).toBe('critical');
    expect(levelOf(RULES, 'current', 60.5)).toBe('normal');
    expect(levelOf(RULES, 'current', 60.6)).toBe('warning');
    expect(levelOf(RULES, 'voltage', 375)).toBe('warning');
    expect(levelOf(RULES, 'voltage', 445)).toBe('critical');
    // The low-current rule depends on the machine status, which a reading alone does not carry.
    expect(levelOf(RULES, 'current', 5)).toBe('normal');
    expect(levelOf(RULES, 'temperature_coil', undefined)).toBe('normal');
  });
});

describe('telemetry for the charts', () => {
  const point = (t: number, seq: number, sensors: Record<string, number>): RawPoint => ({ t, seq, sensors });

  it('merges a top-up into the points: deduplicated, in order, nothing before the range', () => {
    const old = [
      point(1000, 1, { current: 40 }),
      point(2000, 2, { current: 41 }),
      point(3000, 3, { current: 42 }),
    ];
    const incoming = [
      point(3000, 3, { current: 42 }),
      point(2500, 9, { current: 39 }),
      point(4000, 4, { current: 43 }),
    ];
    expect(mergePoints(old, incoming, 2000).map((p) => p.seq)).toEqual([2, 9, 3, 4]);
  });

  it('turns raw points into uPlot columns in seconds and display units, gaps as null', () => {
    const series: TelemetrySeries = {
      machine_id: 'C_FL104',
      from: iso(T0),
      to: iso(T0 + 60_000),
      kind: 'raw',
      count: 2,
      points: [
        { ts: iso(T0 + 1000), seq: 1, sensors: { pressure: 600_000, current: 41 } },
        { ts: iso(T0 + 2000), seq: 2, sensors: { current: 42 } },
      ],
    };
    const points = rawPointsOf(series);
    expect(rawColumns(points, 'pressure')).toEqual([
      [(T0 + 1000) / 1000, (T0 + 2000) / 1000],
      [6, null],
    ]);
    expect(bucketsOf(series)).toEqual([]);
    expect(latestValues(points, [])).toEqual({ pressure: 600_000, current: 42 });
  });

  it('turns buckets into avg, min and max columns', () => {
    const series: TelemetrySeries = {
      machine_id: 'C_FL104',
      from: iso(T0),
      to: iso(T0 + 120_000),
      kind: 'aggregated',
      interval: '1m',
      interval_ms: 60_000,
      count: 2,
      buckets: [
        { ts: iso(T0), sensors: { temperature_coil: { avg: 72, min: 70, max: 75, count: 60 } } },
        { ts: iso(T0 + 60_000), sensors: {} },
      ],
    };
    const buckets = bucketsOf(series);
    expect(bucketColumns(buckets, 'temperature_coil')).toEqual([
      [T0 / 1000, (T0 + 60_000) / 1000],
      [72, null],
      [70, null],
      [75, null],
    ]);
    expect(rawPointsOf(series)).toEqual([]);
    expect(latestValues([], buckets)).toEqual({ temperature_coil: 72 });
  });

  it('scales the y axis to the data and the limits, with a margin', () => {
    expect(yRange([70, 75, null], [100, 120])).toEqual([70 - 4, 120 + 4]);
    expect(yRange([5, 5], [])).toEqual([4, 6]);
    expect(yRange([null], [])).toBeNull();
  });

  it('picks raw readings for short ranges and buckets for long ones', () => {
    expect(telemetryRange('15m')).toMatchObject({ ms: 900_000 });
    expect(telemetryRange('15m').interval).toBeUndefined();
    expect(telemetryRange('24h')).toMatchObject({ interval: '5m' });
    expect(telemetryRange('nonsense').key).toBe('15m');
    expect(telemetryRange(undefined).key).toBe('15m');
  });
});

describe('alarms for the timeline, the lists and the distribution', () => {
  const range = { from: T0, to: T0 + 600_000 };

  it('spans each alarm from its first reading to its clearing or now, clipped to the range', () => {
    const spans = alarmSpans(
      [
        alarm({ alarm_id: 'active', first_seen: iso(T0 + 60_000) }),
        alarm({
          alarm_id: 'cleared',
          first_seen: iso(T0 - 60_000),
          cleared_at: iso(T0 + 30_000),
          state: 'cleared',
        }),
        alarm({
          alarm_id: 'before',
          first_seen: iso(T0 - 120_000),
          cleared_at: iso(T0 - 60_000),
          state: 'cleared',
        }),
      ],
      range,
    );
    expect(spans.map((s) => [s.alarm_id, s.from - T0, s.to - T0])).toEqual([
      ['cleared', 0, 30_000],
      ['active', 60_000, 600_000],
    ]);
  });

  it('lists what needs attention first: unacknowledged, critical, newest', () => {
    const sorted = sortAlarms([
      alarm({ alarm_id: 'cleared', state: 'cleared', first_seen: iso(T0 + 9000) }),
      alarm({ alarm_id: 'acked', state: 'active_acknowledged' }),
      alarm({ alarm_id: 'old-warning', first_seen: iso(T0) }),
      alarm({ alarm_id: 'new-warning', first_seen: iso(T0 + 5000) }),
      alarm({ alarm_id: 'critical', severity: 'critical', first_seen: iso(T0) }),
    ]);
    expect(sorted.map((a) => a.alarm_id)).toEqual([
      'critical',
      'new-warning',
      'old-warning',
      'acked',
      'cleared',
    ]);
  });

  it('counts alarms per sensor and severity with a row for every sensor, in a stable order', () => {
    const rows = distribution(
      [
        alarm({ sensor: 'temperature_coil', severity: 'critical' }),
        alarm({ sensor: 'temperature_coil' }),
        alarm({ sensor: 'vibration_rotor' }),
        alarm({ sensor: 'oil_level' }),
      ],
      'sensor',
      ['temperature_coil', 'vibration_rotor', 'current'],
    );
    expect(rows).toEqual([
      { key: 'temperature_coil', warning: 1, critical: 1 },
      { key: 'vibration_rotor', warning: 1, critical: 0 },
      { key: 'current', warning: 0, critical: 0 },
      { key: 'oil_level', warning: 1, critical: 0 },
    ]);
    expect(distribution([alarm({ category: 'mechanical' })], 'category', ['thermal'])).toEqual([
      { key: 'thermal', warning: 0, critical: 0 },
      { key: 'mechanical', warning: 1, critical: 0 },
    ]);
  });

  it('keeps one copy of each alarm, the latest read winning', () => {
    const merged = uniqueAlarms(
      [alarm({ alarm_id: 'a' }), alarm({ alarm_id: 'b' })],
      [alarm({ alarm_id: 'a', state: 'active_acknowledged' })],
    );
    expect(merged.map((a) => [a.alarm_id, a.state])).toEqual([
      ['a', 'active_acknowledged'],
      ['b', 'active_unacknowledged'],
    ]);
  });
});

describe('component health table', () => {
  it('puts the worst health first, unknown health last', () => {
    const health = (index: number) => ({ health_index: index }) as ComponentHealth;
    const rows = sortComponents([
      { name: 'Feeder', rpn_value: 210, rpn_dynamic: 210, health: health(77.4) },
      { name: 'Dryer', rpn_value: 100, rpn_dynamic: 100, health: undefined },
      { name: 'Main Drive Motor', rpn_value: 108, rpn_dynamic: 324, health: health(45.1) },
      { name: 'Anilox Roller', rpn_value: 240, rpn_dynamic: 240, health: health(77.4) },
    ]);
    expect(rows.map((r) => r.name)).toEqual(['Main Drive Motor', 'Anilox Roller', 'Feeder', 'Dryer']);
  });
});
