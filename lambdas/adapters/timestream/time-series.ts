/**
 * Time series in Amazon Timestream for LiveAnalytics (TIME_SERIES_BACKEND=timestream).
 *
 * Layout: one multi-measure record per reading. The machine is the only dimension (a common attribute
 * of each WriteRecords call, which carries one machine's records, at most 100); `seq` and every sensor
 * are measures of the record, the production status fields likewise. Timestream treats a record with
 * the same dimensions, time and measure name as the same record: re-writing an identical reading is
 * accepted and changes nothing (idempotent retries), while a *different* reading at the same
 * millisecond is rejected — those come back in RejectedRecords and are reported to the caller, which
 * quarantines them with the reason instead of retrying forever.
 *
 * Queries use the Timestream query client: raw pages by keyset on (time, seq), aggregates with bin().
 */
import {
  QueryCommand,
  type QueryCommandOutput,
  type TimestreamQueryClient,
} from '@aws-sdk/client-timestream-query';
import {
  type _Record,
  type MeasureValue,
  type TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import type { MessageKind, ProductionMessage, TelemetryMessage } from '../../core/messages.js';
import type {
  ProductionQuery,
  TelemetryPoint,
  TelemetryQuery,
  TelemetrySeries,
  TimeSeriesStore,
  WriteReport,
} from '../../core/ports.js';
import { chunks, mapLimit } from '../../shared/async.js';
import { DEFAULT_RAW_LIMIT, decodeRawCursor, MAX_RAW_LIMIT, RawPageCollector } from '../time-series-query.js';

/** WriteRecords accepts at most 100 records per call. */
export const MAX_RECORDS_PER_WRITE = 100;
export const MACHINE_DIMENSION = 'machine_id';
export const MEASURE_NAMES: Readonly<Record<MessageKind, string>> = {
  telemetry: 'telemetry',
  production: 'production',
};

/**
 * Columns Timestream or this layout already uses; an unknown sensor with one of these names cannot be
 * a measure and is left out of the time series (it stays in the raw archive).
 */
const RESERVED_COLUMNS = new Set(['time', 'measure_name', 'seq', MACHINE_DIMENSION]);
const isReserved = (name: string) => RESERVED_COLUMNS.has(name) || name.startsWith('measure_value');

const PRODUCTION_MEASURES = {
  status: 'VARCHAR',
  total_produksi: 'BIGINT',
  produk_cacat: 'BIGINT',
  planned_minutes: 'DOUBLE',
  run_minutes: 'DOUBLE',
  ideal_rate_ppm: 'DOUBLE',
  availability_rate: 'DOUBLE',
  performance_rate: 'DOUBLE',
  quality_rate: 'DOUBLE',
  downtime_reason: 'VARCHAR',
} as const satisfies Partial<Record<keyof ProductionMessage, 'VARCHAR' | 'BIGINT' | 'DOUBLE'>>;

export interface TimestreamTables {
  readonly database: string;
  readonly telemetryTable: string;
  readonly productionTable: string;
}

/** A measure column list of a table, refreshed at most this often (new sensors appear as new columns). */
const COLUMNS_TTL_MS = 5 * 60_000;

export function telemetryRecord(m: TelemetryMessage): _Record {
  const values: MeasureValue[] = [{ Name: 'seq', Value: String(m.seq), Type: 'BIGINT' }];
  for (const name in m.sensors) {
    if (!isReserved(name)) values.push({ Name: name, Value: String(m.sensors[name]), Type: 'DOUBLE' });
  }
  return { Time: String(m.ts), MeasureValues: values };
}

export function productionRecord(m: ProductionMessage): _Record {
  const values: MeasureValue[] = [{ Name: 'seq', Value: String(m.seq), Type: 'BIGINT' }];
  for (const [name, type] of Object.entries(PRODUCTION_MEASURES)) {
    const value = m[name as keyof typeof PRODUCTION_MEASURES];
    // Timestream has no null measure: an absent optional field is simply not part of the record.
    if (value === undefined || value === null || value === '') continue;
    values.push({ Name: name, Value: String(value), Type: type });
  }
  return { Time: String(m.ts), MeasureValues: values };
}

/** Escapes a string literal for Timestream SQL (ids are validated already; this is defence in depth). */
const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;
/** Sensor names are [A-Za-z0-9_] by contract; anything else is refused rather than quoted. */
function identifier(name: string): string {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new Error(`"${name.slice(0, 70)}" is not a column name`);
  return `"${name}"`;
}

/** "2025-10-23 10:30:00.123000000" (Timestream's timestamp text, UTC) → epoch ms. */
export function parseTimestreamTime(text: string): number {
  const [date, time = '00:00:00'] = text.split(' ');
  const [hms = '00:00:00', fraction = ''] = time.split('.');
  return Date.parse(`${date}T${hms}.${fraction.padEnd(3, '0').slice(0, 3)}Z`);
}

type Row = Record<string, string | null>;

export class TimestreamTimeSeriesStore implements TimeSeriesStore {
  private readonly columns = new Map<string, { at: number; doubles: Set<string> }>();

  constructor(
    private readonly writer: TimestreamWriteClient,
    private readonly reader: TimestreamQueryClient,
    private readonly tables: TimestreamTables,
    private readonly clock: () => number = Date.now,
  ) {}

  writeTelemetry(messages: readonly TelemetryMessage[]): Promise<WriteReport> {
    return this.write('telemetry', this.tables.telemetryTable, messages, telemetryRecord);
  }

  writeProduction(messages: readonly ProductionMessage[]): Promise<WriteReport> {
    return this.write('production', this.tables.productionTable, messages, productionRecord);
  }

  async queryTelemetry(query: TelemetryQuery): Promise<TelemetrySeries> {
    if (query.to <= query.from) {
      return query.interval_ms === undefined
        ? { kind: 'raw', points: [] }
        : { kind: 'aggregated', interval_ms: query.interval_ms, buckets: [] };
    }
    return query.interval_ms === undefined ? this.raw(query) : this.aggregated(query, query.interval_ms);
  }

  async queryProduction(query: ProductionQuery): Promise<ProductionMessage[]> {
    if (query.to <= query.from) return [];
    const rows = await this.query(
      `SELECT * FROM ${this.table(this.tables.productionTable)} WHERE ${this.where(query, 'production')} ORDER BY time ASC, seq ASC`,
    );
    return rows.map((row) => {
      const m: Record<string, unknown> = {
        machine_id: query.machine_id,
        ts: parseTimestreamTime(row.time ?? ''),
        seq: Number(row.seq),
      };
      for (const [name, type] of Object.entries(PRODUCTION_MEASURES)) {
        const v = row[name];
        if (v === null || v === undefined) continue;
        m[name] = type === 'VARCHAR' ? v : Number(v);
      }
      return m as ProductionMessage;
    });
  }

  private async write<M extends TelemetryMessage | ProductionMessage>(
    kind: MessageKind,
    table: string,
    messages: readonly M[],
    toRecord: (m: M) => _Record,
  ): Promise<WriteReport> {
    const byMachine = new Map<string, M[]>();
    for (const m of messages) {
      const list = byMachine.get(m.machine_id);
      if (list === undefined) byMachine.set(m.machine_id, [m]);
      else list.push(m);
    }
    const calls = [...byMachine].flatMap(([machineId, list]) =>
      chunks(list, MAX_RECORDS_PER_WRITE).map((chunk) => ({ machineId, chunk })),
    );
    const reports = await mapLimit(calls, 4, async ({ machineId, chunk }): Promise<WriteReport> => {
      try {
        await this.writer.send(
          new WriteRecordsCommand({
            DatabaseName: this.tables.database,
            TableName: table,
            CommonAttributes: {
              Dimensions: [{ Name: MACHINE_DIMENSION, Value: machineId, DimensionValueType: 'VARCHAR' }],
              MeasureName: MEASURE_NAMES[kind],
              MeasureValueType: 'MULTI',
              TimeUnit: 'MILLISECONDS',
            },
            Records: chunk.map(toRecord),
          }),
        );
        return { written: chunk.length, rejected: [] };
      } catch (error) {
        if (!(error instanceof Error) || error.name !== 'RejectedRecordsException') throw error;
        // The other records of the call were ingested; only these were refused.
        const refused =
          (error as { RejectedRecords?: { RecordIndex?: number; Reason?: string }[] }).RejectedRecords ?? [];
        const rejected = refused.flatMap((r) => {
          const m = r.RecordIndex === undefined ? undefined : chunk[r.RecordIndex];
          return m === undefined
            ? []
            : [
                {
                  machine_id: m.machine_id,
                  seq: m.seq,
                  reason: `Timestream rejected the record: ${r.Reason ?? 'no reason given'}`,
                },
              ];
        });
        if (rejected.length === 0) throw error;
        return { written: chunk.length - rejected.length, rejected };
      }
    });
    return {
      written: reports.reduce((n, r) => n + r.written, 0),
      rejected: reports.flatMap((r) => r.rejected),
    };
  }

  private async raw(query: TelemetryQuery): Promise<TelemetrySeries> {
    const cursor = decodeRawCursor(query.cursor);
    const limit = Math.min(query.limit ?? DEFAULT_RAW_LIMIT, MAX_RAW_LIMIT);
    const after =
      cursor === undefined
        ? ''
        : ` AND (time > from_milliseconds(${cursor.ts}) OR (time = from_milliseconds(${cursor.ts}) AND seq > ${cursor.seq}))`;
    // A sensors filter may drop whole rows, so the page is filled client-side from a generous read.
    const rows = await this.query(
      `SELECT * FROM ${this.table(this.tables.telemetryTable)} WHERE ${this.where(query, 'telemetry')}${after} ORDER BY time ASC, seq ASC LIMIT ${limit + 1}`,
    );
    const page = new RawPageCollector(query);
    for (const row of rows) if (!page.add(rowToPoint(row))) break;
    return page.result();
  }

  private async aggregated(query: TelemetryQuery, intervalMs: number): Promise<TelemetrySeries> {
    const available = await this.doubleColumns(this.tables.telemetryTable);
    const sensors = (query.sensors ?? [...available]).filter((s) => available.has(s) && !isReserved(s));
    if (sensors.length === 0) return { kind: 'aggregated', interval_ms: intervalMs, buckets: [] };
    const bin = `bin(time, ${Math.round(intervalMs)}ms)`;
    const selects = sensors.flatMap((s) => {
      const c = identifier(s);
      return [
        `avg(${c}) AS "${s}__avg"`,
        `min(${c}) AS "${s}__min"`,
        `max(${c}) AS "${s}__max"`,
        `count(${c}) AS "${s}__count"`,
      ];
    });
    const rows = await this.query(
      `SELECT to_milliseconds(${bin}) AS bucket, ${selects.join(', ')} FROM ${this.table(this.tables.telemetryTable)} WHERE ${this.where(query, 'telemetry')} GROUP BY ${bin} ORDER BY bucket ASC`,
    );
    const buckets = rows.flatMap((row) => {
      const out: Record<string, { avg: number; min: number; max: number; count: number }> = {};
      for (const s of sensors) {
        const count = Number(row[`${s}__count`] ?? 0);
        if (count === 0) continue;
        out[s] = {
          avg: Number(row[`${s}__avg`]),
          min: Number(row[`${s}__min`]),
          max: Number(row[`${s}__max`]),
          count,
        };
      }
      return Object.keys(out).length === 0 ? [] : [{ ts: Number(row.bucket), sensors: sortKeys(out) }];
    });
    return { kind: 'aggregated', interval_ms: intervalMs, buckets };
  }

  private where(range: { machine_id: string; from: number; to: number }, kind: MessageKind): string {
    return [
      `${MACHINE_DIMENSION} = ${literal(range.machine_id)}`,
      `measure_name = ${literal(MEASURE_NAMES[kind])}`,
      `time >= from_milliseconds(${Math.floor(range.from)})`,
      `time < from_milliseconds(${Math.floor(range.to)})`,
    ].join(' AND ');
  }

  private table(name: string): string {
    return `"${this.tables.database.replaceAll('"', '""')}"."${name.replaceAll('"', '""')}"`;
  }

  /** The DOUBLE measure columns of a table (sensors), cached for a few minutes. */
  private async doubleColumns(table: string): Promise<Set<string>> {
    const cached = this.columns.get(table);
    if (cached !== undefined && this.clock() - cached.at < COLUMNS_TTL_MS) return cached.doubles;
    const rows = await this.query(`DESCRIBE ${this.table(table)}`);
    const doubles = new Set<string>();
    for (const row of rows) {
      const column = row.Column;
      if (column != null && row.Type === 'double' && !isReserved(column)) doubles.add(column);
    }
    this.columns.set(table, { at: this.clock(), doubles });
    return doubles;
  }

  /** Runs a query to completion (Timestream may return empty pages with a NextToken while it works). */
  private async query(sql: string): Promise<Row[]> {
    const rows: Row[] = [];
    let token: string | undefined;
    do {
      const page: QueryCommandOutput = await this.reader.send(
        new QueryCommand({ QueryString: sql, ...(token !== undefined && { NextToken: token }) }),
      );
      const names = (page.ColumnInfo ?? []).map((c) => c.Name ?? '');
      for (const r of page.Rows ?? []) {
        const row: Row = {};
        (r.Data ?? []).forEach((d, i) => {
          row[names[i] ?? String(i)] = d.NullValue === true ? null : (d.ScalarValue ?? null);
        });
        rows.push(row);
      }
      token = page.NextToken;
    } while (token !== undefined);
    return rows;
  }
}

function rowToPoint(row: Row): TelemetryPoint {
  const sensors: Record<string, number> = {};
  for (const name in row) {
    const v = row[name];
    if (v === null || v === undefined || isReserved(name)) continue;
    sensors[name] = Number(v);
  }
  return { ts: parseTimestreamTime(row.time ?? ''), seq: Number(row.seq), sensors };
}

function sortKeys<V>(record: Record<string, V>): Record<string, V> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}
