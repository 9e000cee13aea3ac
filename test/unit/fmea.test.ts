/**
 * The FMEA table of the Flexo 104 (DESIGN.md §4) and the dynamic RPN: the seeded data is valid against
 * its own schema and complete, and recent alarms raise the effective occurrence exactly as documented.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Alarm } from '../../lambdas/core/anomaly/alarm.js';
import type { AnomalyCategory, Severity } from '../../lambdas/core/anomaly/rules.js';
import {
  type Component,
  componentSchema,
  DYNAMIC_RPN_WINDOW_MS,
  dynamicRpn,
  FLEXO_104_COMPONENTS,
  RPN_MAX,
  rpn,
} from '../../lambdas/core/fmea.js';
import { FLEXO_104_PROFILE } from '../../lambdas/core/profiles.js';
import { SENSOR_NAMES, type SensorName } from '../../lambdas/core/sensors.js';

type AlarmInput = Pick<Alarm, 'sensor' | 'severity' | 'category' | 'state' | 'last_seen' | 'cleared_at'>;

const NOW = Date.parse('2025-10-23T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const byName = (name: string): Component => {
  const component = FLEXO_104_COMPONENTS.find((c) => c.component_name === name);
  if (component === undefined) throw new Error(`no component ${name}`);
  return component;
};

describe('FLEXO_104_COMPONENTS', () => {
  it('seeds the fifteen components of DESIGN.md §4, each once', () => {
    const names = FLEXO_104_COMPONENTS.map((c) => c.component_name);
    expect(names).toHaveLength(15);
    expect(new Set(names).size).toBe(15);
    for (const name of [
      'Pre-Feeder',
      'Feeder',
      'Anilox Roller',
      'Doctor Blade',
      'Plate Cylinder',
      'Impression Cylinder',
      'Ink Pump',
      'Slotter',
      'Die Cutter',
      'Folder-Gluer',
      'Counter-Ejector',
      'Vacuum Transfer',
      'Main Drive Motor',
      'Dryer',
    ]) {
      expect(names).toContain(name);
    }
    expect(names.some((n) => /print/i.test(n))).toBe(true);
  });

  it.each(FLEXO_104_COMPONENTS.map((c) => [c.component_name, c] as const))(
    '%s is valid and complete',
    (_n, c) => {
      const parsed = componentSchema.safeParse(c);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      // Nothing outside the schema either (zod would strip it silently).
      expect(parsed.data).toEqual(c);
      for (const rating of [c.severity, c.occurrence, c.detection]) {
        expect(Number.isInteger(rating)).toBe(true);
        expect(rating).toBeGreaterThanOrEqual(1);
        expect(rating).toBeLessThanOrEqual(10);
      }
      expect(rpn(c)).toBeGreaterThanOrEqual(1);
      expect(rpn(c)).toBeLessThanOrEqual(RPN_MAX);
      for (const text of [c.description, c.failure_mode, c.effect, c.cause])
        expect(text.trim().length).toBeGreaterThan(5);
      expect(c.linked_sensors.length).toBeGreaterThan(0);
      expect(new Set(c.linked_sensors).size).toBe(c.linked_sensors.length);
      for (const status of ['good', 'warning', 'critical'] as const) {
        expect(c.recommendations[status].length).toBeGreaterThan(0);
        for (const line of c.recommendations[status]) expect(line.trim().length).toBeGreaterThan(0);
      }
    },
  );

  it('keeps the original system’s RPNs: Pre-Feeder 180, Anilox Roller 240', () => {
    expect(rpn(byName('Pre-Feeder'))).toBe(180);
    expect(rpn(byName('Anilox Roller'))).toBe(240);
  });

  it('files every profile sensor’s alarms against a seeded component that lists that sensor', () => {
    for (const sensor of SENSOR_NAMES) {
      const component = byName(FLEXO_104_PROFILE.sensor_components[sensor]);
      expect(component.linked_sensors).toContain(sensor);
    }
  });

  it('every sensor is linked to at least one component', () => {
    const linked = new Set(FLEXO_104_COMPONENTS.flatMap((c) => c.linked_sensors));
    for (const sensor of SENSOR_NAMES) expect(linked.has(sensor), sensor).toBe(true);
  });
});

describe('componentSchema and rpn bounds', () => {
  const base = byName('Feeder');

  it.each([
    ['severity', 0],
    ['severity', 11],
    ['occurrence', 5.5],
    ['detection', -1],
    ['detection', Number.NaN],
  ])('refuses %s = %d', (field, value) => {
    expect(componentSchema.safeParse({ ...base, [field]: value }).success).toBe(false);
  });

  it('refuses an unknown linked sensor and an empty name', () => {
    expect(componentSchema.safeParse({ ...base, linked_sensors: ['oil_temp'] }).success).toBe(false);
    expect(componentSchema.safeParse({ ...base, component_name: '' }).success).toBe(false);
  });

  it.each([
    [1, 1, 1, 1],
    [10, 10, 10, 1000],
    [6, 5, 6, 180],
    [7, 3, 5, 105],
  ])('rpn(S=%d, O=%d, D=%d) = %d', (severity, occurrence, detection, expected) => {
    expect(rpn({ severity, occurrence, detection })).toBe(expected);
  });
});

describe('dynamicRpn', () => {
  /** S 5, O 3, D 4 (RPN 60), linked to the coil temperature and rotor vibration. */
  const motor: Component = {
    ...byName('Main Drive Motor'),
    severity: 5,
    occurrence: 3,
    detection: 4,
    linked_sensors: ['temperature_coil', 'vibration_rotor'],
  };

  const alarm = (
    severity: Severity,
    overrides: Partial<AlarmInput> & { sensor?: SensorName; category?: AnomalyCategory } = {},
  ): AlarmInput => ({
    sensor: 'temperature_coil',
    severity,
    category: 'thermal',
    state: 'active_unacknowledged',
    last_seen: iso(NOW - 60_000),
    cleared_at: null,
    ...overrides,
  });

  const cleared = (severity: Severity, clearedMs: number): AlarmInput =>
    alarm(severity, { state: 'cleared', cleared_at: iso(clearedMs), last_seen: iso(clearedMs - 60_000) });

  it.each<[string, AlarmInput[], number, number, number]>([
    ['no alarms', [], 3, 0, 0],
    ['one warning on a linked sensor', [alarm('warning')], 4, 1, 0],
    ['one critical on a linked sensor', [alarm('critical')], 5, 0, 1],
    [
      'two warnings and a critical',
      [
        alarm('warning'),
        alarm('warning', { sensor: 'vibration_rotor', category: 'mechanical' }),
        alarm('critical'),
      ],
      7,
      2,
      1,
    ],
    [
      'an alarm on an unlinked sensor',
      [alarm('critical', { sensor: 'current', category: 'electrical' })],
      3,
      0,
      0,
    ],
    ['a data-quality (sensor) alarm on a linked sensor', [alarm('warning', { category: 'sensor' })], 3, 0, 0],
    ['an acknowledged active alarm', [alarm('warning', { state: 'active_acknowledged' })], 4, 1, 0],
    [
      'an active alarm last seen days ago (still active)',
      [alarm('critical', { last_seen: iso(NOW - 3 * 86_400_000) })],
      5,
      0,
      1,
    ],
    ['an alarm cleared exactly 24 h ago', [cleared('warning', NOW - DYNAMIC_RPN_WINDOW_MS)], 4, 1, 0],
    ['an alarm cleared 24 h + 1 ms ago', [cleared('critical', NOW - DYNAMIC_RPN_WINDOW_MS - 1)], 3, 0, 0],
    ['an alarm cleared an hour ago', [cleared('critical', NOW - 3_600_000)], 5, 0, 1],
    [
      'a cleared alarm without cleared_at falls back to last_seen',
      [
        alarm('warning', {
          state: 'cleared',
          cleared_at: null,
          last_seen: iso(NOW - DYNAMIC_RPN_WINDOW_MS - 1),
        }),
      ],
      3,
      0,
      0,
    ],
    ['five criticals: occurrence capped at 10', Array.from({ length: 5 }, () => alarm('critical')), 10, 0, 5],
  ])('%s → occurrence %d', (_label, alarms, occurrence, warnings, criticals) => {
    const d = dynamicRpn(motor, alarms, NOW);
    expect(d).toEqual({
      rpn_base: 60,
      rpn_dynamic: 5 * occurrence * 4,
      occurrence_base: 3,
      occurrence_effective: occurrence,
      warnings_24h: warnings,
      criticals_24h: criticals,
    });
  });

  it('never exceeds RPN 1000 and never falls below the base RPN', () => {
    const rating = fc.integer({ min: 1, max: 10 });
    const alarmArb = fc.record({
      sensor: fc.constantFrom(...SENSOR_NAMES),
      severity: fc.constantFrom<Severity>('warning', 'critical'),
      category: fc.constantFrom<AnomalyCategory>('thermal', 'mechanical', 'electrical', 'sensor'),
      state: fc.constantFrom<Alarm['state']>('active_unacknowledged', 'active_acknowledged', 'cleared'),
      last_seen: fc.integer({ min: NOW - 3 * 86_400_000, max: NOW }).map(iso),
      cleared_at: fc.option(fc.integer({ min: NOW - 3 * 86_400_000, max: NOW }).map(iso), { nil: null }),
    });
    fc.assert(
      fc.property(
        rating,
        rating,
        rating,
        fc.subarray([...SENSOR_NAMES], { minLength: 1 }),
        fc.array(alarmArb, { maxLength: 30 }),
        (severity, occurrence, detection, linked, alarms) => {
          const component = { ...motor, severity, occurrence, detection, linked_sensors: linked };
          const d = dynamicRpn(component, alarms, NOW);
          expect(d.rpn_base).toBe(severity * occurrence * detection);
          expect(d.rpn_dynamic).toBeLessThanOrEqual(RPN_MAX);
          expect(d.rpn_dynamic).toBeGreaterThanOrEqual(d.rpn_base);
          expect(d.occurrence_effective).toBeLessThanOrEqual(10);
          expect(d.occurrence_effective).toBe(
            Math.min(10, occurrence + d.warnings_24h + 2 * d.criticals_24h),
          );
          expect(d.rpn_dynamic).toBe(severity * d.occurrence_effective * detection);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reaches exactly 1000 for S 10, D 10 with enough alarms', () => {
    const worst = { ...motor, severity: 10, occurrence: 9, detection: 10 };
    expect(dynamicRpn(worst, [alarm('critical')], NOW).rpn_dynamic).toBe(1000);
  });
});
