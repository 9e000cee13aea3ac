/**
 * One machine's history as a function of time: which shift row applies at an instant, whether the
 * machine runs or stands still then, and how many minutes and pieces have accumulated since the
 * history began. A shift row only says how long the machine stood still, not when, so the stop is laid
 * out deterministically: a Running shift's stop (changeovers, service) at the end of the shift, before
 * the handover; a repair right after the fault it repairs (from the labels); any other unplanned stop
 * at a position hashed from machine, date and shift. Time past the end wraps around to the beginning,
 * so a live replay can run for as long as the plant does.
 */
import type { MachineStatus } from '../lambdas/core/messages.js';
import type { FaultLabel } from './faults.js';
import { type HistoryRow, rowStart } from './history.js';
import { unitHash } from './seeds.js';
import { MINUTE_MS, SHIFT_MINUTES } from './time.js';

const SHIFT_MS = SHIFT_MINUTES * MINUTE_MS;
/** Speed assumed for a shift whose report has no performance rate. */
export const TYPICAL_SPEED = 0.92;

/** Minutes and pieces accumulated over a stretch of history. */
export interface Accumulated {
  planned: number;
  run: number;
  total: number;
  defects: number;
}

export interface MachineMoment {
  readonly status: MachineStatus;
  /** The reason for standing still (null while running or idle). */
  readonly reason: string | null;
  /** Production speed as a fraction of nameplate (the shift's performance rate). */
  readonly speed: number;
}

interface Shift {
  readonly row: HistoryRow;
  readonly start: number;
  /** The stop, in minutes from the shift start: [stopStart, stopEnd). */
  readonly stopStart: number;
  readonly stopEnd: number;
  /** Accumulated from the history's start to this shift's start. */
  readonly before: Accumulated;
}

const zero = (): Accumulated => ({ planned: 0, run: 0, total: 0, defects: 0 });

export function subtract(a: Accumulated, b: Accumulated): Accumulated {
  return {
    planned: a.planned - b.planned,
    run: a.run - b.run,
    total: a.total - b.total,
    defects: a.defects - b.defects,
  };
}

function addScaled(a: Accumulated, b: Accumulated, k: number): Accumulated {
  return {
    planned: a.planned + b.planned * k,
    run: a.run + b.run * k,
    total: a.total + b.total * k,
    defects: a.defects + b.defects * k,
  };
}

export class MachineTimeline {
  private readonly shifts: Shift[] = [];
  /** [start, end): from the first shift's start to the last shift's end. */
  readonly start: number;
  readonly end: number;
  private readonly whole: Accumulated;

  /** `rows`: this machine's rows; `labels`: its fault labels (history time), to place repairs. */
  constructor(rows: readonly HistoryRow[], labels: readonly FaultLabel[]) {
    if (rows.length === 0) throw new Error('a machine timeline needs at least one shift row');
    const sorted = [...rows].sort((a, b) => rowStart(a) - rowStart(b));
    const faultEnds = labels.map((l) => Date.parse(l.end));
    let acc = zero();
    for (const row of sorted) {
      const start = rowStart(row);
      const planned = Math.min(SHIFT_MINUTES, row.planned_minutes);
      const stop = Math.max(0, planned - row.run_minutes);
      let stopStart: number;
      if (row.status === 'Running') {
        stopStart = planned - stop;
      } else {
        const repairAt =
          row.jenis_maintenance === null
            ? undefined
            : faultEnds.find((e) => e >= start && e < start + SHIFT_MS);
        stopStart =
          repairAt !== undefined
            ? Math.ceil((repairAt - start) / MINUTE_MS)
            : Math.floor(unitHash(row.mesin, row.tanggal, row.shift) * (planned - stop + 1));
        stopStart = Math.max(0, Math.min(stopStart, planned - stop));
      }
      this.shifts.push({ row, start, stopStart, stopEnd: stopStart + stop, before: acc });
      acc = addScaled(
        acc,
        { planned, run: planned - stop, total: row.total_produksi, defects: row.produk_cacat },
        1,
      );
    }
    this.start = (this.shifts[0] as Shift).start;
    this.end = (this.shifts[this.shifts.length - 1] as Shift).start + SHIFT_MS;
    this.whole = acc;
  }

  get machineId(): string {
    return (this.shifts[0] as Shift).row.mesin;
  }

  /** The last shift starting at or before `t` (already folded into [start, end)). */
  private shiftBefore(t: number): Shift {
    let lo = 0;
    let hi = this.shifts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.shifts[mid] as Shift).start <= t) lo = mid;
      else hi = mid - 1;
    }
    return this.shifts[lo] as Shift;
  }

  /** `t` folded into [start, end) and the number of whole laps it took. */
  fold(t: number): { t: number; lap: number } {
    const period = this.end - this.start;
    const lap = Math.floor((t - this.start) / period);
    return { t: t - lap * period, lap };
  }

  /** Minutes and pieces accumulated from the history's start to `t` (laps add whole histories). */
  accumulatedAt(t: number): Accumulated {
    const { t: at, lap } = this.fold(t);
    const shift = this.shiftBefore(at);
    const row = shift.row;
    const minute = Math.min((at - shift.start) / MINUTE_MS, SHIFT_MINUTES);
    const planned = Math.min(minute, row.planned_minutes);
    const stopped = Math.max(0, Math.min(planned, shift.stopEnd) - shift.stopStart);
    const run = Math.max(0, planned - stopped);
    const share = row.run_minutes > 0 ? run / row.run_minutes : 0;
    const within = { planned, run, total: row.total_produksi * share, defects: row.produk_cacat * share };
    return addScaled(addScaled(shift.before, within, 1), this.whole, lap);
  }

  /** What the machine is doing at `t`. */
  momentAt(t: number): MachineMoment {
    const at = this.fold(t).t;
    const shift = this.shiftBefore(at);
    if (at >= shift.start + SHIFT_MS) return { status: 'Idle', reason: null, speed: 0 };
    const row = shift.row;
    const minute = (at - shift.start) / MINUTE_MS;
    const speed = row.performance_rate > 0 ? row.performance_rate / 100 : TYPICAL_SPEED;
    if (minute >= row.planned_minutes) return { status: 'Idle', reason: null, speed };
    if (minute >= shift.stopStart && minute < shift.stopEnd) {
      return { status: row.status === 'Running' ? 'Setup' : 'Downtime', reason: row.downtime_reason, speed };
    }
    return { status: 'Running', reason: null, speed };
  }
}
