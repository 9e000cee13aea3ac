/**
 * CSV as the monthly reports use it (RFC 4180: comma-separated, fields quoted when they hold the
 * delimiter, a quote or a line break), and the writer of a history as one report file per month plus
 * its fault labels (`labels.jsonl`) beside them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { History, HistoryRow } from './history.js';
import { REPORT_COLUMNS } from './history.js';
import { parseDate, reportFileName } from './time.js';

export const LABELS_FILE = 'labels.jsonl';

function quote(field: string, delimiter: string): string {
  return field.includes(delimiter) || /["\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

export function formatCsvLine(fields: readonly (string | number | null)[], delimiter = ','): string {
  return fields.map((f) => (f === null ? '' : quote(String(f), delimiter))).join(delimiter);
}

/** A parsed CSV record and the (1-based) line it starts on. */
export interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
}

/**
 * Parses CSV text into records. Handles quoted fields (with doubled quotes and line breaks), CRLF and
 * a UTF-8 byte-order mark; blank lines are skipped. Throws on an unterminated quote, naming its line.
 */
export function parseCsv(text: string, delimiter = ','): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let fields: string[] = [];
  let field = '';
  let recordLine = 1;
  let quoted = false;
  let quoteLine = 0;
  const endRecord = () => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== '') records.push({ line: recordLine, fields });
    fields = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      quoteLine = line;
    } else if (c === delimiter) {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else field += c;
  }
  if (quoted) throw new Error(`line ${quoteLine}: a quoted field is never closed`);
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}

/** The row as report fields, in REPORT_COLUMNS order. */
function reportFields(row: HistoryRow): (string | number | null)[] {
  return REPORT_COLUMNS.map((column) => row[column]);
}

/** The monthly report files of a history: file name → CSV text. */
export function historyCsvFiles(history: History): Map<string, string> {
  const byMonth = new Map<string, string[]>();
  for (const row of history.rows) {
    const name = reportFileName(parseDate(row.tanggal));
    let lines = byMonth.get(name);
    if (lines === undefined) {
      lines = [formatCsvLine(REPORT_COLUMNS)];
      byMonth.set(name, lines);
    }
    lines.push(formatCsvLine(reportFields(row)));
  }
  return new Map([...byMonth].map(([name, lines]) => [name, `${lines.join('\n')}\n`]));
}

/** Writes the monthly reports and `labels.jsonl` into `dir` (created if needed); returns the file names. */
export async function writeHistory(dir: string, history: History): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = historyCsvFiles(history);
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  await writeFile(join(dir, LABELS_FILE), history.labels.map((l) => `${JSON.stringify(l)}\n`).join(''));
  return [...files.keys(), LABELS_FILE];
}
