/**
 * Every rule of the default table (DESIGN.md §4) for the Flexo 104 profile, at its boundaries: just
 * below, at and just above each threshold, through the real detector with the profile's debounce of 3.
 */
import { describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../lambdas/core/anomaly/alarm.js';
import { createDetector, type Detector } from '../../lambdas/core/anomaly/engine.js';
import { defaultRules, type RuleSpec } from '../../lambdas/core/anomaly/rules.js';
import type { MachineStatus, TelemetryMessage } from '../../lambdas/core/messages.js';
import { FLEXO_104_PROFILE, resolveProfile, type VibrationClass } from '../../lambdas/core/profiles.js';
import {
  DEFAULT_RULES,
  flexoDetector,
  iso,
  MACHINE,
  noisySensors,
  production,
  reading,
  series,
  T0,
  telemetryAt,
} from './support/fixtures.js';

const repeat = (value: number, times: number) => Array.from({ length: times }, () => value);

function ruleById(id: string, rules: readonly RuleSpec[] = DEFAULT_RULES): RuleSpec {
  const rule = rules.find((r) => r.id === id);
  if (rule === undefined) throw new Error(`no rule ${id}`);
  return rule;
}

/** Runs the readings through a fresh detector and returns all events. */
function eventsOf(
  telemetry: readonly TelemetryMessage[],
  opts: { detector?: Detector; status?: MachineStatus } = {},
): AlarmEvent[] {
  const detector = opts.detector ?? flexoDetector();
  const prod = opts.status === undefined ? [] : [production({ ts: T0, status: opts.status })];
  return detector.run(undefined, { telemetry, production: prod }).events;
}

type Expected = 'none' | 'warning' | 'critical';

/** Asserts that three readings of `value` raise exactly the expected alarm of `ruleId` and nothing else. */
function expectBoundary(
  ruleId: string,
  sensor: string,
  value: number,
  expected: Expected,
  threshold: number | undefined,
  opts: { detector?: Detector; status?: MachineStatus } = {},
) {
  const events = eventsOf(series(sensor, repeat(value, 3)), opts);
  if (expected === 'none') {
    expect(events).toEqual([]);
    return;
  }
  expect(events.map((e) => [e.type, e.alarm.rule_id, e.alarm.severity])).toEqual([
    ['raised', ruleId, expected],
  ]);
  const alarm = (events[0] as AlarmEvent).alarm;
  expect(alarm.value).toBe(value);
  expect(alarm.threshold).toBe(threshold);
  expect(alarm.sensor).toBe(sensor);
  // Two readings are not enough: the third raises.
  expect(eventsOf(series(sensor, repeat(value, 2)), opts)).toEqual([]);
}

describe('defaultRules(FLEXO_104_PROFILE)', () => {
  it('derives the thresholds of DESIGN.md §4 from the profile', () => {
    expect(ruleById('coil_temp_high')).toMatchObject({ warning: 100, critical: 120, inclusive: true });
    expect(ruleById('vibration_high')).toMatchObject({ warning: 2.8, critical: 4.5, inclusive: true });
    expect(ruleById('current_high')).toMatchObject({ warning: 60.5, critical: 68.75, inclusive: false });
    expect(ruleById('current_low_running')).toMatchObject({ critical: 11, while_status: 'Running' });
    expect(ruleById('voltage_deviation')).toMatchObject({ warning: [380, 420], critical: [360, 440] });
    expect(ruleById('pressure_out_of_band')).toMatchObject({
      warning: [570_000, 630_000],
      critical: [480_000, 720_000],
    });
    expect(ruleById('pressure_unstable')).toMatchObject({ warning: 18_000, window: 12 });
    expect(ruleById('coil_temp_rise')).toMatchObject({ warning: 5, window_ms: 60_000 });
    expect(ruleById('ambient_temp_high')).toMatchObject({ warning: 40, inclusive: false });
    expect(ruleById('humidity_high')).toMatchObject({ warning: 85, inclusive: false });
  });

  it('files every rule against the component the profile names for its sensor', () => {
    for (const rule of DEFAULT_RULES) {
      expect(rule.component).toBe(FLEXO_104_PROFILE.sensor_components[rule.sensor]);
      expect(rule.id).toMatch(/^[a-z0-9_]{1,64}$/);
      expect(rule.basis.length).toBeGreaterThan(10);
    }
    expect(new Set(DEFAULT_RULES.map((r) => r.id)).size).toBe(DEFAULT_RULES.length);
  });

  it('is plain data (survives a JSON round trip unchanged)', () => {
    expect(JSON.parse(JSON.stringify(DEFAULT_RULES))).toStrictEqual(DEFAULT_RULES);
  });
});

describe('threshold boundaries', () => {
  it.each<[string, string, number, Expected, number | undefined]>([
    // coil temperature: ≥ 100 warning, ≥ 120 critical (inclusive)
    ['coil_temp_high', 'temperature_coil', 99.99, 'none', undefined],
    ['coil_temp_high', 'temperature_coil', 100, 'warning', 100],
    ['coil_temp_high', 'temperature_coil', 100.01, 'warning', 100],
    ['coil_temp_high', 'temperature_coil', 119.99, 'warning', 100],
    ['coil_temp_high', 'temperature_coil', 120, 'critical', 120],
    ['coil_temp_high', 'temperature_coil', 120.01, 'critical', 120],
    // vibration, ISO 10816-3 group 2 rigid: zone C from 2.8, zone D from 4.5 mm/s (inclusive)
    ['vibration_high', 'vibration_rotor', 2.79, 'none', undefined],
    ['vibration_high', 'vibration_rotor', 2.8, 'warning', 2.8],
    ['vibration_high', 'vibration_rotor', 2.81, 'warning', 2.8],
    ['vibration_high', 'vibration_rotor', 4.49, 'warning', 2.8],
    ['vibration_high', 'vibration_rotor', 4.5, 'critical', 4.5],
    ['vibration_high', 'vibration_rotor', 4.51, 'critical', 4.5],
    // current: > 1.10 × 55 A = 60.5 warning, > 1.25 × 55 A = 68.75 critical (exclusive)
    ['current_high', 'current', 60.49, 'none', undefined],
    ['current_high', 'current', 60.5, 'none', undefined],
    ['current_high', 'current', 60.51, 'warning', 60.5],
    ['current_high', 'current', 68.75, 'warning', 60.5],
    ['current_high', 'current', 68.76, 'critical', 68.75],
    // voltage: outside ±5 % of 400 V warning, outside ±10 % critical (strict)
    ['voltage_deviation', 'voltage', 380, 'none', undefined],
    ['voltage_deviation', 'voltage', 379.99, 'warning', 380],
    ['voltage_deviation', 'voltage', 420, 'none', undefined],
    ['voltage_deviation', 'voltage', 420.01, 'warning', 420],
    ['voltage_deviation', 'voltage', 360, 'warning', 380],
    ['voltage_deviation', 'voltage', 359.99, 'critical', 360],
    ['voltage_deviation', 'voltage', 440, 'warning', 420],
    ['voltage_deviation', 'voltage', 440.01, 'critical', 440],
    // pressure: outside the profile band [570 000, 630 000] warning, outside ±20 % of 600 000 critical
    ['pressure_out_of_band', 'pressure', 570_000, 'none', undefined],
    ['pressure_out_of_band', 'pressure', 569_999, 'warning', 570_000],
    ['pressure_out_of_band', 'pressure', 630_000, 'none', undefined],
    ['pressure_out_of_band', 'pressure', 630_001, 'warning', 630_000],
    ['pressure_out_of_band', 'pressure', 480_000, 'warning', 570_000],
    ['pressure_out_of_band', 'pressure', 479_999, 'critical', 480_000],
    ['pressure_out_of_band', 'pressure', 720_000, 'warning', 630_000],
    ['pressure_out_of_band', 'pressure', 720_001, 'critical', 720_000],
    // environment: ambient > 40 °C, humidity > 85 % (exclusive, warning only)
    ['ambient_temp_high', 'temperature_env', 39.99, 'none', undefined],
    ['ambient_temp_high', 'temperature_env', 40, 'none', undefined],
    ['ambient_temp_high', 'temperature_env', 40.01, 'warning', 40],
    ['ambient_temp_high', 'temperature_env', 80, 'warning', 40],
    ['humidity_high', 'humidity_env', 84.99, 'none', undefined],
    ['humidity_high', 'humidity_env', 85, 'none', undefined],
    ['humidity_high', 'humidity_env', 85.01, 'warning', 85],
    ['humidity_high', 'humidity_env', 100, 'warning', 85],
  ])('%s: %s = %d → %s', (ruleId, sensor, value, expected, threshold) => {
    expectBoundary(ruleId, sensor, value, expected, threshold);
  });

  it.each<[VibrationClass, number, Expected, number | undefined]>([
    ['group1_flexible', 7.09, 'none', undefined],
    ['group1_flexible', 7.1, 'warning', 7.1],
    ['group1_flexible', 10.99, 'warning', 7.1],
    ['group1_flexible', 11, 'critical', 11],
    ['group1_rigid', 4.49, 'none', undefined],
    ['group1_rigid', 4.5, 'warning', 4.5],
    ['group1_rigid', 7.09, 'warning', 4.5],
    ['group1_rigid', 7.1, 'critical', 7.1],
  ])('vibration class %s: %d mm/s → %s', (vibration_class, value, expected, threshold) => {
    const profile = resolveProfile({ vibration_class });
    const detector = createDetector(MACHINE, defaultRules(profile), { debounce: profile.debounce_readings });
    expectBoundary('vibration_high', 'vibration_rotor', value, expected, threshold, { detector });
  });

  it('names the sensor, the value and the limit in the alarm message', () => {
    const cases: [string, number, string][] = [
      ['temperature_coil', 105, 'Coil temperature 105 °C ≥ warning limit 100 °C'],
      ['current', 70, 'Motor current 70 A > critical limit 68.75 A'],
      ['voltage', 430, 'Supply voltage 430 V outside the warning band (limit 420 V)'],
      ['pressure', 470_000, 'Supply pressure 470000 Pa outside the critical band (limit 480000 Pa)'],
      ['humidity_env', 90, 'Ambient humidity 90 % > warning limit 85 %'],
    ];
    for (const [sensor, value, message] of cases) {
      const [event] = eventsOf(series(sensor, repeat(value, 3)));
      expect(event?.alarm.message).toBe(message);
    }
  });
});

describe('undercurrent (< 0.2 × rated) only while Running', () => {
  it.each<[number, MachineStatus | undefined, Expected]>([
    [11, 'Running', 'none'],
    [10.99, 'Running', 'critical'],
    [0, 'Running', 'critical'],
    [10.99, 'Idle', 'none'],
    [10.99, 'Setup', 'none'],
    [10.99, 'Downtime', 'none'],
    [10.99, undefined, 'none'],
  ])('current %d A with status %s → %s', (value, status, expected) => {
    expectBoundary('current_low_running', 'current', value, expected, expected === 'none' ? undefined : 11, {
      status: status as MachineStatus,
    });
  });

  it('takes the status from a production message of an earlier run', () => {
    const detector = flexoDetector();
    const { state } = detector.run(undefined, {
      telemetry: [],
      production: [production({ ts: T0 - 60_000 })],
    });
    const { events } = detector.run(state, { telemetry: series('current', [5, 5, 5]) });
    expect(events.map((e) => [e.type, e.alarm.rule_id, e.alarm.severity])).toEqual([
      ['raised', 'current_low_running', 'critical'],
    ]);
  });

  it('keeps the newest status: a late, older production message does not override it', () => {
    const detector = flexoDetector();
    const { state } = detector.run(undefined, {
      telemetry: [],
      production: [production({ ts: T0 - 60_000, seq: 2, status: 'Running' })],
    });
    const { events } = detector.run(state, {
      telemetry: series('current', [5, 5, 5]),
      production: [production({ ts: T0 - 120_000, seq: 1, status: 'Idle' })],
    });
    expect(state.status).toBe('Running');
    expect(events.map((e) => e.alarm.rule_id)).toEqual(['current_low_running']);
  });

  it('applies a status at the reading it is timed at (equal ts: the status first), not before', () => {
    const detector = flexoDetector();
    const telemetry = series('current', [5, 5, 5, 5, 5]);
    const late = detector.run(undefined, {
      telemetry,
      production: [production({ ts: (telemetry[2] as TelemetryMessage).ts })],
    });
    // Running from the third reading on: readings 3, 4 and 5 count.
    expect(late.events).toHaveLength(1);
    expect(late.events[0]?.alarm.first_seen).toBe(iso((telemetry[2] as TelemetryMessage).ts));
    expect(late.events[0]?.alarm.raised_at).toBe(iso((telemetry[4] as TelemetryMessage).ts));
  });

  it('clears after the debounce once the line stops running, and keeps the lowest value as worst', () => {
    const detector = flexoDetector();
    const telemetry = series('current', [10, 10, 10, 8, 9, 9, 9]);
    const stop = production({ ts: (telemetry[4] as TelemetryMessage).ts, seq: 2, status: 'Idle' });
    const { events } = detector.run(undefined, { telemetry, production: [production({ ts: T0 }), stop] });
    expect(events.map((e) => e.type)).toEqual(['raised', 'cleared']);
    const cleared = events[1]?.alarm;
    expect(cleared?.worst_value).toBe(8);
    expect(cleared?.cleared_at).toBe(iso((telemetry[6] as TelemetryMessage).ts));
    expect(cleared?.value).toBe(8);
    expect(cleared?.message).toBe('Motor current 8 A < critical limit 11 A');
  });
});

describe('rolling σ of pressure (> 3 % of 600 000 Pa over 12 readings)', () => {
  /** Alternating readings mean ± d: the population σ of any 12 consecutive ones is exactly d. */
  const alternating = (d: number, n: number) =>
    series(
      'pressure',
      Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 600_000 - d : 600_000 + d)),
    );

  it.each<[number, Expected]>([
    [17_999, 'none'],
    [18_000, 'none'],
    [18_001, 'warning'],
  ])('σ = %d Pa → %s', (d, expected) => {
    const events = eventsOf(alternating(d, 30));
    if (expected === 'none') {
      expect(events).toEqual([]);
      return;
    }
    expect(events.map((e) => [e.type, e.alarm.rule_id, e.alarm.severity])).toEqual([
      ['raised', 'pressure_unstable', 'warning'],
      ['updated', 'pressure_unstable', 'warning'],
    ]);
    const raised = events[0]?.alarm;
    expect(raised?.value).toBe(d);
    expect(raised?.threshold).toBe(18_000);
    expect(raised?.unit).toBe('Pa (σ)');
    expect(raised?.message).toContain('Supply pressure unstable: σ 18001 Pa (σ) above 18000');
  });

  it('judges only a full window: the 12th reading is the first, the 14th raises', () => {
    const telemetry = alternating(20_000, 14);
    expect(eventsOf(telemetry.slice(0, 13))).toEqual([]);
    const [raised] = eventsOf(telemetry);
    expect(raised?.alarm.first_seen).toBe(iso((telemetry[11] as TelemetryMessage).ts));
    expect(raised?.alarm.raised_at).toBe(iso((telemetry[13] as TelemetryMessage).ts));
  });
});

describe('rate of rise of coil temperature (> 5 °C/min over a 60 s window)', () => {
  /** Readings every `cadenceMs` from T0, coil at 60 °C rising `perStep` per reading. */
  const ramp = (cadenceMs: number, perStep: number, n: number) =>
    Array.from({ length: n }, (_, k) =>
      telemetryAt(T0 + k * cadenceMs, k, { ...noisySensors(k), temperature_coil: 60 + k * perStep }),
    );

  it('5 s cadence at 6 °C/min: judged from 30 s of data, raises on the third judged reading', () => {
    const telemetry = ramp(5_000, 0.5, 12);
    const events = eventsOf(telemetry);
    expect(events.map((e) => [e.type, e.alarm.rule_id])).toEqual([
      ['raised', 'coil_temp_rise'],
      ['updated', 'coil_temp_rise'],
    ]);
    const raised = events[0]?.alarm;
    expect(raised?.first_seen).toBe(iso(T0 + 30_000));
    expect(raised?.raised_at).toBe(iso(T0 + 40_000));
    expect(raised?.value).toBeCloseTo(6, 9);
    expect(raised?.threshold).toBe(5);
    expect(raised?.unit).toBe('°C/min');
    expect(raised?.message).toBe('Coil temperature rising 6 °C/min, above 5 °C/min');
  });

  it('publishes the derived rate to three decimals, as readings are', () => {
    const raised = eventsOf(ramp(60_000, 5.1234567, 6)).find((e) => e.type === 'raised');
    expect(raised?.alarm).toMatchObject({ value: 5.123, worst_value: 5.123 });
    expect(raised?.alarm.message).toContain('5.12 °C/min');
  });

  it('5 s cadence at 4.5 °C/min never raises', () => {
    expect(eventsOf(ramp(5_000, 0.375, 50))).toEqual([]);
  });

  it.each<[number, Expected]>([
    [4.9, 'none'],
    [5, 'none'],
    [5.1, 'warning'],
  ])('60 s cadence, %d °C per reading → %s', (perStep, expected) => {
    const events = eventsOf(ramp(60_000, perStep, 6));
    if (expected === 'none') {
      expect(events).toEqual([]);
      return;
    }
    expect(events[0]?.type).toBe('raised');
    expect(events[0]?.alarm.rule_id).toBe('coil_temp_rise');
    // Readings 1, 2, 3 each see a full 60 s span: the third of them raises.
    expect(events[0]?.alarm.raised_at).toBe(iso(T0 + 3 * 60_000));
  });

  it.each<[number, Expected]>([
    [240_000, 'warning'],
    [300_000, 'warning'],
    [301_000, 'none'],
    [360_000, 'none'],
  ])('a gap of %d ms before a +40 °C jump (debounce 1) → %s', (gapMs, expected) => {
    const rules = DEFAULT_RULES.map((r) => (r.id === 'coil_temp_rise' ? { ...r, debounce: 1 } : r));
    const detector = createDetector(MACHINE, rules, { debounce: 3 });
    const telemetry = [
      telemetryAt(T0, 0, { ...noisySensors(0), temperature_coil: 50 }),
      telemetryAt(T0 + 60_000, 1, { ...noisySensors(1), temperature_coil: 50 }),
      telemetryAt(T0 + 60_000 + gapMs, 2, { ...noisySensors(2), temperature_coil: 90 }),
      telemetryAt(T0 + 120_000 + gapMs, 3, { ...noisySensors(3), temperature_coil: 90 }),
    ];
    const raised = eventsOf(telemetry, { detector }).filter((e) => e.type === 'raised');
    expect(raised.map((e) => e.alarm.rule_id)).toEqual(expected === 'none' ? [] : ['coil_temp_rise']);
  });

  it('does not raise on falling temperature', () => {
    expect(eventsOf(ramp(5_000, -1, 40))).toEqual([]);
  });
});

describe('stuck sensor (60 identical readings)', () => {
  it.each<[number, Expected]>([
    [59, 'none'],
    [60, 'warning'],
  ])('%d identical vibration readings → %s', (n, expected) => {
    const events = eventsOf(series('vibration_rotor', repeat(2, n)));
    if (expected === 'none') {
      expect(events).toEqual([]);
      return;
    }
    expect(events.map((e) => [e.type, e.alarm.rule_id, e.alarm.category])).toEqual([
      ['raised', 'vibration_rotor_stuck', 'sensor'],
    ]);
    expect(events[0]?.alarm.message).toBe('Rotor vibration frozen: identical for 60 readings');
  });

  it('clears as soon as the value moves (debounce 1)', () => {
    const telemetry = series('vibration_rotor', [...repeat(2, 60), 2.01]);
    expect(eventsOf(telemetry).map((e) => e.type)).toEqual(['raised', 'cleared']);
  });
});

describe('missing sensor (absent from 12 messages after it had been reporting)', () => {
  const withoutCurrent = (from: number, n: number) =>
    Array.from({ length: n }, (_, k) => {
      const { current: _c, ...sensors } = noisySensors(from + k);
      return telemetryAt(T0 + (from + k) * 5_000, from + k, sensors);
    });

  it.each<[number, Expected]>([
    [11, 'none'],
    [12, 'warning'],
  ])('current absent from %d messages → %s', (n, expected) => {
    const telemetry = [reading(0), reading(1), ...withoutCurrent(2, n)];
    const events = eventsOf(telemetry);
    if (expected === 'none') {
      expect(events).toEqual([]);
      return;
    }
    expect(events.map((e) => [e.type, e.alarm.rule_id])).toEqual([['raised', 'current_missing']]);
    expect(events[0]?.alarm.message).toBe('Motor current missing from 12 messages in a row');
    expect(events[0]?.alarm.raised_at).toBe(iso(T0 + (2 + 11) * 5_000));
  });

  it('never raises for a sensor that never reported', () => {
    expect(eventsOf(withoutCurrent(0, 40))).toEqual([]);
  });

  it('clears when the sensor reports again', () => {
    const telemetry = [reading(0), ...withoutCurrent(1, 12), reading(13)];
    expect(eventsOf(telemetry).map((e) => e.type)).toEqual(['raised', 'cleared']);
  });
});
