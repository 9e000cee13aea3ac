/**
 * The machine statistics the original simulator printed before it started publishing ("PHASE 1"):
 * average availability, performance and quality rate over the history's rows, and the downtime
 * probability (the share of shifts with an unplanned stop).
 */
import type { HistoryRow } from './history.js';

export interface MachineStats {
  readonly machine_id: string;
  readonly records: number;
  /** Mean of the rows' rates, percent. */
  readonly availability: number;
  readonly performance: number;
  readonly quality: number;
  /** Share of rows with status Downtime, percent. */
  readonly downtime_probability: number;
  readonly maintenance_events: number;
  /** Mean durasi_maintenance_jam over the rows that have one, hours. */
  readonly maintenance_hours_mean: number;
}

export function machineStats(rows: readonly HistoryRow[], machineId: string): MachineStats {
  let n = 0;
  let a = 0;
  let p = 0;
  let q = 0;
  let down = 0;
  let maintenance = 0;
  let hours = 0;
  for (const row of rows) {
    if (row.mesin !== machineId) continue;
    n++;
    a += row.availability_rate;
    p += row.performance_rate;
    q += row.quality_rate;
    if (row.status === 'Downtime') down++;
    if (row.durasi_maintenance_jam !== null) {
      maintenance++;
      hours += row.durasi_maintenance_jam;
    }
  }
  const mean = (x: number, of: number) => (of === 0 ? 0 : x / of);
  return {
    machine_id: machineId,
    records: n,
    availability: mean(a, n),
    performance: mean(p, n),
    quality: mean(q, n),
    downtime_probability: mean(down * 100, n),
    maintenance_events: maintenance,
    maintenance_hours_mean: mean(hours, maintenance),
  };
}

const RULE = '='.repeat(70);

/** A "PHASE n: TITLE" banner as the original printed it. */
export function phaseBanner(n: number, title: string): string {
  return `${RULE}\nPHASE ${n}: ${title}\n${RULE}\n`;
}

/** The statistics block of PHASE 1, in the original's words. */
export function formatStats(s: MachineStats): string {
  return [
    `[INFO] Data ${s.machine_id}: ${s.records} records`,
    '',
    `STATISTIK MESIN ${s.machine_id}:`,
    `  Average Availability Rate: ${s.availability.toFixed(1)}%`,
    `  Average Performance Rate: ${s.performance.toFixed(1)}%`,
    `  Average Quality Rate: ${s.quality.toFixed(1)}%`,
    `  Downtime Probability: ${s.downtime_probability.toFixed(1)}%`,
    `  Maintenance Events: ${s.maintenance_events} (mean ${s.maintenance_hours_mean.toFixed(2)} h)`,
  ].join('\n');
}
