/**
 * The history generator: deterministic for a seed, shaped like the original reports, statistics in the
 * neighbourhood of the original C_FL104 year, and a generating process with the documented links
 * (seasonality, wear until maintenance, faults behind maintenance, a real but imperfect duration signal).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FLEXO_104_PROFILE } from '../../lambdas/core/profiles.js';
import { historyCsvFiles, writeHistory } from '../../simulator/csv.js';
import { generateHistory } from '../../simulator/generator.js';
import { type HistoryRow, REPORT_COLUMNS, rowStart } from '../../simulator/history.js';
import { machineStats } from '../../simulator/stats.js';
import { INDONESIAN_MONTHS } from '../../simulator/time.js';

const year = generateHistory({ seed: 1 });
const rows = year.rows;
const SHIFT_MS = 8 * 3600_000;
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Rows whose shift overlaps [start, end). */
function overlapping(all: readonly HistoryRow[], machine: string, start: number, end: number): HistoryRow[] {
  return all.filter((r) => r.mesin === machine && rowStart(r) < end && rowStart(r) + SHIFT_MS > start);
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('generateHistory', () => {
  it('is deterministic: the same seed writes byte-identical files, another seed different ones', async () => {
    const options = { seed: 42, months: 2, machines: 2 };
    const a = await mkdtemp(join(tmpdir(), 'flexotwin-h-'));
    const b = await mkdtemp(join(tmpdir(), 'flexotwin-h-'));
    dirs.push(a, b);
    await writeHistory(a, generateHistory(options));
    await writeHistory(b, generateHistory(options));
    const names = (await readdir(a)).sort();
    expect(names).toEqual((await readdir(b)).sort());
    for (const name of names) {
      expect(Buffer.compare(await readFile(join(a, name)), await readFile(join(b, name))), name).toBe(0);
    }
    const other = historyCsvFiles(generateHistory({ ...options, seed: 43 }));
    for (const name of names.filter((n) => n.endsWith('.csv'))) {
      expect(other.get(name)).not.toBe(await readFile(join(a, name), 'utf8'));
    }
  });

  it('writes one file per month named like the originals, one row per machine and shift, in report columns', () => {
    const files = historyCsvFiles(year);
    expect([...files.keys()]).toEqual([
      ...['Oktober', 'November', 'Desember'].map((m) => `Laporan Flexo ${m} 2024.csv`),
      ...INDONESIAN_MONTHS.slice(0, 10).map((m) => `Laporan Flexo ${m} 2025.csv`),
    ]);
    const october = files.get('Laporan Flexo Oktober 2024.csv') as string;
    const [header, first] = october.split('\n');
    expect(header).toBe(REPORT_COLUMNS.join(','));
    expect(first).toMatch(/^2024-10-01,1,C_FL104,(Running|Downtime),480,/);
    expect(october.trim().split('\n')).toHaveLength(1 + 31 * 3);
    expect(rows).toHaveLength(396 * 3);
    expect(rows.at(-1)).toMatchObject({ tanggal: '2025-10-31', shift: 3 });
    const fleet = generateHistory({ seed: 1, months: 1, machines: 3 });
    expect([...new Set(fleet.rows.map((r) => r.mesin))]).toEqual(['C_FL104', 'C_FL105', 'C_FL106']);
  });

  it('gives C_FL104 the same history whatever the size of the fleet generated beside it', () => {
    const alone = generateHistory({ seed: 5, months: 1 }).rows;
    const inFleet = generateHistory({ seed: 5, months: 1, machines: 3 }).rows.filter(
      (r) => r.mesin === 'C_FL104',
    );
    expect(inFleet).toEqual(alone);
  });

  it.each([1, 2, 3])('prints C_FL104 statistics near the original year (seed %i)', (seed) => {
    const s = machineStats(seed === 1 ? rows : generateHistory({ seed }).rows, 'C_FL104');
    // The original: availability 85.5 %, performance 92.3 %, quality 96.8 %, downtime probability 14.5 %.
    expect(s.records).toBe(1188);
    expect(s.availability).toBeGreaterThanOrEqual(83);
    expect(s.availability).toBeLessThanOrEqual(88);
    expect(s.performance).toBeGreaterThanOrEqual(90);
    expect(s.performance).toBeLessThanOrEqual(94);
    expect(s.quality).toBeGreaterThanOrEqual(96);
    expect(s.quality).toBeLessThanOrEqual(98);
    expect(s.downtime_probability).toBeGreaterThanOrEqual(11.5);
    expect(s.downtime_probability).toBeLessThanOrEqual(18);
    // Enough maintenance rows for the maintenance-duration regressor.
    expect(s.maintenance_events).toBeGreaterThanOrEqual(200);
    expect(s.maintenance_events).toBeLessThanOrEqual(400);
  });

  it('writes rows whose columns add up', () => {
    const ideal = FLEXO_104_PROFILE.ideal_rate_ppm;
    for (const r of rows) {
      expect(r.run_minutes + r.downtime_minutes).toBe(r.planned_minutes);
      expect(r.produk_cacat).toBeLessThanOrEqual(r.total_produksi);
      expect(r.availability_rate).toBeCloseTo((r.run_minutes / r.planned_minutes) * 100, 1);
      expect(r.performance_rate).toBeCloseTo((r.total_produksi / (ideal * r.run_minutes)) * 100, 1);
      expect(r.quality_rate).toBeCloseTo(((r.total_produksi - r.produk_cacat) / r.total_produksi) * 100, 1);
      expect(r.durasi_maintenance_jam === null).toBe(r.jenis_maintenance === null);
      expect(r.status === 'Downtime').toBe(
        r.downtime_reason !== null && !/^(Changeover|Preventive|Print)/.test(r.downtime_reason),
      );
      // Every sensor aggregate is a number: ten numeric features per row beside the production figures.
      for (const column of REPORT_COLUMNS.slice(15)) expect(typeof r[column], column).toBe('number');
    }
  });

  it('keeps shifts without a fault inside every alarm threshold, and shows the faults in the shifts they touch', () => {
    const labelled = new Set<HistoryRow>();
    const historyEnd = rowStart(rows.at(-1) as HistoryRow) + SHIFT_MS;
    for (const l of year.labels) {
      const touched = overlapping(rows, l.machine_id, Date.parse(l.start), Date.parse(l.end));
      for (const r of touched) labelled.add(r);
      // A fault still developing when the history ends need not have crossed its thresholds yet.
      if (Date.parse(l.end) > historyEnd) continue;
      if (l.fault === 'overheating')
        expect(Math.max(...touched.map((r) => r.temp_coil_max ?? 0)), l.start).toBeGreaterThanOrEqual(120);
      if (l.fault === 'bearing_wear')
        expect(Math.max(...touched.map((r) => r.vibration_rms_max ?? 0)), l.start).toBeGreaterThanOrEqual(
          4.5,
        );
    }
    const clean = rows.filter((r) => !labelled.has(r));
    expect(clean.length).toBeGreaterThan(1000);
    const max = (column: keyof HistoryRow) => Math.max(...clean.map((r) => r[column] as number));
    const min = (column: keyof HistoryRow) => Math.min(...clean.map((r) => r[column] as number));
    expect(max('temp_coil_max')).toBeLessThan(90);
    expect(max('vibration_rms_max')).toBeLessThan(2.5);
    expect(max('current_avg')).toBeLessThan(50);
    expect(min('voltage_avg')).toBeGreaterThan(390);
    expect(max('voltage_avg')).toBeLessThan(406);
    expect(min('pressure_avg')).toBeGreaterThan(590_000);
    expect(max('pressure_avg')).toBeLessThan(610_000);
    expect(max('temp_env_avg')).toBeLessThan(38);
    expect(max('humidity_env_avg')).toBeLessThan(83);
    const normalSigma = [...clean.map((r) => r.pressure_std as number)].sort((a, b) => a - b)[
      clean.length >> 1
    ] as number;
    for (const l of year.labels.filter((x) => x.fault === 'pressure_instability')) {
      const touched = overlapping(rows, l.machine_id, Date.parse(l.start), Date.parse(l.end));
      expect(Math.max(...touched.map((r) => r.pressure_std ?? 0)), l.start).toBeGreaterThan(2 * normalSigma);
    }
  });

  it('repairs every fault: a corrective maintenance of its type in the shift it ends in', () => {
    expect(new Set(year.labels.map((l) => l.fault)).size).toBeGreaterThanOrEqual(5);
    for (const l of year.labels) {
      const end = Date.parse(l.end);
      if (end >= rowStart(rows.at(-1) as HistoryRow) + SHIFT_MS) continue;
      const shift = overlapping(rows, l.machine_id, end, end + 1)[0];
      expect(shift, l.end).toMatchObject({ status: 'Downtime', jenis_maintenance: l.fault });
    }
  });

  it('follows the seasons: humid wet season, warm transition months', () => {
    const monthly = (month: string, column: keyof HistoryRow) =>
      mean(rows.filter((r) => r.tanggal.startsWith(month)).map((r) => r[column] as number));
    expect(monthly('2025-01', 'humidity_env_avg')).toBeGreaterThan(
      monthly('2025-08', 'humidity_env_avg') + 5,
    );
    expect(monthly('2024-10', 'temp_env_avg')).toBeGreaterThan(monthly('2025-01', 'temp_env_avg') + 1.5);
  });

  it('grows wear until maintenance: bearing vibration drops after the bearing is replaced', () => {
    const before: number[] = [];
    const after: number[] = [];
    const running = rows.filter((r) => r.status === 'Running');
    for (const l of year.labels.filter((x) => x.fault === 'bearing_wear')) {
      const start = Date.parse(l.start);
      const end = Date.parse(l.end);
      before.push(
        ...running
          .filter((r) => rowStart(r) < start && rowStart(r) > start - 5 * 86_400_000)
          .map((r) => r.vibration_rms_avg as number),
      );
      after.push(
        ...running
          .filter((r) => rowStart(r) > end && rowStart(r) < end + 5 * 86_400_000)
          .map((r) => r.vibration_rms_avg as number),
      );
    }
    expect(before.length).toBeGreaterThan(10);
    expect(mean(before)).toBeGreaterThan(mean(after) + 0.1);
  });

  it('makes maintenance duration depend on defects, volume and type: a real but imperfect signal', () => {
    const fleet = generateHistory({ seed: 1, machines: 4 }).rows.filter(
      (r) => r.durasi_maintenance_jam !== null,
    );
    expect(fleet.length).toBeGreaterThan(800);
    const byType = (type: string) =>
      mean(fleet.filter((r) => r.jenis_maintenance === type).map((r) => r.durasi_maintenance_jam as number));
    expect(byType('bearing_wear')).toBeGreaterThan(byType('overheating'));
    expect(byType('overheating')).toBeGreaterThan(byType('print_unit_service'));
    expect(byType('print_unit_service')).toBeGreaterThan(byType('preventive'));
    // Least squares on what the default model sees (total_produksi, produk_cacat, and their ratio).
    const X = fleet.map((r) => [
      1,
      r.total_produksi / 1000,
      r.produk_cacat / 100,
      (100 * r.produk_cacat) / r.total_produksi,
    ]);
    const y = fleet.map((r) => r.durasi_maintenance_jam as number);
    const r2 = rSquared(X, y);
    expect(r2).toBeGreaterThan(0.2);
    expect(r2).toBeLessThan(0.9);
  });
});

/** R² of an ordinary least-squares fit (normal equations, Gauss–Jordan with partial pivoting). */
function rSquared(X: number[][], y: number[]): number {
  const k = (X[0] as number[]).length;
  const a = Array.from({ length: k }, () => new Array<number>(k + 1).fill(0));
  X.forEach((x, i) => {
    for (let p = 0; p < k; p++) {
      const row = a[p] as number[];
      for (let q = 0; q < k; q++) row[q] = (row[q] as number) + (x[p] as number) * (x[q] as number);
      row[k] = (row[k] as number) + (x[p] as number) * (y[i] as number);
    }
  });
  for (let c = 0; c < k; c++) {
    let pivot = c;
    for (let r = c + 1; r < k; r++)
      if (Math.abs((a[r] as number[])[c] as number) > Math.abs((a[pivot] as number[])[c] as number))
        pivot = r;
    [a[c], a[pivot]] = [a[pivot] as number[], a[c] as number[]];
    const pc = a[c] as number[];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const row = a[r] as number[];
      const f = (row[c] as number) / (pc[c] as number);
      for (let j = c; j <= k; j++) row[j] = (row[j] as number) - f * (pc[j] as number);
    }
  }
  const w = a.map((row, i) => (row[k] as number) / (row[i] as number));
  const fitted = X.map((x) => x.reduce((s, v, i) => s + v * (w[i] as number), 0));
  const my = mean(y);
  const residual = y.reduce((s, v, i) => s + (v - (fitted[i] as number)) ** 2, 0);
  const total = y.reduce((s, v) => s + (v - my) ** 2, 0);
  return 1 - residual / total;
}
