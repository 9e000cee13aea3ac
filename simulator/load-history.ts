/**
 * Loads what the publisher replays from a path: a folder of shift reports (CSV) or a file of recorded
 * sensor records (JSONL), and describes it for the PHASE 1 printout.
 */
import { stat } from 'node:fs/promises';
import { historyMachines } from './history.js';
import { type CsvImportOptions, type ImportedHistory, importHistoryFolder } from './import-csv.js';
import { ImportError } from './import-error.js';
import {
  importSensorRecords,
  type JsonlImportOptions,
  recordingMachines,
  type SensorRecording,
} from './import-jsonl.js';
import { formatStats, machineStats } from './stats.js';

export type LoadedHistory =
  | { readonly kind: 'reports'; readonly history: ImportedHistory }
  | { readonly kind: 'records'; readonly recording: SensorRecording };

export async function loadHistory(
  path: string,
  options: CsvImportOptions & JsonlImportOptions = {},
): Promise<LoadedHistory> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    throw new ImportError(path, undefined, `cannot be read (${(error as Error).message})`);
  }
  if (isDirectory) return { kind: 'reports', history: await importHistoryFolder(path, options) };
  if (/\.(jsonl|ndjson)$/i.test(path))
    return { kind: 'records', recording: await importSensorRecords(path, options) };
  throw new ImportError(
    path,
    undefined,
    'is neither a folder of CSV reports nor a .jsonl file of sensor records',
  );
}

/** PHASE 1 lines for a loaded history: files, records, and the statistics of its first machine. */
export function describeHistory(loaded: LoadedHistory, source: string): string {
  if (loaded.kind === 'reports') {
    const { history } = loaded;
    const machines = historyMachines(history);
    const lines = [
      `[INFO] Reading data from folder: ${source}`,
      `[INFO] Found ${history.files.length} CSV file(s): ${history.rows.length} rows, ${machines.length} machine(s), ${history.labels.length} fault label(s)`,
    ];
    const first = machines[0];
    if (first !== undefined) lines.push(formatStats(machineStats(history.rows, first)));
    return lines.join('\n');
  }
  const { records } = loaded.recording;
  const lines = [`[INFO] Reading sensor records from: ${source}`];
  for (const machine of recordingMachines(loaded.recording)) {
    const own = records.filter((r) => r.machine_id === machine);
    const from = new Date((own[0] as (typeof own)[number]).ts).toISOString();
    const to = new Date((own[own.length - 1] as (typeof own)[number]).ts).toISOString();
    lines.push(`[INFO] Data ${machine}: ${own.length} records, ${from} … ${to}`);
  }
  return lines.join('\n');
}
