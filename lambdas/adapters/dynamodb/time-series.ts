/**
 * Time series in DynamoDB (TIME_SERIES_BACKEND=dynamodb), for accounts without Timestream: one item per
 * machine, kind and minute (`series` = "<machine_id>#<kind>", `minute` = its start), holding each reading
 * as an attribute `p_<ts>_<seq>`. Writes are UpdateItems that SET those attributes, so
 * - a batch costs one write per machine-minute (up to 100 readings each), not one per reading;
 * - writing a reading again sets the same attribute to the same value: idempotent per (ts, seq);
 * - concurrent writers into the same minute never overwrite each other's readings.
 * Every item carries a TTL (`expires_at`) of the retention after its minute. Queries read the minute
 * range with Query and aggregate in the function (time-series-query.ts).
 *
 * Limits: an item holds at most 400 KB, about 2 000 seven-sensor readings, i.e. ~30 Hz per machine;
 * readings that do not fit are reported as rejected (quarantined), not lost silently.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
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
import { answerFromOrdered, decodeRawCursor, RawPageCollector } from '../time-series-query.js';
import { TELEMETRY_TABLE, TTL_ATTRIBUTE } from './tables.js';

const SERIES = TELEMETRY_TABLE.partitionKey.name;
const MINUTE = TELEMETRY_TABLE.sortKey.name;
const MINUTE_MS = 60_000;
/** Readings per UpdateItem: keeps the expression well under DynamoDB's 4 KB expression limit. */
const POINTS_PER_UPDATE = 100;
const POINT_PREFIX = 'p_';
const POINT_NAME = /^p_(\d+)_(\d+)$/;

export const seriesKey = (machineId: string, kind: MessageKind) => `${machineId}#${kind}`;
export const minuteOf = (ts: number) => Math.floor(ts / MINUTE_MS) * MINUTE_MS;

type StoredTelemetry = { s: Record<string, number> };
type StoredProduction = Omit<ProductionMessage, 'machine_id' | 'ts' | 'seq'>;

interface PendingPoint {
  readonly name: string;
  readonly value: StoredTelemetry | StoredProduction;
  readonly machine_id: string;
  readonly seq: number;
}

export class DynamoDbTimeSeriesStore implements TimeSeriesStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionDays: number,
  ) {}

  writeTelemetry(messages: readonly TelemetryMessage[]): Promise<WriteReport> {
    return this.write('telemetry', messages, (m): StoredTelemetry => ({ s: m.sensors }));
  }

  writeProduction(messages: readonly ProductionMessage[]): Promise<WriteReport> {
    return this.write('production', messages, ({ machine_id: _m, ts: _t, seq: _s, ...rest }) => rest);
  }

  async queryTelemetry(query: TelemetryQuery): Promise<TelemetrySeries> {
    if (query.interval_ms !== undefined) {
      const points: TelemetryPoint[] = [];
      for await (const item of this.items(seriesKey(query.machine_id, 'telemetry'), query)) {
        for (const p of telemetryPoints(item)) points.push(p);
      }
      return answerFromOrdered(query, points);
    }
    // Raw pages start at the cursor's minute and stop reading as soon as the page is full.
    const cursor = decodeRawCursor(query.cursor);
    const range = { from: Math.max(query.from, cursor?.ts ?? query.from), to: query.to };
    const page = new RawPageCollector(query);
    for await (const item of this.items(seriesKey(query.machine_id, 'telemetry'), range)) {
      for (const p of telemetryPoints(item)) if (!page.add(p)) return page.result();
    }
    return page.result();
  }

  async queryProduction(query: ProductionQuery): Promise<ProductionMessage[]> {
    const out: ProductionMessage[] = [];
    for await (const item of this.items(seriesKey(query.machine_id, 'production'), query)) {
      for (const [ts, seq, value] of pointsOf<StoredProduction>(item)) {
        if (ts >= query.from && ts < query.to) {
          out.push({ ...value, machine_id: query.machine_id, ts, seq } as ProductionMessage);
        }
      }
    }
    return out;
  }

  private async write<M extends TelemetryMessage | ProductionMessage>(
    kind: MessageKind,
    messages: readonly M[],
    value: (m: M) => StoredTelemetry | StoredProduction,
  ): Promise<WriteReport> {
    // One bucket per machine-minute; a reading given twice is one attribute (the later copy wins).
    const buckets = new Map<string, { series: string; minute: number; points: Map<string, PendingPoint> }>();
    for (const m of messages) {
      const series = seriesKey(m.machine_id, kind);
      const minute = minuteOf(m.ts);
      const id = `${series}|${minute}`;
      let bucket = buckets.get(id);
      if (bucket === undefined) {
        bucket = { series, minute, points: new Map() };
        buckets.set(id, bucket);
      }
      const name = `${POINT_PREFIX}${m.ts}_${m.seq}`;
      bucket.points.set(name, { name, value: value(m), machine_id: m.machine_id, seq: m.seq });
    }
    const updates = [...buckets.values()].flatMap((b) =>
      chunks([...b.points.values()], POINTS_PER_UPDATE).map((points) => ({ ...b, points })),
    );
    const reports = await mapLimit(updates, 8, (u) => this.update(u.series, u.minute, u.points));
    return {
      written: reports.reduce((n, r) => n + r.written, 0),
      rejected: reports.flatMap((r) => r.rejected),
    };
  }

  private async update(
    series: string,
    minute: number,
    points: readonly PendingPoint[],
  ): Promise<WriteReport> {
    const names: Record<string, string> = { '#ttl': TTL_ATTRIBUTE };
    const values: Record<string, unknown> = {
      ':ttl': Math.floor(minute / 1000) + this.retentionDays * 86_400,
    };
    const sets = ['#ttl = :ttl'];
    points.forEach((p, i) => {
      names[`#p${i}`] = p.name;
      values[`:p${i}`] = p.value;
      sets.push(`#p${i} = :p${i}`);
    });
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [SERIES]: series, [MINUTE]: minute },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return { written: points.length, rejected: [] };
    } catch (error) {
      // A ValidationException here is the item outgrowing 400 KB (numbers DynamoDB cannot hold never get
      // this far: the validator refuses them, messages.ts isStorable): retrying cannot help, so these
      // readings are refused (and quarantined by the caller). Anything else is transient and fails the batch.
      if (error instanceof Error && error.name === 'ValidationException') {
        const reason = `DynamoDB refused the time-series bucket ${series} @ ${new Date(minute).toISOString()}: ${error.message}`;
        return {
          written: 0,
          rejected: points.map((p) => ({ machine_id: p.machine_id, seq: p.seq, reason })),
        };
      }
      throw error;
    }
  }

  /** The items of a series whose minute overlaps [from, to), oldest first. */
  private async *items(
    series: string,
    range: { from: number; to: number },
  ): AsyncGenerator<Record<string, unknown>> {
    if (range.to <= range.from) return;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#series = :series AND #minute BETWEEN :first AND :last',
          ExpressionAttributeNames: { '#series': SERIES, '#minute': MINUTE },
          ExpressionAttributeValues: {
            ':series': series,
            ':first': minuteOf(range.from),
            ':last': minuteOf(range.to - 1),
          },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) yield item;
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }
}

/** The readings of one bucket item as [ts, seq, value], in (ts, seq) order. */
function pointsOf<V>(item: Record<string, unknown>): [number, number, V][] {
  const out: [number, number, V][] = [];
  for (const name in item) {
    const match = POINT_NAME.exec(name);
    if (match !== null) out.push([Number(match[1]), Number(match[2]), item[name] as V]);
  }
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

function telemetryPoints(item: Record<string, unknown>): TelemetryPoint[] {
  return pointsOf<StoredTelemetry>(item).map(([ts, seq, v]) => ({ ts, seq, sensors: v.s }));
}
