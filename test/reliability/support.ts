/**
 * Helpers of the reliability suites: what the stores hold, read back through the same clients and
 * adapters the runtime uses — raw archive and quarantine lines, readings in the time series, a full
 * dump of every table and object — and the tallies the suites assert on (every expected reading stored
 * exactly once, nothing else).
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { QUARANTINE_PREFIX, RAW_PREFIX } from '../../lambdas/adapters/s3/layout.js';
import type { MessageKind } from '../../lambdas/core/messages.js';
import type { QuarantinedMessage } from '../../lambdas/core/ports.js';
import { resourcesOf } from '../../local/emulators.js';
import type { LocalRuntime } from '../../local/runtime.js';

type Runtime = Pick<LocalRuntime, 'clients' | 'config' | 'stores'>;

/** Identity of a reading: what the processor dedupes on. */
export const readingKey = (machine: string, kind: MessageKind, seq: number, ts: number) =>
  `${machine}|${kind}|${seq}|${ts}`;

/** Every object key under `prefix` of the raw bucket. */
export async function objectKeys(runtime: Runtime, prefix: string, bucket?: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await runtime.clients.s3.send(
      new ListObjectsV2Command({
        Bucket: bucket ?? runtime.config.RAW_BUCKET,
        Prefix: prefix,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
    );
    for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys.sort();
}

export async function objectBytes(runtime: Runtime, key: string, bucket?: string): Promise<Buffer> {
  const object = await runtime.clients.s3.send(
    new GetObjectCommand({ Bucket: bucket ?? runtime.config.RAW_BUCKET, Key: key }),
  );
  return Buffer.from((await object.Body?.transformToByteArray()) ?? new Uint8Array());
}

/** The lines of a gzip JSONL object. */
export async function objectLines(runtime: Runtime, key: string): Promise<string[]> {
  const text = gunzipSync(await objectBytes(runtime, key)).toString('utf8');
  return text.split('\n').filter((line) => line !== '');
}

/** Quarantine records in objects not in `seen` (which is updated): each with the key it was read from. */
export async function newQuarantine(
  runtime: Runtime,
  seen: Set<string> = new Set(),
): Promise<(QuarantinedMessage & { key: string })[]> {
  const out: (QuarantinedMessage & { key: string })[] = [];
  for (const key of await objectKeys(runtime, QUARANTINE_PREFIX)) {
    if (seen.has(key)) continue;
    seen.add(key);
    for (const line of await objectLines(runtime, key))
      out.push({ ...(JSON.parse(line) as QuarantinedMessage), key });
  }
  return out;
}

/** How often each reading occurs across the raw archive's objects (kind and machine from the key). */
export async function rawReadingCounts(runtime: Runtime, machines?: ReadonlySet<string>) {
  const counts = new Map<string, number>();
  let objects = 0;
  for (const key of await objectKeys(runtime, RAW_PREFIX)) {
    const match = /^raw\/kind=(telemetry|production)\/machine_id=([^/]+)\//.exec(key);
    if (match === null) continue;
    const [, kind, machine] = match as unknown as [string, MessageKind, string];
    if (machines !== undefined && !machines.has(machine)) continue;
    objects++;
    for (const line of await objectLines(runtime, key)) {
      const m = JSON.parse(line) as { seq: number; ts: string | number };
      const ts = typeof m.ts === 'number' ? m.ts : Date.parse(m.ts);
      const k = readingKey(machine, kind, m.seq, ts);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  return { counts, objects };
}

/** How often each reading of `machine` comes back from the time-series store (all pages). */
export async function storedReadingCounts(
  runtime: Runtime,
  machine: string,
  from: number,
  to: number,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const add = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
  let cursor: string | undefined;
  do {
    const page = await runtime.stores.timeSeries.queryTelemetry({
      machine_id: machine,
      from,
      to,
      limit: 10_000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    if (page.kind !== 'raw') throw new Error('expected raw points');
    for (const p of page.points) add(readingKey(machine, 'telemetry', p.seq, p.ts));
    cursor = page.next_cursor;
  } while (cursor !== undefined);
  for (const p of await runtime.stores.timeSeries.queryProduction({ machine_id: machine, from, to }))
    add(readingKey(machine, 'production', p.seq, p.ts));
  return counts;
}

export interface Tally {
  readonly expected: number;
  readonly missing: string[];
  /** Keys found more than once, with their count. */
  readonly duplicated: [string, number][];
  /** Keys found that were not expected. */
  readonly unexpected: string[];
}

/** Compares what a store holds with what should be in it, exactly once each. */
export function tally(expected: Iterable<string>, found: ReadonlyMap<string, number>): Tally {
  const want = new Set(expected);
  return {
    expected: want.size,
    missing: [...want].filter((k) => !found.has(k)),
    duplicated: [...found].filter(([, n]) => n > 1),
    unexpected: [...found.keys()].filter((k) => !want.has(k)),
  };
}

/** Throws, naming a few of each, unless the tally found every expected key exactly once and nothing else. */
export function expectExactlyOnce(t: Tally, what: string): void {
  if (t.missing.length + t.duplicated.length + t.unexpected.length === 0) return;
  const few = (list: readonly unknown[]) => `${list.length} ${JSON.stringify(list.slice(0, 5))}`;
  throw new Error(
    `${what}: of ${t.expected} expected, missing ${few(t.missing)}, duplicated ${few(t.duplicated)}, unexpected ${few(t.unexpected)}`,
  );
}

/** Every item of every table and every object of every bucket (gzip objects as their lines). */
export async function dumpStores(runtime: Runtime): Promise<Record<string, unknown>> {
  const dump: Record<string, unknown> = {};
  const resources = resourcesOf(runtime.config);
  for (const { name } of resources.tables) {
    const items: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await runtime.clients.dynamodb.send(
        new ScanCommand({ TableName: name, ...(start === undefined ? {} : { ExclusiveStartKey: start }) }),
      );
      for (const item of page.Items ?? []) items.push(canonicalJson(item));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    dump[`table:${name}`] = items.sort();
  }
  for (const bucket of resources.buckets) {
    for (const key of await objectKeys(runtime, '', bucket)) {
      const bytes = await objectBytes(runtime, key, bucket);
      dump[`s3://${bucket}/${key}`] = key.endsWith('.gz')
        ? gunzipSync(bytes).toString('utf8')
        : createHash('sha256').update(bytes).digest('hex');
    }
  }
  return dump;
}

/** JSON with object keys sorted, so equal items print equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** A figure for the report line of a suite (collected in docs/RELIABILITY.md from a real run). */
export function report(suite: string, figures: Record<string, unknown>): void {
  console.log(`[reliability] ${suite}: ${JSON.stringify(figures)}`);
}
