/**
 * OEE (DESIGN.md §4): one shift from its latest snapshot with the documented edge cases, a window as the
 * weighted combination of the shifts it touches, and the shift clock.
 */
import { describe, expect, it } from 'vitest';
import {
  computeShiftOee,
  computeWindowOee,
  type ProductionSnapshot,
  SHIFT_MS,
  shiftStart,
} from '../../lambdas/core/oee.js';

const IDEAL = 12.5;
const DAY = Date.parse('2025-10-23T00:00:00.000Z');
const H = 60 * 60 * 1000;

const snapshot = (overrides: Partial<ProductionSnapshot> = {}): ProductionSnapshot => ({
  ts: DAY + 10 * H,
  total_produksi: 4500,
  produk_cacat: 180,
  planned_minutes: 480,
  run_minutes: 410,
  ...overrides,
});

describe('computeShiftOee', () => {
  it('computes A = run/planned, P = total/(ideal × run), Q = good/total', () => {
    const oee = computeShiftOee(
      snapshot({ total_produksi: 4000, produk_cacat: 100, run_minutes: 400 }),
      IDEAL,
    );
    expect(oee.availability).toBeCloseTo(400 / 480, 12);
    expect(oee.performance).toBeCloseTo(4000 / (12.5 * 400), 12);
    expect(oee.quality).toBeCloseTo(3900 / 4000, 12);
    expect(oee.oee).toBeCloseTo((400 / 480) * 0.8 * 0.975, 12);
    expect(oee).toMatchObject({
      planned_minutes: 480,
      run_minutes: 400,
      total_produksi: 4000,
      produk_cacat: 100,
    });
    expect(oee.shifts).toBe(1);
  });

  it('uses the message’s ideal rate over the profile’s', () => {
    const oee = computeShiftOee(
      snapshot({ total_produksi: 4000, run_minutes: 400, ideal_rate_ppm: 20 }),
      IDEAL,
    );
    expect(oee.performance).toBeCloseTo(0.5, 12);
  });

  it.each([
    [
      'planned 0: availability and OEE undefined',
      { planned_minutes: 0, run_minutes: 0, total_produksi: 0, produk_cacat: 0 },
      { availability: null, performance: null, quality: null, oee: null },
    ],
    [
      'run 0 with planned time: A 0, P undefined, OEE 0',
      { run_minutes: 0, total_produksi: 0, produk_cacat: 0 },
      { availability: 0, performance: null, quality: null, oee: 0 },
    ],
    [
      'ran but made nothing: P 0, Q undefined, OEE 0',
      { total_produksi: 0, produk_cacat: 0 },
      { availability: 410 / 480, performance: 0, quality: null, oee: 0 },
    ],
    [
      'all pieces defective: Q 0, OEE 0',
      { produk_cacat: 4500 },
      { availability: 410 / 480, performance: 4500 / (12.5 * 410), quality: 0, oee: 0 },
    ],
    [
      'faster than nameplate: P clamped to 1',
      { total_produksi: 6000, produk_cacat: 0, run_minutes: 400, planned_minutes: 400 },
      { availability: 1, performance: 1, quality: 1, oee: 1 },
    ],
    [
      'explicit rates win over computed ones',
      { availability_rate: 95.2, performance_rate: 92.3, quality_rate: 96.8 },
      { availability: 0.952, performance: 0.923, quality: 0.968, oee: 0.952 * 0.923 * 0.968 },
    ],
    [
      'explicit rates win even where the computed one is undefined',
      { planned_minutes: 0, run_minutes: 0, total_produksi: 0, produk_cacat: 0, availability_rate: 0 },
      { availability: 0, performance: null, quality: null, oee: 0 },
    ],
    [
      'an explicit performance over 100 % of nameplate is not recomputed',
      { total_produksi: 6000, performance_rate: 88 },
      { performance: 0.88 },
    ],
  ])('%s', (_label, overrides, expected) => {
    const oee = computeShiftOee(snapshot(overrides), IDEAL);
    for (const [key, value] of Object.entries(expected)) {
      const actual = oee[key as keyof typeof oee];
      if (value === null) expect(actual, key).toBeNull();
      else expect(actual, key).toBeCloseTo(value as number, 12);
    }
  });
});

describe('shiftStart', () => {
  it.each([
    ['05:59:59.999', 6, '2025-10-22T22:00:00.000Z'],
    ['06:00:00.000', 6, '2025-10-23T06:00:00.000Z'],
    ['13:59:59.999', 6, '2025-10-23T06:00:00.000Z'],
    ['14:00:00.000', 6, '2025-10-23T14:00:00.000Z'],
    ['21:59:59.999', 6, '2025-10-23T14:00:00.000Z'],
    ['22:00:00.000', 6, '2025-10-23T22:00:00.000Z'],
    ['00:00:00.000', 0, '2025-10-23T00:00:00.000Z'],
    ['07:59:59.999', 0, '2025-10-23T00:00:00.000Z'],
    ['08:00:00.000', 0, '2025-10-23T08:00:00.000Z'],
    ['06:59:59.999', 7, '2025-10-22T23:00:00.000Z'],
    ['07:00:00.000', 7, '2025-10-23T07:00:00.000Z'],
    ['04:59:59.999', -3, '2025-10-22T21:00:00.000Z'],
    ['05:00:00.000', -3, '2025-10-23T05:00:00.000Z'],
  ])('%s UTC with offset %d h starts at %s', (time, offset, expected) => {
    expect(new Date(shiftStart(Date.parse(`2025-10-23T${time}Z`), offset)).toISOString()).toBe(expected);
  });

  it('defaults to 06:00 UTC shifts', () => {
    expect(shiftStart(DAY + 5 * H)).toBe(DAY - 2 * H);
  });

  it('is idempotent and within one shift of ts', () => {
    for (let ts = DAY; ts < DAY + 2 * SHIFT_MS; ts += 37 * 60_000 + 13) {
      const start = shiftStart(ts);
      expect(start).toBeLessThanOrEqual(ts);
      expect(ts - start).toBeLessThan(SHIFT_MS);
      expect(shiftStart(start)).toBe(start);
    }
  });
});

describe('computeWindowOee', () => {
  const day = { from: DAY, to: DAY + 24 * H };

  it('is null without snapshots in the window', () => {
    expect(computeWindowOee([], day, IDEAL)).toBeNull();
    expect(computeWindowOee([snapshot({ ts: DAY - 1 })], day, IDEAL)).toBeNull();
  });

  it('bounds the window as [from, to)', () => {
    const at = (ts: number) => computeWindowOee([snapshot({ ts })], day, IDEAL);
    expect(at(day.from)).not.toBeNull();
    expect(at(day.to - 1)).not.toBeNull();
    expect(at(day.to)).toBeNull();
    expect(at(day.from - 1)).toBeNull();
  });

  it('uses the latest snapshot of each shift (snapshots are cumulative), in any order', () => {
    const early = snapshot({
      ts: DAY + 8 * H,
      total_produksi: 1000,
      produk_cacat: 10,
      run_minutes: 100,
      planned_minutes: 120,
    });
    const late = snapshot({
      ts: DAY + 13 * H,
      total_produksi: 4000,
      produk_cacat: 100,
      run_minutes: 400,
      planned_minutes: 420,
    });
    for (const list of [
      [early, late],
      [late, early],
    ]) {
      const oee = computeWindowOee(list, day, IDEAL);
      const shift = computeShiftOee(late, IDEAL);
      expect(oee).toMatchObject({ shifts: 1, total_produksi: 4000, produk_cacat: 100, run_minutes: 400 });
      for (const key of ['availability', 'performance', 'quality', 'oee'] as const) {
        expect(oee?.[key]).toBeCloseTo(shift[key] as number, 12);
      }
    }
  });

  it('weights A by planned time, P by run time and Q by pieces across shifts', () => {
    const morning = snapshot({
      ts: DAY + 13 * H,
      planned_minutes: 480,
      run_minutes: 480,
      total_produksi: 6000,
      produk_cacat: 0,
    });
    const evening = snapshot({
      ts: DAY + 21 * H,
      planned_minutes: 240,
      run_minutes: 120,
      total_produksi: 750,
      produk_cacat: 75,
    });
    const oee = computeWindowOee([morning, evening], day, IDEAL);
    expect(oee).not.toBeNull();
    expect(oee?.shifts).toBe(2);
    expect(oee?.availability).toBeCloseTo(600 / 720, 12);
    expect(oee?.performance).toBeCloseTo(6750 / (12.5 * 600), 12);
    expect(oee?.quality).toBeCloseTo(6675 / 6750, 12);
    expect(oee?.oee).toBeCloseTo((600 / 720) * (6750 / 7500) * (6675 / 6750), 12);
    expect(oee).toMatchObject({
      planned_minutes: 720,
      run_minutes: 600,
      total_produksi: 6750,
      produk_cacat: 75,
    });
  });

  it('combines explicit per-shift rates by the same weights', () => {
    const a = snapshot({
      ts: DAY + 13 * H,
      planned_minutes: 300,
      run_minutes: 300,
      availability_rate: 90,
      performance_rate: 80,
      quality_rate: 100,
    });
    const b = snapshot({
      ts: DAY + 21 * H,
      planned_minutes: 100,
      run_minutes: 50,
      total_produksi: 500,
      availability_rate: 50,
      performance_rate: 100,
      quality_rate: 90,
    });
    const oee = computeWindowOee([a, b], day, IDEAL);
    expect(oee?.availability).toBeCloseTo((0.9 * 300 + 0.5 * 100) / 400, 12);
    expect(oee?.performance).toBeCloseTo((0.8 * 300 + 1 * 50) / 350, 12);
    expect(oee?.quality).toBeCloseTo((1 * 4500 + 0.9 * 500) / 5000, 12);
  });

  it('keeps the shift edge cases: a window with planned time but no run has A 0 and OEE 0', () => {
    const idle = snapshot({ ts: DAY + 13 * H, run_minutes: 0, total_produksi: 0, produk_cacat: 0 });
    expect(computeWindowOee([idle], day, IDEAL)).toMatchObject({
      availability: 0,
      performance: null,
      quality: null,
      oee: 0,
    });
    const unplanned = snapshot({
      ts: DAY + 13 * H,
      planned_minutes: 0,
      run_minutes: 0,
      total_produksi: 0,
      produk_cacat: 0,
    });
    expect(computeWindowOee([unplanned], day, IDEAL)).toMatchObject({
      availability: null,
      oee: null,
      shifts: 1,
    });
  });

  it('honours the shift offset when grouping snapshots', () => {
    // 05:00 and 07:00 UTC: two shifts with 06:00 shifts, one shift with 00:00 shifts.
    const s1 = snapshot({ ts: DAY + 5 * H, total_produksi: 100 });
    const s2 = snapshot({ ts: DAY + 7 * H, total_produksi: 200 });
    expect(computeWindowOee([s1, s2], day, IDEAL, 6)?.shifts).toBe(2);
    const one = computeWindowOee([s1, s2], day, IDEAL, 0);
    expect(one?.shifts).toBe(1);
    expect(one?.total_produksi).toBe(200);
  });
});
