/**
 * A machine history in the layout of the original monthly production reports: one row per machine
 * per 8 h shift. The generator writes it, the CSV importer reads it, the publisher replays it. Rows hold
 * exactly what the CSV holds (numbers already rounded as written), so a history replayed from memory
 * and the same history written to CSV and read back drive the publisher identically.
 */
import type { MachineStatus } from '../lambdas/core/messages.js';
import type { FaultLabel } from './faults.js';
import { type ShiftNumber, shiftStartOf } from './time.js';

/** Per-shift aggregates of the motor sensors (null where the plant's report has no such column). */
export interface ShiftSensorAggregates {
  readonly temp_coil_avg: number | null;
  readonly temp_coil_max: number | null;
  readonly vibration_rms_avg: number | null;
  readonly vibration_rms_max: number | null;
  readonly current_avg: number | null;
  readonly voltage_avg: number | null;
  readonly pressure_avg: number | null;
  readonly pressure_std: number | null;
  readonly temp_env_avg: number | null;
  readonly humidity_env_avg: number | null;
}

export const SENSOR_AGGREGATE_COLUMNS = [
  'temp_coil_avg',
  'temp_coil_max',
  'vibration_rms_avg',
  'vibration_rms_max',
  'current_avg',
  'voltage_avg',
  'pressure_avg',
  'pressure_std',
  'temp_env_avg',
  'humidity_env_avg',
] as const satisfies readonly (keyof ShiftSensorAggregates)[];

export interface HistoryRow extends ShiftSensorAggregates {
  /** Date the shift starts on, YYYY-MM-DD (UTC). */
  readonly tanggal: string;
  readonly shift: ShiftNumber;
  readonly mesin: string;
  /** Running: the shift ran (its stops were changeovers or planned service); Downtime: an unplanned stop. */
  readonly status: MachineStatus;
  readonly planned_minutes: number;
  readonly run_minutes: number;
  /** planned − run: every stop of the shift, whatever its reason. */
  readonly downtime_minutes: number;
  /** The main reason the machine stood still; null when it never did. */
  readonly downtime_reason: string | null;
  readonly total_produksi: number;
  readonly produk_cacat: number;
  /** Percentages, 2 decimals: run/planned, total/(ideal × run), (total − defects)/total. */
  readonly availability_rate: number;
  readonly performance_rate: number;
  readonly quality_rate: number;
  /** Hours of maintenance started in this shift; null when none. */
  readonly durasi_maintenance_jam: number | null;
  /** preventive, print_unit_service, or the fault type a corrective maintenance repaired. */
  readonly jenis_maintenance: string | null;
}

/** Report columns in file order (the header of every monthly CSV). */
export const REPORT_COLUMNS = [
  'tanggal',
  'shift',
  'mesin',
  'status',
  'planned_minutes',
  'run_minutes',
  'downtime_minutes',
  'downtime_reason',
  'total_produksi',
  'produk_cacat',
  'availability_rate',
  'performance_rate',
  'quality_rate',
  'durasi_maintenance_jam',
  'jenis_maintenance',
  ...SENSOR_AGGREGATE_COLUMNS,
] as const satisfies readonly (keyof HistoryRow)[];

export type ReportColumn = (typeof REPORT_COLUMNS)[number];

export interface History {
  /** Sorted by shift start, then machine. */
  readonly rows: readonly HistoryRow[];
  /** Fault ground truth, sorted by start then machine; empty for a plant's own reports. */
  readonly labels: readonly FaultLabel[];
}

/** C_FL104, C_FL105, … — the reference machine first, then its sister machines. */
export function machineIds(machines: number | readonly string[]): string[] {
  if (typeof machines !== 'number') return [...machines];
  if (!Number.isInteger(machines) || machines < 1) throw new Error('machines must be a whole number ≥ 1');
  return Array.from({ length: machines }, (_, i) => `C_FL${104 + i}`);
}

export function rowStart(row: Pick<HistoryRow, 'tanggal' | 'shift'>): number {
  return shiftStartOf(row.tanggal, row.shift);
}

export function compareRows(a: HistoryRow, b: HistoryRow): number {
  return (
    a.tanggal.localeCompare(b.tanggal) ||
    a.shift - b.shift ||
    (a.mesin < b.mesin ? -1 : a.mesin > b.mesin ? 1 : 0)
  );
}

/** The machine ids of a history, in order of first appearance. */
export function historyMachines(history: History): string[] {
  return [...new Set(history.rows.map((r) => r.mesin))];
}
