/**
 * Health index (DESIGN.md §4): status boundaries, the seed's worked numbers, the fallback without OEE,
 * the automatic prediction trigger and, over random inputs, published figures that add up.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnomalyCategory, Severity } from '../../lambdas/core/anomaly/rules.js';
import { type Component, FLEXO_104_COMPONENTS } from '../../lambdas/core/fmea.js';
import {
  type AlarmForHealth,
  AUTO_PREDICTION_BELOW,
  componentHealth,
  healthStatus,
  machineHealth,
  round1,
} from '../../lambdas/core/health.js';
import type { Oee } from '../../lambdas/core/oee.js';
import { SENSOR_NAMES } from '../../lambdas/core/sensors.js';

const NOW = Date.parse('2025-10-23T12:00:00.000Z');

const preFeeder = FLEXO_104_COMPONENTS.find((c) => c.component_name === 'Pre-Feeder') as Component;

const withRatings = (severity: number, occurrence: number, detection: number): Component => ({
  ...preFeeder,
  severity,
  occurrence,
  detection,
});

function oeeOf(availability: number | null, performance: number | null, quality: number | null): Oee {
  // As oee.ts: a zero factor makes OEE zero, otherwise any undefined factor leaves it undefined.
  const oee = [availability, performance, quality].includes(0)
    ? 0
    : availability === null || performance === null || quality === null
      ? null
      : availability * performance * quality;
  return {
    availability,
    performance,
    quality,
    oee,
    planned_minutes: 480,
    run_minutes: 400,
    total_produksi: 4500,
    produk_cacat: 100,
    shifts: 1,
  };
}

/** The number of tenths in a one-decimal figure (exact integer arithmetic on published decimals). */
const tenths = (x: number) => Math.round(x * 10);
const isOneDecimal = (x: number) => Math.abs(x * 10 - tenths(x)) < 1e-6 && round1(x) === x;

describe('healthStatus boundaries', () => {
  it.each([
    [100, 'Good', '#22C55E'],
    [70, 'Good', '#22C55E'],
    [69.9, 'Warning', '#EAB308'],
    [50, 'Warning', '#EAB308'],
    [69.99, 'Warning', '#EAB308'],
    [49.99, 'Critical', '#EF4444'],
    [49.9, 'Critical', '#EF4444'],
    [0, 'Critical', '#EF4444'],
  ])('%d → %s %s', (index, status, color) => {
    expect(healthStatus(index)).toMatchObject({ status, color });
  });

  it.each<[string, Component, Oee | null, number, string, boolean]>([
    ['RPN 300, no OEE', withRatings(5, 6, 10), null, 70, 'Good', false],
    ['RPN 250, OEE 66.5', withRatings(5, 5, 10), oeeOf(0.665, 1, 1), 69.9, 'Warning', false],
    ['RPN 500, no OEE', withRatings(5, 10, 10), null, 50, 'Warning', false],
    ['RPN 1000, OEE 83.2', withRatings(10, 10, 10), oeeOf(0.832, 1, 1), 49.9, 'Critical', true],
  ])('componentHealth at a boundary: %s → %d %s', (_label, component, oee, index, status, auto) => {
    const h = componentHealth(component, oee, [], NOW);
    expect(h.health_index).toBe(index);
    expect(h.status).toBe(status);
    expect(h.auto_triggered).toBe(auto);
    expect(h.color).toBe(healthStatus(index).color);
  });
});

describe('the seed’s worked numbers', () => {
  it('RPN 180 → rpn_score 82.0', () => {
    const h = componentHealth(preFeeder, null, [], NOW);
    expect(h.metrics.rpn_value).toBe(180);
    expect(h.metrics.rpn_score).toBe(82);
    expect(h.calculation_details.rpn_score_formula).toBe('100 × (1 − 180 / 1000) = 82');
  });

  it('A 95.2 %, P 92.3 %, Q 96.8 % with RPN 180: 32.8 + 51.1 = 83.9, and it adds up exactly', () => {
    const h = componentHealth(preFeeder, oeeOf(0.952, 0.923, 0.968), [], NOW);
    expect(h.metrics).toMatchObject({
      rpn_score: 82,
      oee_score: 85.1,
      availability_rate: 95.2,
      performance_rate: 92.3,
      quality_rate: 96.8,
      rpn_value: 180,
      rpn_dynamic: 180,
      rpn_max: 1000,
    });
    const d = h.calculation_details;
    expect(d).toMatchObject({
      formula: '(RPN_Score × 0.4) + (OEE_Score × 0.6)',
      oee_score_formula: '95.2% × 92.3% × 96.8% = 85.1',
      rpn_weight: 0.4,
      oee_weight: 0.6,
      rpn_contribution: 32.8,
      oee_contribution: 51.1,
    });
    expect(h.health_index).toBe(83.9);
    expect(d.rpn_contribution + d.oee_contribution).toBe(h.health_index);
    expect(h).toMatchObject({ status: 'Good', color: '#22C55E', auto_triggered: false });
    expect(h.recommendations).toEqual(preFeeder.recommendations.good);
  });
});

describe('componentHealth', () => {
  it('without OEE rests on the RPN alone and says so', () => {
    for (const oee of [null, oeeOf(null, null, null)]) {
      const h = componentHealth(preFeeder, oee, [], NOW);
      expect(h.health_index).toBe(82);
      expect(h.metrics.oee_score).toBeNull();
      expect(h.calculation_details).toMatchObject({
        rpn_weight: 1,
        oee_weight: 0,
        rpn_contribution: 82,
        oee_contribution: 0,
      });
      expect(h.calculation_details.formula).toContain('no OEE data');
      expect(h.calculation_details.oee_score_formula).toBe('A × P × Q × 100 = n/a');
    }
  });

  it('an OEE of 0 is data, not its absence', () => {
    const h = componentHealth(preFeeder, oeeOf(0, null, null), [], NOW);
    expect(h.metrics.oee_score).toBe(0);
    expect(h.health_index).toBe(32.8);
    expect(h.status).toBe('Critical');
    expect(h.auto_triggered).toBe(true);
    expect(h.recommendations).toEqual(preFeeder.recommendations.critical);
  });

  it(`triggers the prediction below ${AUTO_PREDICTION_BELOW}, not at it`, () => {
    expect(componentHealth(withRatings(5, 10, 10), null, [], NOW).auto_triggered).toBe(false);
    expect(componentHealth(withRatings(10, 10, 10), oeeOf(0.832, 1, 1), [], NOW).auto_triggered).toBe(true);
  });

  it('scores the dynamic RPN: recent alarms on linked sensors lower the health', () => {
    const alarms: AlarmForHealth[] = [
      {
        sensor: 'humidity_env',
        severity: 'critical',
        category: 'environment',
        state: 'active_unacknowledged',
        last_seen: new Date(NOW).toISOString(),
        cleared_at: null,
      },
    ];
    const h = componentHealth(preFeeder, null, alarms, NOW);
    expect(h.metrics).toMatchObject({
      rpn_value: 180,
      rpn_dynamic: 6 * 7 * 6,
      occurrence: 5,
      occurrence_effective: 7,
      criticals_24h: 1,
      warnings_24h: 0,
    });
    expect(h.metrics.rpn_score).toBe(74.8);
  });

  it('published figures always add up, for any ratings, OEE and alarms', () => {
    const rating = fc.integer({ min: 1, max: 10 });
    const factor = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1, 0.5));
    const alarmArb = fc.record({
      sensor: fc.constantFrom(...SENSOR_NAMES),
      severity: fc.constantFrom<Severity>('warning', 'critical'),
      category: fc.constantFrom<AnomalyCategory>('thermal', 'environment', 'sensor'),
      state: fc.constantFrom('active_unacknowledged' as const, 'cleared' as const),
      last_seen: fc.constant(new Date(NOW - 60_000).toISOString()),
      cleared_at: fc.constant(new Date(NOW - 30_000).toISOString()),
    });
    fc.assert(
      fc.property(
        rating,
        rating,
        rating,
        fc.option(fc.tuple(factor, factor, factor), { nil: null }),
        fc.array(alarmArb, { maxLength: 6 }),
        (s, o, d, apq, alarms) => {
          const component = withRatings(s, o, d);
          const oee = apq === null ? null : oeeOf(...apq);
          const h = componentHealth(component, oee, alarms, NOW);
          const { rpn_contribution: a, oee_contribution: b } = h.calculation_details;
          for (const x of [a, b, h.health_index, h.metrics.rpn_score, h.metrics.oee_score ?? 0]) {
            expect(isOneDecimal(x), String(x)).toBe(true);
          }
          // The decimals a reader sees add up exactly.
          expect(tenths(a) + tenths(b)).toBe(tenths(h.health_index));
          expect(Math.abs(a + b - h.health_index)).toBeLessThan(1e-9);
          // And they stay within rounding of the unrounded formula.
          const exact =
            h.metrics.oee_score === null
              ? h.metrics.rpn_score
              : 0.4 * h.metrics.rpn_score + 0.6 * h.metrics.oee_score;
          expect(Math.abs(h.health_index - exact)).toBeLessThanOrEqual(0.1 + 1e-9);
          expect(h.health_index).toBeGreaterThanOrEqual(0);
          expect(h.health_index).toBeLessThanOrEqual(100);
          const status = healthStatus(h.health_index);
          expect(h.status).toBe(status.status);
          expect(h.color).toBe(status.color);
          expect(h.auto_triggered).toBe(h.health_index < 50);
          expect(h.recommendations).toEqual(component.recommendations[status.key]);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('contributions add up for every reachable RPN and every one-decimal OEE score', () => {
  it('rpn_contribution + oee_contribution = health_index, in tenths', () => {
    const rpns = new Set<number>();
    for (let s = 1; s <= 10; s++)
      for (let o = 1; o <= 10; o++) for (let d = 1; d <= 10; d++) rpns.add(s * o * d);
    let checked = 0;
    for (const value of rpns) {
      const [s, o, d] = factor(value);
      const component = withRatings(s, o, d);
      for (let k = 0; k <= 1000; k++) {
        const h = componentHealth(component, oeeOf(k / 1000, 1, 1), [], NOW);
        const { rpn_contribution: a, oee_contribution: b } = h.calculation_details;
        if (tenths(a) + tenths(b) !== tenths(h.health_index)) {
          throw new Error(`RPN ${value}, OEE ${k / 10}: ${a} + ${b} ≠ ${h.health_index}`);
        }
        checked++;
      }
    }
    expect(checked).toBe(rpns.size * 1001);
  });
});

/** Ratings 1..10 whose product is `rpn` (rpn must be reachable). */
function factor(rpn: number): [number, number, number] {
  for (let s = 1; s <= 10; s++) {
    for (let o = 1; o <= 10; o++) {
      const d = rpn / (s * o);
      if (Number.isInteger(d) && d >= 1 && d <= 10) return [s, o, d];
    }
  }
  throw new Error(`RPN ${rpn} is not reachable`);
}

describe('round1', () => {
  it.each([
    [53.099999999999994, 53.1],
    [0.05, 0.1],
    [0.04999, 0],
    [-0.05, -0.1],
    [82, 82],
    [51.06, 51.1],
  ])('round1(%d) = %d', (x, expected) => {
    expect(round1(x)).toBe(expected);
  });
});

describe('machineHealth', () => {
  it('is the weakest component’s health, with a summary of all fifteen', () => {
    const oee = oeeOf(0.9, 0.9, 0.95);
    const m = machineHealth(FLEXO_104_COMPONENTS, oee, [], NOW);
    expect(m).not.toBeNull();
    const all = FLEXO_104_COMPONENTS.map((c) => componentHealth(c, oee, [], NOW));
    const weakest = all.reduce((w, h) => (h.health_index < w.health_index ? h : w));
    expect(m?.health_index).toBe(weakest.health_index);
    expect(m?.worst_component).toBe(weakest.component_name);
    expect(m?.status).toBe(weakest.status);
    expect(m?.color).toBe(weakest.color);
    expect(m?.oee_score).toBe(weakest.metrics.oee_score);
    expect(m?.components).toHaveLength(15);
    expect(Math.min(...(m?.components ?? []).map((c) => c.health_index))).toBe(m?.health_index);
  });

  it('moves to the component whose linked sensors alarm', () => {
    const alarms: AlarmForHealth[] = Array.from({ length: 3 }, () => ({
      sensor: 'temperature_coil',
      severity: 'critical',
      category: 'thermal',
      state: 'active_unacknowledged',
      last_seen: new Date(NOW).toISOString(),
      cleared_at: null,
    }));
    const m = machineHealth(FLEXO_104_COMPONENTS, null, alarms, NOW);
    expect(m?.worst_component).toBe('Main Drive Motor');
    const motor = m?.components.find((c) => c.component_name === 'Main Drive Motor');
    expect(motor?.rpn_dynamic).toBeGreaterThan(motor?.rpn_value ?? Number.POSITIVE_INFINITY);
  });

  it('is null without components', () => {
    expect(machineHealth([], null, [], NOW)).toBeNull();
  });
});
