/**
 * Training data from CSV text: a small RFC 4180 reader (header row, quoted cells, CRLF) and numeric
 * columns with errors that name the file, the line and the column of the offending cell, because the
 * person reading them is looking at a spreadsheet export, not at our code.
 */

export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

export interface CsvTable {
  /** The name errors use (a path, as the user gave it). */
  readonly file: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** The 1-based line each row starts on (the header is line 1 unless blank lines precede it). */
  readonly lines: readonly number[];
}

/** Numeric columns by name, one value per row, with where the rows came from. */
export interface Dataset {
  readonly target: string;
  readonly features: readonly string[];
  readonly columns: readonly Float64Array[];
  readonly y: Float64Array;
  /** First and last day covered, when the data has an ISO `tanggal` (date) column. */
  readonly dateRange: DateRange | null;
}

export interface DateRange {
  readonly from: string;
  readonly to: string;
}

/** The delimiter of a header line: the first of , ; tab that occurs in it (comma when none does). */
function detectDelimiter(text: string): string {
  const end = text.indexOf('\n');
  const first = end < 0 ? text : text.slice(0, end);
  for (const d of [',', ';', '\t']) if (first.includes(d)) return d;
  return ',';
}

export function parseCsv(text: string, file: string): CsvTable {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const delimiter = detectDelimiter(source);
  const records: string[][] = [];
  const lines: number[] = [];
  let line = 1;
  let i = 0;
  const n = source.length;
  while (i < n) {
    const startLine = line;
    const cells: string[] = [];
    let cell = '';
    let endOfRecord = false;
    while (!endOfRecord) {
      if (source[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new DatasetError(`${file}:${startLine}: a quoted cell is never closed`);
          const ch = source[i] as string;
          if (ch === '"') {
            if (source[i + 1] === '"') {
              cell += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === '\n') line++;
          cell += ch;
          i++;
        }
      }
      // Unquoted text (or text after a closing quote) up to the next delimiter or line end.
      let j = i;
      while (j < n && source[j] !== delimiter && source[j] !== '\n' && source[j] !== '\r') j++;
      cell += source.slice(i, j);
      i = j;
      cells.push(cell);
      cell = '';
      if (i < n && source[i] === delimiter) {
        i++;
        continue;
      }
      if (source[i] === '\r') i++;
      if (source[i] === '\n') i++;
      line++;
      endOfRecord = true;
    }
    if (cells.length === 1 && (cells[0] as string).trim() === '') continue;
    records.push(cells);
    lines.push(startLine);
  }
  const header = records.shift()?.map((h) => h.trim());
  const headerLine = lines.shift() ?? 1;
  if (header === undefined) throw new DatasetError(`${file}: empty file (a header row is expected)`);
  const seen = new Set<string>();
  for (const name of header) {
    if (name === '') throw new DatasetError(`${file}:${headerLine}: a header cell is empty`);
    if (seen.has(name)) throw new DatasetError(`${file}:${headerLine}: column "${name}" appears twice`);
    seen.add(name);
  }
  records.forEach((cells, r) => {
    if (cells.length !== header.length)
      throw new DatasetError(
        `${file}:${lines[r]}: ${cells.length} cells, but the header has ${header.length} columns`,
      );
  });
  return { file, header, rows: records, lines };
}

/** The column's 0-based index; a DatasetError naming the file and the columns it has when absent. */
export function columnIndex(table: CsvTable, name: string): number {
  const index = table.header.indexOf(name);
  if (index < 0)
    throw new DatasetError(`${table.file}: no column "${name}" (columns: ${table.header.join(', ')})`);
  return index;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A decimal number (dot as decimal separator, optional exponent), or undefined. */
export function parseNumber(cell: string): number | undefined {
  const text = cell.trim();
  if (!NUMBER.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Where a cell is, as a person finds it: file:line, column name and 1-based position. */
function cellAt(table: CsvTable, row: number, column: number): string {
  return `${table.file}:${table.lines[row]}: column "${table.header[column]}" (column ${column + 1})`;
}

/** The named columns of every table, rows concatenated in table order; every cell must be a number. */
export function numericColumns(tables: readonly CsvTable[], names: readonly string[]): Float64Array[] {
  const total = tables.reduce((sum, t) => sum + t.rows.length, 0);
  const columns = names.map(() => new Float64Array(total));
  let offset = 0;
  for (const table of tables) {
    names.forEach((name, c) => {
      const index = columnIndex(table, name);
      const out = columns[c] as Float64Array;
      table.rows.forEach((cells, r) => {
        const cell = cells[index] as string;
        const value = parseNumber(cell);
        if (value === undefined) {
          const what = cell.trim() === '' ? ' is empty' : `: "${cell}" is not a number`;
          throw new DatasetError(`${cellAt(table, r, index)}${what}`);
        }
        out[offset + r] = value;
      });
    });
    offset += table.rows.length;
  }
  return columns;
}

/** The table with only the rows whose cell in `column` is not blank. */
export function rowsWithValue(table: CsvTable, column: string): CsvTable {
  const index = columnIndex(table, column);
  const keep = table.rows.flatMap((cells, r) => ((cells[index] as string).trim() === '' ? [] : [r]));
  return {
    ...table,
    rows: keep.map((r) => table.rows[r] as readonly string[]),
    lines: keep.map((r) => table.lines[r] as number),
  };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

/** First and last ISO date (YYYY-MM-DD…) among the values; null when there is none. */
export function dateRangeOf(values: Iterable<unknown>): DateRange | null {
  let from: string | undefined;
  let to: string | undefined;
  for (const v of values) {
    if (typeof v !== 'string' || !ISO_DATE.test(v)) continue;
    const day = v.slice(0, 10);
    if (from === undefined || day < from) from = day;
    if (to === undefined || day > to) to = day;
  }
  return from === undefined || to === undefined ? null : { from, to };
}

/**
 * A regression or classification dataset from CSV tables: the target and the features (default:
 * every column but the target, all numeric) of every row.
 */
export function csvDataset(
  tables: readonly CsvTable[],
  target: string,
  features?: readonly string[],
  dateColumn = 'tanggal',
): Dataset {
  const first = tables[0];
  if (first === undefined) throw new DatasetError('no CSV data given');
  const names = features ?? first.header.filter((h) => h !== target);
  if (names.length === 0) throw new DatasetError(`${first.file}: no feature columns besides "${target}"`);
  if (names.includes(target)) throw new DatasetError(`the target "${target}" cannot also be a feature`);
  const [y, ...columns] = numericColumns(tables, [target, ...names]);
  const dates = tables.flatMap((t) => {
    const index = t.header.indexOf(dateColumn);
    return index < 0 ? [] : t.rows.map((cells) => cells[index]);
  });
  return { target, features: names, columns, y: y as Float64Array, dateRange: dateRangeOf(dates) };
}
