/**
 * Overall Equipment Effectiveness (DESIGN.md §4). A production message is a snapshot of the current
 * shift so far (cumulative minutes and counts), so a shift's figures are those of its latest snapshot,
 * and a window's figures are the sum over the shifts it touches.
 *
 *   A = run / planned      P = total / (ideal_rate × run)      Q = (total − defects) / total
 *
 * P is pieces made over pieces the run time allows at nameplate speed (DESIGN.md writes it with the
 * ideal cycle time, 1 / ideal_rate, in the numerator: the same quantity).
 * Explicit rates in a message win over computed ones (the machine's controller knows its own speed
 * changes and micro-stops better than we do).
 */
import type { ProductionMessage } from './messages.js';

/** Fractions 0..1; null where the figure is undefined (see `computeShiftOee`). */
export interface Oee {
  readonly availability: number | null;
  readonly performance: number | null;
  readonly quality: number | null;
  /** A × P × Q; null when any factor is null. */
  readonly oee: number | null;
  readonly planned_minutes: number;
  readonly run_minutes: number;
  readonly total_produksi: number;
  readonly produk_cacat: number;
  /** Shifts (snapshots) the figures cover. */
  readonly shifts: number;
}

/** A production snapshot as OEE needs it (a validated ProductionMessage is one). */
export type ProductionSnapshot = Pick<
  ProductionMessage,
  | 'ts'
  | 'total_produksi'
  | 'produk_cacat'
  | 'planned_minutes'
  | 'run_minutes'
  | 'ideal_rate_ppm'
  | 'availability_rate'
  | 'performance_rate'
  | 'quality_rate'
>;

export const SHIFT_MS = 8 * 60 * 60 * 1000;

/**
 * Start of the 8 h shift containing `ts`. Shifts start at `offsetHours` past midnight UTC
 * (default 06:00 UTC, i.e. 06–14, 14–22, 22–06 in UTC; set the plant's offset in its profile).
 */
export function shiftStart(ts: number, offsetHours = 6): number {
  const offset = offsetHours * 60 * 60 * 1000;
  return Math.floor((ts - offset) / SHIFT_MS) * SHIFT_MS + offset;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * One shift's OEE from its latest snapshot.
 * - planned = 0: nothing was planned, so availability (and OEE) are undefined (null), not 0.
 * - run = 0 with planned > 0: A = 0 and OEE = 0; performance is undefined (no run time to judge).
 * - total = 0 with run > 0: P = 0 (the machine ran and made nothing); Q is undefined, and OEE = 0.
 */
export function computeShiftOee(s: ProductionSnapshot, idealRatePpm: number): Oee {
  const availability =
    s.availability_rate !== undefined
      ? s.availability_rate / 100
      : s.planned_minutes > 0
        ? s.run_minutes / s.planned_minutes
        : null;
  const idealRate = s.ideal_rate_ppm ?? idealRatePpm;
  const performance =
    s.performance_rate !== undefined
      ? s.performance_rate / 100
      : s.run_minutes > 0
        ? clamp01(s.total_produksi / (idealRate * s.run_minutes))
        : null;
  const quality =
    s.quality_rate !== undefined
      ? s.quality_rate / 100
      : s.total_produksi > 0
        ? (s.total_produksi - s.produk_cacat) / s.total_produksi
        : null;
  return {
    availability,
    performance,
    quality,
    oee: product(availability, performance, quality),
    planned_minutes: s.planned_minutes,
    run_minutes: s.run_minutes,
    total_produksi: s.total_produksi,
    produk_cacat: s.produk_cacat,
    shifts: 1,
  };
}

/** A zero factor makes OEE zero even when another factor is undefined; otherwise any null gives null. */
function product(a: number | null, p: number | null, q: number | null): number | null {
  if (a === 0 || p === 0 || q === 0) return 0;
  if (a === null || p === null || q === null) return null;
  return a * p * q;
}

/**
 * OEE over a window: the latest snapshot of each shift within [from, to), combined with time and count
 * weights (A by planned time, P by run time, Q by pieces), so explicit per-shift rates still combine
 * correctly. Returns null when no snapshot falls in the window.
 */
export function computeWindowOee(
  snapshots: readonly ProductionSnapshot[],
  window: { from: number; to: number },
  idealRatePpm: number,
  shiftOffsetHours = 6,
): Oee | null {
  const latest = new Map<number, ProductionSnapshot>();
  for (const s of snapshots) {
    if (s.ts < window.from || s.ts >= window.to) continue;
    const key = shiftStart(s.ts, shiftOffsetHours);
    const current = latest.get(key);
    if (current === undefined || s.ts > current.ts) latest.set(key, s);
  }
  if (latest.size === 0) return null;
  let planned = 0;
  let run = 0;
  let total = 0;
  let defects = 0;
  let aWeighted = 0;
  let aWeight = 0;
  let pWeighted = 0;
  let pWeight = 0;
  let qWeighted = 0;
  let qWeight = 0;
  for (const s of latest.values()) {
    const shift = computeShiftOee(s, idealRatePpm);
    planned += s.planned_minutes;
    run += s.run_minutes;
    total += s.total_produksi;
    defects += s.produk_cacat;
    if (shift.availability !== null && s.planned_minutes > 0) {
      aWeighted += shift.availability * s.planned_minutes;
      aWeight += s.planned_minutes;
    }
    if (shift.performance !== null && s.run_minutes > 0) {
      pWeighted += shift.performance * s.run_minutes;
      pWeight += s.run_minutes;
    }
    if (shift.quality !== null && s.total_produksi > 0) {
      qWeighted += shift.quality * s.total_produksi;
      qWeight += s.total_produksi;
    }
  }
  const availability = aWeight > 0 ? aWeighted / aWeight : planned > 0 ? 0 : null;
  const performance = pWeight > 0 ? pWeighted / pWeight : null;
  const quality = qWeight > 0 ? qWeighted / qWeight : null;
  return {
    availability,
    performance,
    quality,
    oee: product(availability, performance, quality),
    planned_minutes: planned,
    run_minutes: run,
    total_produksi: total,
    produk_cacat: defects,
    shifts: latest.size,
  };
}
