/**
 * Importer for a plant's own shift reports: a folder of CSV files in the layout of the original
 * monthly reports ("Laporan Flexo <Bulan> <Tahun>.csv"), so the publisher can replay real history.
 *
 * Column names, delimiter, decimal separator and date format may differ from ours: a small JSON mapping
 * file (`mapping.json` in the folder, or given explicitly) says how, e.g.
 *
 *   { "columns": { "tanggal": "Tanggal", "total_produksi": "Total Produksi", "produk_cacat": "Cacat" },
 *     "delimiter": ";", "decimal": ",", "date_format": "DD/MM/YYYY",
 *     "defaults": { "mesin": "C_FL104", "planned_minutes": 480 } }
 *
 * Required per row: tanggal, shift, mesin (or a default), total_produksi, produk_cacat, and one of
 * run_minutes, downtime_minutes or availability_rate. Everything else is derived when absent (see
 * simulator/README.md). A malformed row is an ImportError naming the file and line. A `labels.jsonl`
 * beside the reports (as generate-history writes) is read as the history's fault labels.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { MACHINE_ID_PATTERN, MACHINE_STATUSES, type MachineStatus } from '../lambdas/core/messages.js';
import { FLEXO_104_PROFILE } from '../lambdas/core/profiles.js';
import { isSensorName } from '../lambdas/core/sensors.js';
import { LABELS_FILE, parseCsv } from './csv.js';
import { type FaultLabel, isFaultType } from './faults.js';
import {
  compareRows,
  type History,
  type HistoryRow,
  REPORT_COLUMNS,
  type ReportColumn,
  SENSOR_AGGREGATE_COLUMNS,
} from './history.js';
import { ImportError } from './import-error.js';
import { parseReportFileName, SHIFT_MINUTES, type ShiftNumber } from './time.js';

export const MAPPING_FILE = 'mapping.json';
const DATE_FORMATS = ['YYYY-MM-DD', 'DD/MM/YYYY', 'MM/DD/YYYY', 'DD-MM-YYYY'] as const;

export const columnMappingSchema = z
  .object({
    /** Our column name → the plant's header text. Unmapped columns are looked up under our name. */
    columns: z.partialRecord(z.enum(REPORT_COLUMNS), z.string().min(1)).default({}),
    delimiter: z.string().length(1).default(','),
    decimal: z.enum(['.', ',']).default('.'),
    date_format: z.enum(DATE_FORMATS).default('YYYY-MM-DD'),
    /** Values for columns the files lack (e.g. the machine id of a single-machine report). */
    defaults: z
      .object({
        mesin: z.string().regex(MACHINE_ID_PATTERN).optional(),
        planned_minutes: z.number().min(0).max(SHIFT_MINUTES).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export type ColumnMapping = z.output<typeof columnMappingSchema>;

export interface CsvImportOptions {
  /** A mapping object, or the path of a mapping file; default: `mapping.json` in the folder, if any. */
  readonly mapping?: ColumnMapping | string;
}

async function readMapping(path: string): Promise<ColumnMapping> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ImportError(path, undefined, `is not a readable JSON mapping (${(error as Error).message})`);
  }
  const parsed = columnMappingSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ImportError(path, undefined, `invalid mapping: ${problems.join('; ')}`);
  }
  return parsed.data;
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch {
    return false;
  }
}

function parseDateAs(text: string, format: ColumnMapping['date_format']): string | undefined {
  const parts = text.trim().split(/[-/.]/);
  if (parts.length !== 3) return undefined;
  const [a, b, c] = parts as [string, string, string];
  const [y, m, d] =
    format === 'YYYY-MM-DD' ? [a, b, c] : format === 'MM/DD/YYYY' ? [c, a, b] : ([c, b, a] as const);
  if (!/^\d{4}$/.test(y) || !/^\d{1,2}$/.test(m) || !/^\d{1,2}$/.test(d)) return undefined;
  const iso = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
  const ms = Date.parse(`${iso}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== iso ? undefined : iso;
}

/** Parses one CSV file's text into rows; `file` names it in errors. */
export function parseReportCsv(text: string, file: string, mapping: ColumnMapping): HistoryRow[] {
  return parseReportRecords(text, file, mapping).map((r) => r.row);
}

function parseReportRecords(
  text: string,
  file: string,
  mapping: ColumnMapping,
): { row: HistoryRow; line: number }[] {
  let records: ReturnType<typeof parseCsv>;
  try {
    records = parseCsv(text, mapping.delimiter);
  } catch (error) {
    throw new ImportError(file, undefined, (error as Error).message);
  }
  const header = records[0];
  if (header === undefined) throw new ImportError(file, undefined, 'is empty (no header row)');
  const index = new Map(header.fields.map((name, i) => [name.trim().toLowerCase(), i]));
  const columnOf = (column: ReportColumn) => {
    const name = (mapping.columns[column] ?? column).toLowerCase();
    return index.get(name);
  };
  const positions = Object.fromEntries(REPORT_COLUMNS.map((c) => [c, columnOf(c)])) as Record<
    ReportColumn,
    number | undefined
  >;
  const missing = (['tanggal', 'shift', 'total_produksi', 'produk_cacat'] as const).filter(
    (c) => positions[c] === undefined,
  );
  if (positions.mesin === undefined && mapping.defaults.mesin === undefined) missing.push('mesin' as never);
  if (missing.length > 0) {
    const names = missing.map((c) => `"${mapping.columns[c] ?? c}"`).join(', ');
    throw new ImportError(
      file,
      header.line,
      `header lacks the column(s) ${names} (map them in ${MAPPING_FILE})`,
    );
  }

  const rows: { row: HistoryRow; line: number }[] = [];
  for (const record of records.slice(1)) {
    const fail = (column: ReportColumn, problem: string): never => {
      throw new ImportError(file, record.line, `column "${mapping.columns[column] ?? column}" ${problem}`);
    };
    const raw = (column: ReportColumn): string | undefined => {
      const at = positions[column];
      const value = at === undefined ? undefined : record.fields[at]?.trim();
      return value === '' ? undefined : value;
    };
    const number = (column: ReportColumn): number | undefined => {
      const text = raw(column);
      if (text === undefined) return undefined;
      const normal = mapping.decimal === ',' ? text.replaceAll('.', '').replace(',', '.') : text;
      const value = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(normal) ? Number(normal) : Number.NaN;
      return Number.isFinite(value) ? value : fail(column, `holds "${text}", which is not a number`);
    };
    const within = (column: ReportColumn, value: number | undefined, lo: number, hi: number) => {
      if (value !== undefined && (value < lo || value > hi))
        fail(column, `holds ${value}, outside ${lo}..${hi}`);
      return value;
    };
    const count = (column: ReportColumn): number => {
      const value = number(column) ?? fail(column, 'is empty');
      if (!Number.isInteger(value) || value < 0) fail(column, `holds ${value}; expected a whole number ≥ 0`);
      return value;
    };

    const dateText = raw('tanggal') ?? fail('tanggal', 'is empty');
    const tanggal =
      parseDateAs(dateText, mapping.date_format) ??
      fail('tanggal', `holds "${dateText}", not a ${mapping.date_format} date`);
    const shift = number('shift') ?? fail('shift', 'is empty');
    if (shift !== 1 && shift !== 2 && shift !== 3) fail('shift', `holds ${shift}; expected 1, 2 or 3`);
    const mesin = raw('mesin') ?? mapping.defaults.mesin ?? fail('mesin', 'is empty');
    if (!MACHINE_ID_PATTERN.test(mesin)) fail('mesin', `holds "${mesin}", not a machine id`);
    const total = count('total_produksi');
    const defects = count('produk_cacat');
    if (defects > total) fail('produk_cacat', `holds ${defects}, more than total_produksi ${total}`);
    const planned =
      within('planned_minutes', number('planned_minutes'), 0, 1440) ??
      mapping.defaults.planned_minutes ??
      SHIFT_MINUTES;
    const availability = within('availability_rate', number('availability_rate'), 0, 100);
    const downtimeColumn = within('downtime_minutes', number('downtime_minutes'), 0, 1440);
    const run =
      within('run_minutes', number('run_minutes'), 0, 1440) ??
      (downtimeColumn !== undefined
        ? planned - downtimeColumn
        : availability !== undefined
          ? (availability / 100) * planned
          : fail('run_minutes', 'is missing, and neither downtime_minutes nor availability_rate is given'));
    if (run < 0 || run > planned)
      fail('run_minutes', `works out to ${run}, outside 0..planned_minutes (${planned})`);
    const reason = raw('downtime_reason') ?? null;
    const statusText = raw('status');
    let status: MachineStatus;
    if (statusText === undefined) {
      status = planned === 0 ? 'Idle' : reason !== null && run < planned ? 'Downtime' : 'Running';
    } else {
      const known = MACHINE_STATUSES.find((s) => s.toLowerCase() === statusText.toLowerCase());
      status =
        known ?? fail('status', `holds "${statusText}"; expected one of ${MACHINE_STATUSES.join(', ')}`);
    }
    const rate = (column: 'performance_rate' | 'quality_rate', derived: number) =>
      within(column, number(column), 0, 100) ?? Math.round(derived * 100) / 100;
    const maintenanceHours = within('durasi_maintenance_jam', number('durasi_maintenance_jam'), 0, 1000);
    const aggregates = Object.fromEntries(
      SENSOR_AGGREGATE_COLUMNS.map((c) => [c, number(c) ?? null]),
    ) as Pick<HistoryRow, (typeof SENSOR_AGGREGATE_COLUMNS)[number]>;

    const row: HistoryRow = {
      tanggal,
      shift: shift as ShiftNumber,
      mesin,
      status,
      planned_minutes: planned,
      run_minutes: run,
      downtime_minutes: planned - run,
      downtime_reason: reason,
      total_produksi: total,
      produk_cacat: defects,
      availability_rate: availability ?? (planned > 0 ? Math.round((run / planned) * 10_000) / 100 : 0),
      performance_rate: rate(
        'performance_rate',
        run > 0 ? Math.min(100, (total / (FLEXO_104_PROFILE.ideal_rate_ppm * run)) * 100) : 0,
      ),
      quality_rate: rate('quality_rate', total > 0 ? ((total - defects) / total) * 100 : 100),
      durasi_maintenance_jam: maintenanceHours ?? null,
      jenis_maintenance: raw('jenis_maintenance') ?? null,
      ...aggregates,
    };
    rows.push({ row, line: record.line });
  }
  return rows;
}

const labelSchema = z.object({
  machine_id: z.string().regex(MACHINE_ID_PATTERN),
  fault: z.string().refine(isFaultType, 'unknown fault type'),
  sensor: z.string().refine(isSensorName, 'unknown sensor'),
  category: z.string(),
  start: z.iso.datetime(),
  end: z.iso.datetime(),
  source: z.enum(['history', 'injected']),
  rules: z.array(z.string()),
});

/** Parses fault labels (JSON lines), as generate-history and the publisher write them. */
export function parseLabels(text: string, file: string): FaultLabel[] {
  const labels: FaultLabel[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new ImportError(file, i + 1, `not valid JSON (${(error as Error).message})`);
    }
    const parsed = labelSchema.safeParse(value);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ');
      throw new ImportError(file, i + 1, `not a fault label (${problems})`);
    }
    labels.push(parsed.data as FaultLabel);
  });
  return labels;
}

export interface ImportedHistory extends History {
  /** The CSV files read, in order. */
  readonly files: readonly string[];
}

/** Report files in calendar order ("… Desember 2024" before "… Januari 2025"), other names after, by name. */
function byReportMonth(a: string, b: string): number {
  const ma = parseReportFileName(a);
  const mb = parseReportFileName(b);
  if (ma !== undefined && mb !== undefined) return ma.year - mb.year || ma.month - mb.month;
  if (ma !== undefined || mb !== undefined) return ma !== undefined ? -1 : 1;
  return a.localeCompare(b);
}

/** Reads every `*.csv` file of `dir` (and `labels.jsonl` if present) into one history. */
export async function importHistoryFolder(
  dir: string,
  options: CsvImportOptions = {},
): Promise<ImportedHistory> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.csv')).sort(byReportMonth);
  } catch (error) {
    throw new ImportError(dir, undefined, `cannot be read (${(error as Error).message})`);
  }
  if (names.length === 0) throw new ImportError(dir, undefined, 'holds no .csv files');
  const mappingPath = typeof options.mapping === 'string' ? options.mapping : join(dir, MAPPING_FILE);
  const mapping =
    typeof options.mapping === 'object'
      ? columnMappingSchema.parse(options.mapping)
      : typeof options.mapping === 'string' || (await exists(mappingPath))
        ? await readMapping(mappingPath)
        : columnMappingSchema.parse({});

  const rows: HistoryRow[] = [];
  const seen = new Map<string, string>();
  const files: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    files.push(path);
    for (const { row, line } of parseReportRecords(await readFile(path, 'utf8'), path, mapping)) {
      const key = `${row.mesin} ${row.tanggal} shift ${row.shift}`;
      const first = seen.get(key);
      if (first !== undefined)
        throw new ImportError(path, line, `repeats the row of ${key} (first at ${first})`);
      seen.set(key, `${basename(path)}:${line}`);
      rows.push(row);
    }
  }
  rows.sort(compareRows);
  const labelsPath = join(dir, LABELS_FILE);
  const labels = (await exists(labelsPath))
    ? parseLabels(await readFile(labelsPath, 'utf8'), labelsPath)
    : [];
  return { rows, labels, files };
}
