/**
 * Query semantics every TimeSeriesStore adapter shares, so DynamoDB, Timestream and the in-memory store
 * answer the same question the same way:
 * - readings are ordered by (ts, seq); `from` is inclusive, `to` exclusive;
 * - raw pages are keyset-paginated: the cursor is the last (ts, seq) returned, so a page boundary is
 *   stable while new readings arrive;
 * - buckets are aligned to multiples of the interval since the epoch (as Timestream's `bin()` does),
 *   empty buckets are omitted, and only sensors with at least one reading in a bucket appear in it;
 * - a `sensors` filter keeps only those sensors, and drops raw points that have none of them.
 */
import * as z from 'zod';
import type {
  SensorAggregate,
  TelemetryBucket,
  TelemetryPoint,
  TelemetryQuery,
  TelemetrySeries,
} from '../core/ports.js';
import { decodeCursor, encodeCursor } from './cursor.js';

export const DEFAULT_RAW_LIMIT = 1000;
export const MAX_RAW_LIMIT = 10_000;

const rawCursorSchema = z.object({ ts: z.number().int(), seq: z.number().int() });
export type RawCursor = z.infer<typeof rawCursorSchema>;

export function decodeRawCursor(cursor: string | undefined): RawCursor | undefined {
  return cursor === undefined ? undefined : decodeCursor(cursor, rawCursorSchema);
}

export const byTimeThenSeq = (a: { ts: number; seq: number }, b: { ts: number; seq: number }) =>
  a.ts - b.ts || a.seq - b.seq;

/** Whether (ts, seq) lies after the cursor. */
export function isAfter(p: { ts: number; seq: number }, cursor: RawCursor | undefined): boolean {
  return cursor === undefined || p.ts > cursor.ts || (p.ts === cursor.ts && p.seq > cursor.seq);
}

/** The sensors of a reading the query asks for (all when it names none); undefined when none remain. */
export function pickSensors(
  sensors: Readonly<Record<string, number>>,
  wanted: readonly string[] | undefined,
): Record<string, number> | undefined {
  if (wanted === undefined) return { ...sensors };
  const out: Record<string, number> = {};
  let any = false;
  for (const name of wanted) {
    const v = sensors[name];
    if (v !== undefined) {
      out[name] = v;
      any = true;
    }
  }
  return any ? out : undefined;
}

/** Collects one raw page from readings fed in (ts, seq) order; `add` answers false once the page is full. */
export class RawPageCollector {
  private readonly points: TelemetryPoint[] = [];
  private readonly cursor: RawCursor | undefined;
  private readonly limit: number;
  private more = false;

  constructor(private readonly query: TelemetryQuery) {
    this.cursor = decodeRawCursor(query.cursor);
    this.limit = Math.min(query.limit ?? DEFAULT_RAW_LIMIT, MAX_RAW_LIMIT);
  }

  add(point: TelemetryPoint): boolean {
    if (this.more) return false;
    if (point.ts < this.query.from || point.ts >= this.query.to || !isAfter(point, this.cursor)) return true;
    const sensors = pickSensors(point.sensors, this.query.sensors);
    if (sensors === undefined) return true;
    if (this.points.length === this.limit) {
      this.more = true;
      return false;
    }
    this.points.push({ ts: point.ts, seq: point.seq, sensors });
    return true;
  }

  get full(): boolean {
    return this.more;
  }

  result(): TelemetrySeries {
    const last = this.points[this.points.length - 1];
    return {
      kind: 'raw',
      points: this.points,
      ...(this.more && last !== undefined && { next_cursor: encodeCursor({ ts: last.ts, seq: last.seq }) }),
    };
  }
}

interface Running {
  sum: number;
  min: number;
  max: number;
  count: number;
}

/** avg/min/max/count per sensor per bucket, from readings in any order. */
export class BucketAggregator {
  private readonly buckets = new Map<number, Map<string, Running>>();

  constructor(
    private readonly query: TelemetryQuery,
    private readonly intervalMs: number,
  ) {}

  add(point: TelemetryPoint): void {
    if (point.ts < this.query.from || point.ts >= this.query.to) return;
    const sensors = pickSensors(point.sensors, this.query.sensors);
    if (sensors === undefined) return;
    const start = Math.floor(point.ts / this.intervalMs) * this.intervalMs;
    let bucket = this.buckets.get(start);
    if (bucket === undefined) {
      bucket = new Map();
      this.buckets.set(start, bucket);
    }
    for (const name in sensors) {
      const v = sensors[name] as number;
      const r = bucket.get(name);
      if (r === undefined) bucket.set(name, { sum: v, min: v, max: v, count: 1 });
      else {
        r.sum += v;
        if (v < r.min) r.min = v;
        if (v > r.max) r.max = v;
        r.count++;
      }
    }
  }

  result(): TelemetrySeries {
    const buckets: TelemetryBucket[] = [...this.buckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([ts, sensors]) => ({
        ts,
        sensors: Object.fromEntries(
          [...sensors.entries()]
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([name, r]): [string, SensorAggregate] => [
              name,
              { avg: r.sum / r.count, min: r.min, max: r.max, count: r.count },
            ]),
        ),
      }));
    return { kind: 'aggregated', interval_ms: this.intervalMs, buckets };
  }
}

/** Answers a telemetry query from readings in (ts, seq) order (in-memory store and DynamoDB items). */
export function answerFromOrdered(query: TelemetryQuery, ordered: Iterable<TelemetryPoint>): TelemetrySeries {
  if (query.interval_ms !== undefined) {
    const aggregator = new BucketAggregator(query, query.interval_ms);
    for (const p of ordered) aggregator.add(p);
    return aggregator.result();
  }
  const page = new RawPageCollector(query);
  for (const p of ordered) if (!page.add(p)) break;
  return page.result();
}
