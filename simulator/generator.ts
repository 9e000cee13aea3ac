/**
 * The history generator: a year (or any span) of shift reports for a fleet of Flexo 104 machines, with
 * the faults behind them as ground-truth labels. The generating process is documented in
 * simulator/README.md ("How the history is generated"); the constants below carry its numbers.
 *
 * Each machine is generated shift by shift from its own random stream, so C_FL104's history does not
 * depend on how many sister machines are generated beside it. Same options → identical output.
 */

import { FLEXO_104_PROFILE } from '../lambdas/core/profiles.js';
import type { Random } from '../lambdas/core/random.js';
import type { SensorName } from '../lambdas/core/sensors.js';
import { climateAt } from './environment.js';
import { FAULTS, type FaultLabel, type FaultType, type FaultWindow, makeLabel } from './faults.js';
import {
  compareRows,
  type History,
  type HistoryRow,
  machineIds,
  type ShiftSensorAggregates,
} from './history.js';
import {
  faultKeepsRunning,
  type MachineTraits,
  MotorModel,
  machineTraits,
  type SensorReadings,
} from './motor.js';
import { streamFor } from './seeds.js';
import {
  addMonths,
  DAY_MS,
  formatDate,
  MINUTE_MS,
  parseDate,
  SHIFT_MINUTES,
  shiftOf,
  shiftStartOf,
} from './time.js';

export interface GenerateHistoryOptions {
  /** First day, YYYY-MM-DD (default 2024-10-01, the first month of the original reports). */
  readonly from?: string;
  /** Whole months from `from`'s month (default 13: October 2024 … October 2025). */
  readonly months?: number;
  /** Machine count (C_FL104, C_FL105, …) or explicit ids (default 1). */
  readonly machines?: number | readonly string[];
  readonly seed?: number;
}

export const DEFAULT_HISTORY = { from: '2024-10-01', months: 13, machines: 1, seed: 1 } as const;

const SHIFT_MS = SHIFT_MINUTES * MINUTE_MS;
const SAMPLE_MS = 5 * MINUTE_MS;
const IDEAL_PPM = FLEXO_104_PROFILE.ideal_rate_ppm;
/** Shortest run a shift keeps whatever stops pile up in it, minutes. */
const MIN_RUN_MINUTES = 30;

/** Month factors, January first: order mix and Ramadan/Lebaran slow-down; unplanned-stop likelihood. */
const MONTH_SPEED = [1.0, 1.005, 0.975, 0.985, 1.0, 1.0, 1.005, 1.0, 1.0, 1.0, 1.005, 0.995];
const MONTH_STOPS = [1.05, 0.95, 1.2, 1.4, 0.95, 0.9, 0.9, 0.9, 0.9, 0.95, 0.95, 1.15];
/** Wet season (Nov–Mar): storms on the grid. */
const WET_MONTHS = new Set([0, 1, 2, 10, 11]);

/** Unplanned stops that are not a machine fault, with their relative likelihood. */
const STOP_REASONS: readonly (readonly [string, number])[] = [
  ['Material shortage', 0.3],
  ['Waiting for plates/ink', 0.25],
  ['Quality hold', 0.15],
  ['Operator shortage', 0.15],
  ['Power outage', 0.15],
];
const STOP_PROBABILITY = 0.104;

type MaintenanceType = 'preventive' | 'print_unit_service' | FaultType;

/** Median hours of each maintenance before wear, defect and volume factors. */
const MAINTENANCE_HOURS: Readonly<Record<MaintenanceType, number>> = {
  preventive: 0.6,
  print_unit_service: 1.0,
  overheating: 2.4,
  bearing_wear: 4.6,
  overcurrent: 1.6,
  undervoltage: 1.2,
  pressure_instability: 2.0,
  sensor_dropout: 0.9,
  stuck_value: 0.7,
};
const MAX_MAINTENANCE_HOURS = 7;

/** How long each fault lasts before it is repaired, minutes: [min, max]. */
const FAULT_MINUTES: Readonly<Record<FaultType, readonly [number, number]>> = {
  overheating: [20, 90],
  bearing_wear: [2 * 1440, 6 * 1440],
  // A class 10 overload relay trips a 130 % overload within minutes.
  overcurrent: [2, 4],
  undervoltage: [5, 40],
  pressure_instability: [30, 180],
  sensor_dropout: [30, 240],
  stuck_value: [60, 240],
};
const DROPOUT_SENSORS: readonly SensorName[] = [
  'vibration_rotor',
  'current',
  'pressure',
  'temperature_coil',
  'voltage',
];
const STUCK_SENSORS: readonly SensorName[] = ['vibration_rotor', 'current', 'pressure', 'temperature_coil'];

/** What a machine carries from shift to shift. */
interface Wear {
  /** Anilox, doctor blade and plate wear 0..1+: defects rise with it; a print-unit service resets it. */
  print: number;
  /** Main-drive bearing wear 0..1+: vibration rises with it; lubrication slows it, replacement resets it. */
  bearing: number;
  /** Print wear at which the next print-unit service is due. */
  serviceDueAt: number;
  /** Pieces made since the last maintenance of any kind. */
  volumeSinceMaintenance: number;
}

interface Block {
  /** Minutes from the shift start. */
  start: number;
  end: number;
  kind: 'changeover' | 'maintenance' | 'stop' | 'carryover';
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const uniform = (r: Random, lo: number, hi: number) => lo + (hi - lo) * r.next();
const round2 = (x: number) => Math.round(x * 100) / 100;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

function pick<T>(r: Random, items: readonly T[]): T {
  return items[r.int(items.length)] as T;
}

function pickWeighted(r: Random, items: readonly (readonly [string, number])[]): string {
  const total = items.reduce((sum, [, w]) => sum + w, 0);
  let u = r.next() * total;
  for (const [item, weight] of items) {
    u -= weight;
    if (u < 0) return item;
  }
  return (items[items.length - 1] as readonly [string, number])[0];
}

/** Per-shift hazards of each fault type starting, from wear and season. */
function faultHazards(
  wear: Wear,
  ambientC: number,
  humidityPct: number,
  month: number,
): [FaultType, number][] {
  return [
    ['bearing_wear', 0.0015 + 0.09 * wear.bearing ** 4],
    ['overheating', 0.0055 * Math.max(0.2, 1 + 0.35 * (ambientC - 29))],
    ['overcurrent', 0.004 * (1 + wear.print)],
    ['undervoltage', 0.004 * (WET_MONTHS.has(month) ? 1.6 : 0.8)],
    ['pressure_instability', 0.006 * Math.max(0.3, 1 + (humidityPct - 70) / 15)],
    ['sensor_dropout', 0.003],
    ['stuck_value', 0.002],
  ];
}

/**
 * Free stretches of the shift (minutes) not covered by `taken`, sorted. Used to place stops so they do
 * not overlap one another.
 */
function freeStretches(taken: readonly { start: number; end: number }[], from = 0, to = SHIFT_MINUTES) {
  const sorted = [...taken].sort((a, b) => a.start - b.start);
  const free: { start: number; end: number }[] = [];
  let at = from;
  for (const t of sorted) {
    if (t.start > at) free.push({ start: at, end: Math.min(t.start, to) });
    at = Math.max(at, t.end);
  }
  if (at < to) free.push({ start: at, end: to });
  return free.filter((f) => f.end > f.start);
}

/**
 * Places a stop of `length` minutes in free time, preferring time outside `avoid` (short motor faults,
 * which the history keeps on a running motor); shrinks it to the largest free stretch if it fits nowhere.
 */
function placeBlock(
  r: Random,
  blocks: Block[],
  avoid: readonly { start: number; end: number }[],
  length: number,
  kind: Block['kind'],
  at?: 'end',
): void {
  for (const candidates of [freeStretches([...blocks, ...avoid]), freeStretches(blocks)]) {
    const fitting = candidates.filter((f) => f.end - f.start >= length);
    if (fitting.length === 0) continue;
    if (at === 'end') {
      const last = fitting[fitting.length - 1] as { start: number; end: number };
      blocks.push({ start: last.end - length, end: last.end, kind });
      return;
    }
    const slack = fitting.map((f) => f.end - f.start - length + 1);
    let u = r.next() * slack.reduce((a, b) => a + b, 0);
    for (let i = 0; i < fitting.length; i++) {
      const f = fitting[i] as { start: number; end: number };
      const s = slack[i] as number;
      if (u < s || i === fitting.length - 1) {
        const start = f.start + Math.min(Math.floor(u), s - 1);
        blocks.push({ start, end: start + length, kind });
        return;
      }
      u -= s;
    }
  }
  const free = freeStretches(blocks);
  const largest = free.reduce<{ start: number; end: number } | undefined>(
    (best, f) => (best === undefined || f.end - f.start > best.end - best.start ? f : best),
    undefined,
  );
  if (largest !== undefined) blocks.push({ start: largest.start, end: largest.end, kind });
}

function stoppedAt(blocks: readonly Block[], minute: number): boolean {
  return blocks.some((b) => minute >= b.start && minute < b.end);
}

/** Mean, max and population σ of one sensor over a shift's samples; nulls when it never reported. */
function aggregate(samples: readonly SensorReadings[], sensor: SensorName) {
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (const s of samples) {
    const v = s[sensor];
    if (v === undefined) continue;
    n++;
    sum += v;
    sumSq += v * v;
    if (v > max) max = v;
  }
  if (n === 0) return { avg: null, max: null, std: null };
  const avg = sum / n;
  return { avg, max, std: Math.sqrt(Math.max(0, sumSq / n - avg * avg)) };
}

function aggregates(samples: readonly SensorReadings[]): ShiftSensorAggregates {
  const coil = aggregate(samples, 'temperature_coil');
  const vibration = aggregate(samples, 'vibration_rotor');
  const pressure = aggregate(samples, 'pressure');
  const r = (x: number | null, f: (v: number) => number) => (x === null ? null : f(x));
  return {
    temp_coil_avg: r(coil.avg, round2),
    temp_coil_max: r(coil.max, round2),
    vibration_rms_avg: r(vibration.avg, round3),
    vibration_rms_max: r(vibration.max, round3),
    current_avg: r(aggregate(samples, 'current').avg, round2),
    voltage_avg: r(aggregate(samples, 'voltage').avg, round2),
    pressure_avg: r(pressure.avg, Math.round),
    pressure_std: r(pressure.std, Math.round),
    temp_env_avg: r(aggregate(samples, 'temperature_env').avg, round2),
    humidity_env_avg: r(aggregate(samples, 'humidity_env').avg, round2),
  };
}

/** Defect share of a shift: print wear, humid ink drying, faults in progress, and lot-to-lot noise. */
function defectRate(r: Random, wear: Wear, humidityPct: number, fault: FaultWindow | null): number {
  const faultDefects: Partial<Record<FaultType, number>> = {
    pressure_instability: 0.025,
    bearing_wear: 0.012,
    overheating: 0.008,
    overcurrent: 0.004,
    undervoltage: 0.004,
  };
  const base =
    0.013 +
    0.028 * wear.print +
    0.001 * Math.max(0, humidityPct - 66) +
    (fault === null ? 0 : (faultDefects[fault.type] ?? 0));
  return clamp(base * Math.exp(r.normal(0, 0.22)), 0.002, 0.3);
}

/** Production speed as a fraction of nameplate: order mix, wear, faults, and operator noise. */
function speedFactor(r: Random, wear: Wear, month: number, fault: FaultWindow | null): number {
  const slowdown: Partial<Record<FaultType, number>> = {
    overheating: 0.05,
    bearing_wear: 0.03,
    pressure_instability: 0.02,
  };
  const base =
    0.942 *
    (MONTH_SPEED[month] as number) *
    (1 - 0.035 * wear.bearing - 0.03 * wear.print) *
    (1 - (fault === null ? 0 : (slowdown[fault.type] ?? 0)));
  return clamp(base * (1 + r.normal(0, 0.022)), 0.55, 0.995);
}

/**
 * Hours a maintenance takes: a base per type, longer the more worn the part, the more defects the
 * shift shows, and the more was produced since the last maintenance; ±20 % (lognormal) crew noise.
 */
function maintenanceHours(r: Random, type: MaintenanceType, wear: Wear, defects: number): number {
  const worn = type === 'print_unit_service' ? wear.print : type === 'preventive' ? wear.bearing : 0.5;
  const volume = Math.min(1, wear.volumeSinceMaintenance / 60_000);
  const hours =
    MAINTENANCE_HOURS[type] *
    (0.75 + 0.5 * worn) *
    (1 + 10 * (defects - 0.025)) *
    (0.85 + 0.3 * volume) *
    Math.exp(r.normal(0, 0.2));
  return clamp(hours, 0.25, MAX_MAINTENANCE_HOURS);
}

function generateMachine(
  seed: number,
  index: number,
  machineId: string,
  from: number,
  to: number,
): { rows: HistoryRow[]; labels: FaultLabel[] } {
  const r = streamFor(seed, 'history', index);
  const traits: MachineTraits = machineTraits(seed, index);
  const motor = new MotorModel(traits, streamFor(seed, 'motor', index));
  const rows: HistoryRow[] = [];
  const labels: FaultLabel[] = [];
  const wear: Wear = {
    print: uniform(r, 0, 0.4),
    bearing: uniform(r, 0.05, 0.4),
    serviceDueAt: uniform(r, 0.45, 0.85),
    volumeSinceMaintenance: uniform(r, 0, 30_000),
  };
  /** The fault in progress (one at a time): it ends with its repair. */
  let fault: FaultWindow | null = null;
  /** Faults whose windows can still touch the coming shifts (the motor model keeps their memory). */
  let recent: FaultWindow[] = [];
  /** Minutes of a repair that ran past the end of the previous shift. */
  let carryover: { minutes: number; type: FaultType } | null = null;

  for (let start = shiftStartOf(formatDate(from), 1); start < to; start += SHIFT_MS) {
    const end = start + SHIFT_MS;
    const { date, shift } = shiftOf(start);
    const month = new Date(start).getUTCMonth();
    const mid = climateAt(seed, start + SHIFT_MS / 2);
    const blocks: Block[] = [];
    let status: HistoryRow['status'] = 'Running';
    let reason: string | null = null;
    let maintenance: { type: MaintenanceType; hours: number } | null = null;

    if (carryover !== null) {
      const minutes = Math.min(carryover.minutes, SHIFT_MINUTES - MIN_RUN_MINUTES);
      blocks.push({ start: 0, end: minutes, kind: 'carryover' });
      status = 'Downtime';
      reason = `Breakdown: ${carryover.type} (repair continued)`;
      carryover = null;
    }

    // A new fault can start only on a healthy machine, after any repair still going on.
    if (fault === null) {
      let u = r.next();
      for (const [type, hazard] of faultHazards(wear, mid.temperatureC, mid.humidityPct, month)) {
        u -= hazard;
        if (u >= 0) continue;
        const earliest = blocks.reduce((at, b) => Math.max(at, b.end), 0);
        const offset = Math.floor(uniform(r, earliest, SHIFT_MINUTES));
        const [lo, hi] = FAULT_MINUTES[type];
        const minutes = Math.round(uniform(r, lo, hi));
        const sensor =
          type === 'sensor_dropout'
            ? pick(r, DROPOUT_SENSORS)
            : type === 'stuck_value'
              ? pick(r, STUCK_SENSORS)
              : undefined;
        const window: FaultWindow = {
          type,
          sensor: sensor ?? FAULTS[type].sensor,
          start: start + offset * MINUTE_MS,
          end: start + (offset + minutes) * MINUTE_MS,
        };
        fault = window;
        labels.push(makeLabel(machineId, type, window.sensor, window.start, window.end, 'history'));
        recent.push(window);
        break;
      }
    }

    const defects = defectRate(r, wear, mid.humidityPct, fault);
    const speed = speedFactor(r, wear, month, fault);

    // Maintenance: the repair of a fault ending in this shift first, else a due service, else preventive.
    const repairing = fault !== null && fault.end < end ? fault : null;
    if (repairing !== null) {
      maintenance = {
        type: repairing.type,
        hours: maintenanceHours(r, repairing.type, wear, defects),
      };
    } else if (wear.print >= wear.serviceDueAt) {
      maintenance = {
        type: 'print_unit_service',
        hours: maintenanceHours(r, 'print_unit_service', wear, defects),
      };
    } else if (r.next() < 0.085 + (wear.bearing > 0.5 ? 0.05 : 0)) {
      maintenance = { type: 'preventive', hours: maintenanceHours(r, 'preventive', wear, defects) };
    }
    const maintenanceMinutes = maintenance === null ? 0 : Math.round(maintenance.hours * 60);

    // Short motor faults run on a running motor: stops are placed around them where possible.
    const avoid =
      fault !== null && fault.type !== 'bearing_wear'
        ? [
            {
              start: Math.max(0, (fault.start - start) / MINUTE_MS),
              end: Math.min(SHIFT_MINUTES, (fault.end - start) / MINUTE_MS),
            },
          ]
        : [];

    if (repairing !== null && maintenance !== null) {
      // The repair starts when the fault is found, at the end of its window; what does not fit spills over.
      const at = Math.ceil((repairing.end - start) / MINUTE_MS);
      const inShift = Math.min(maintenanceMinutes, SHIFT_MINUTES - at);
      blocks.push({ start: at, end: at + inShift, kind: 'maintenance' });
      if (maintenanceMinutes > inShift)
        carryover = { minutes: maintenanceMinutes - inShift, type: repairing.type };
      status = 'Downtime';
      reason = `Breakdown: ${repairing.type}`;
    }

    const stopChance = STOP_PROBABILITY * (MONTH_STOPS[month] as number);
    if (repairing === null && r.next() < stopChance) {
      const stopReason = pickWeighted(r, STOP_REASONS);
      const minutes = Math.round(clamp(110 * Math.exp(r.normal(0, 0.5)), 30, 300));
      placeBlock(r, blocks, avoid, minutes, 'stop');
      status = 'Downtime';
      reason = stopReason;
    }
    if (maintenance !== null && repairing === null) {
      placeBlock(r, blocks, avoid, maintenanceMinutes, 'maintenance');
      reason ??= maintenance.type === 'preventive' ? 'Preventive maintenance' : 'Print unit service';
    }
    // Every shift loses some time to job changeovers and minor stops; the handover changeover is last.
    const changeover = Math.round(clamp(r.normal(43, 12), 10, 80));
    placeBlock(r, blocks, avoid, changeover, 'changeover', 'end');
    reason ??= 'Changeover';
    // Stops that piled up beyond the shift leave at least MIN_RUN_MINUTES of running.
    let stopped = blocks.reduce((sum, b) => sum + b.end - b.start, 0);
    for (let i = blocks.length - 1; i >= 0 && stopped > SHIFT_MINUTES - MIN_RUN_MINUTES; i--) {
      const b = blocks[i] as Block;
      if (b.kind === 'maintenance' || b.kind === 'carryover') continue;
      const cut = Math.min(b.end - b.start - 1, stopped - (SHIFT_MINUTES - MIN_RUN_MINUTES));
      b.end -= cut;
      stopped -= cut;
    }

    const planned = SHIFT_MINUTES;
    const run = planned - stopped;
    const total = Math.round(IDEAL_PPM * run * speed);
    const cacat = Math.min(total, Math.round(total * defects));

    // The motor through the shift, one sample every 5 minutes.
    const samples: SensorReadings[] = [];
    for (let t = start; t < end; t += SAMPLE_MS) {
      const minute = (t - start) / MINUTE_MS;
      const running = !stoppedAt(blocks, minute) || faultKeepsRunning(recent, t);
      samples.push(
        motor.step(
          t,
          SAMPLE_MS,
          { running, speed, climate: climateAt(seed, t), bearingWear: wear.bearing },
          recent,
        ),
      );
    }

    rows.push({
      tanggal: date,
      shift,
      mesin: machineId,
      status,
      planned_minutes: planned,
      run_minutes: run,
      downtime_minutes: stopped,
      downtime_reason: reason,
      total_produksi: total,
      produk_cacat: cacat,
      availability_rate: round2((run / planned) * 100),
      performance_rate: run > 0 ? round2(Math.min(100, (total / (IDEAL_PPM * run)) * 100)) : 0,
      quality_rate: total > 0 ? round2(((total - cacat) / total) * 100) : 100,
      durasi_maintenance_jam: maintenance === null ? null : round2(maintenance.hours),
      jenis_maintenance: maintenance?.type ?? null,
      ...aggregates(samples),
    });

    // Wear after the shift, and what the maintenance of this shift restored.
    wear.print += (total / 5000) * 0.085;
    wear.bearing += (run / 60 / 1600) * (1 + 0.3 * (speed - 0.9));
    wear.volumeSinceMaintenance += total;
    if (maintenance !== null) {
      wear.volumeSinceMaintenance = 0;
      if (maintenance.type === 'print_unit_service') {
        wear.print = uniform(r, 0, 0.05);
        wear.serviceDueAt = uniform(r, 0.45, 0.85);
      } else if (maintenance.type === 'preventive') {
        wear.bearing *= 0.85;
      } else if (maintenance.type === 'bearing_wear') {
        wear.bearing = uniform(r, 0.02, 0.06);
      } else if (maintenance.type === 'overcurrent' || maintenance.type === 'pressure_instability') {
        wear.print *= 0.6;
      }
    }
    if (repairing !== null) fault = null;
    recent = recent.filter((w) => w.end > end - DAY_MS);
  }
  return { rows, labels };
}

/** Generates the history of every machine over [from, from + months). */
export function generateHistory(options: GenerateHistoryOptions = {}): History {
  const from = parseDate(options.from ?? DEFAULT_HISTORY.from);
  const months = options.months ?? DEFAULT_HISTORY.months;
  if (!Number.isInteger(months) || months < 1 || months > 120) throw new Error('months must be 1–120');
  const seed = options.seed ?? DEFAULT_HISTORY.seed;
  if (!Number.isInteger(seed)) throw new Error('seed must be an integer');
  const ids = machineIds(options.machines ?? DEFAULT_HISTORY.machines);
  const to = addMonths(from, months);
  const rows: HistoryRow[] = [];
  const labels: FaultLabel[] = [];
  ids.forEach((id, index) => {
    const machine = generateMachine(seed, index, id, from, to);
    rows.push(...machine.rows);
    labels.push(...machine.labels);
  });
  rows.sort(compareRows);
  labels.sort((a, b) => a.start.localeCompare(b.start) || a.machine_id.localeCompare(b.machine_id));
  return { rows, labels };
}
