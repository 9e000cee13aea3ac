/**
 * A small stand-in for the AWS services the processor calls, behind aws-sdk-client-mock: the real
 * adapters (lambdas/adapters/{dynamodb,s3,iot-data,timestream}) send their real commands, and this
 * answers them from memory and meters them the way AWS bills them:
 *
 * - DynamoDB: items are kept per table, so reads return what was written and every write is sized.
 *   Write units per the DynamoDB docs: ⌈size/1 KB⌉ of the larger of the item before and after, plus
 *   the same for every global secondary index the item is in (two writes when an index key changes);
 *   strongly consistent reads ⌈size/4 KB⌉ per item. Item size per the DynamoDB item-size rules
 *   (attribute names + values; numbers ≈ 1 byte per two significant digits + 1) — an approximation.
 * - Timestream: a WriteRecords call is metered in 1 KiB units of its events (8 bytes of time, dimension
 *   and measure names and values, doubles and bigints 8 bytes), common attributes counted once.
 * - S3 PutObject: count and body bytes. IoT data plane: Publish (metered in 5 KB units) and
 *   UpdateThingShadow (1 KB units), count and payload bytes.
 *
 * With `latencyMs`, each answer waits that long first, so an invocation's wall time shows what its I/O
 * costs given the handler's own concurrency (assumed service latencies; see cost-model.ts).
 */
import { IoTDataPlaneClient, PublishCommand, UpdateThingShadowCommand } from '@aws-sdk/client-iot-data-plane';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { TimestreamWriteClient, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { TABLES, type TableDefinition } from '../lambdas/adapters/dynamodb/tables.js';

type Item = Record<string, unknown>;

/** Table names of the fake account (the environment contract's *_TABLE variables). */
export const FAKE_TABLE_NAMES = {
  COMPONENTS_TABLE: 'components',
  ANOMALIES_TABLE: 'anomalies',
  MACHINE_STATE_TABLE: 'machine-state',
  TELEMETRY_TABLE: 'telemetry',
} as const;

const DEFINITIONS: Readonly<Record<string, TableDefinition>> = {
  [FAKE_TABLE_NAMES.COMPONENTS_TABLE]: TABLES.components,
  [FAKE_TABLE_NAMES.ANOMALIES_TABLE]: TABLES.anomalies,
  [FAKE_TABLE_NAMES.MACHINE_STATE_TABLE]: TABLES.machineState,
  [FAKE_TABLE_NAMES.TELEMETRY_TABLE]: TABLES.telemetry,
};

/** Service latencies to simulate, ms (absent: answer at once). */
export interface FakeLatency {
  readonly dynamodb: number;
  readonly dynamodbBatch: number;
  readonly s3Put: number;
  readonly iotData: number;
  readonly timestreamWrite: number;
}

export interface AwsUsage {
  /** SDK commands sent, by "Service.Operation". */
  readonly commands: Record<string, number>;
  readonly dynamodb: {
    /** Write request units by table (on-demand). */
    readonly writeUnits: Record<string, number>;
    readonly readUnits: Record<string, number>;
  };
  readonly s3: { readonly putBytes: number };
  readonly iot: {
    readonly publishBytes: number;
    /** Messaging is metered in 5 KB increments. */
    readonly publishUnits: number;
    readonly shadowBytes: number;
    /** Shadow operations are metered in 1 KB increments. */
    readonly shadowUnits: number;
  };
  readonly timestream: { readonly records: number; readonly writeUnits: number; readonly bytes: number };
}

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** DynamoDB's size of a value (approximate for numbers, exact for strings and binaries). */
function valueBytes(v: unknown): number {
  if (v === null || typeof v === 'boolean') return 1;
  if (typeof v === 'string') return utf8Bytes(v);
  if (typeof v === 'number' || typeof v === 'bigint') {
    const digits = String(v)
      .replace(/^-/, '')
      .replace(/e.*$/i, '')
      .replace('.', '')
      .replace(/^0+/, '')
      .replace(/0+$/, '');
    return Math.ceil(Math.max(1, digits.length) / 2) + 1;
  }
  if (v instanceof Uint8Array) return v.byteLength;
  if (Array.isArray(v)) return 3 + v.reduce((n: number, e) => n + 1 + valueBytes(e), 0);
  if (typeof v === 'object') {
    let n = 3;
    for (const [k, e] of Object.entries(v as Item))
      if (e !== undefined) n += utf8Bytes(k) + valueBytes(e) + 1;
    return n;
  }
  return 0;
}

export function itemBytes(item: Item): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) if (v !== undefined) n += utf8Bytes(k) + valueBytes(v);
  return n;
}

const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
const readUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 4096));

/** Timestream's metered size of one WriteRecords request (see the module comment). */
export function timestreamBytes(input: {
  CommonAttributes?: { Dimensions?: { Name?: string; Value?: string }[]; MeasureName?: string };
  Records?: {
    MeasureName?: string;
    Dimensions?: { Name?: string; Value?: string }[];
    MeasureValues?: { Name?: string; Value?: string; Type?: string }[];
  }[];
}): number {
  const dims = (d: { Name?: string; Value?: string }[] = []) =>
    d.reduce((n, x) => n + utf8Bytes(x.Name ?? '') + utf8Bytes(x.Value ?? ''), 0);
  let bytes = dims(input.CommonAttributes?.Dimensions) + utf8Bytes(input.CommonAttributes?.MeasureName ?? '');
  for (const r of input.Records ?? []) {
    bytes += 8 + dims(r.Dimensions) + utf8Bytes(r.MeasureName ?? '');
    for (const v of r.MeasureValues ?? []) {
      const size = v.Type === 'VARCHAR' ? utf8Bytes(v.Value ?? '') : v.Type === 'BOOLEAN' ? 1 : 8;
      bytes += utf8Bytes(v.Name ?? '') + size;
    }
  }
  return bytes;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface FakeAws {
  usage(): AwsUsage;
  /** Forgets the meters (not the stored items). */
  resetUsage(): void;
  /** Checks that every command sent was one this fake answers, and frees the mocks' call history. */
  verify(): void;
  /** Bytes stored in a table now, and its item count. */
  tableBytes(table: string): number;
  tableItems(table: string): number;
  /** Puts the real SDK clients back. */
  restore(): void;
}

export function installFakeAws(latency?: FakeLatency): FakeAws {
  const tables = new Map<string, Map<string, Item>>();
  const keyOf = (table: string, key: Item) => {
    const d = DEFINITIONS[table];
    if (d === undefined) throw new Error(`fake DynamoDB: no table ${table}`);
    return JSON.stringify([key[d.partitionKey.name], d.sortKey === undefined ? null : key[d.sortKey.name]]);
  };
  const tableOf = (name: string) => {
    let t = tables.get(name);
    if (t === undefined) {
      t = new Map();
      tables.set(name, t);
    }
    return t;
  };

  let commands: Record<string, number> = {};
  let wcu: Record<string, number> = {};
  let rcu: Record<string, number> = {};
  let s3Bytes = 0;
  let iot = { publishBytes: 0, publishUnits: 0, shadowBytes: 0, shadowUnits: 0 };
  let ts = { records: 0, writeUnits: 0, bytes: 0 };
  /** Commands answered since the stubs' call history was last checked and cleared. */
  let answered = 0;
  const count = (name: string) => {
    commands[name] = (commands[name] ?? 0) + 1;
    answered++;
  };
  const add = (meter: Record<string, number>, table: string, units: number) => {
    meter[table] = (meter[table] ?? 0) + units;
  };
  const wait = async (ms: number | undefined) => {
    if (ms !== undefined && ms > 0) await sleep(ms);
  };

  /** Meters a write of `after` over `before` (either absent), with the table's indexes. */
  const meterWrite = (table: string, before: Item | undefined, after: Item | undefined) => {
    const b = before === undefined ? 0 : itemBytes(before);
    const a = after === undefined ? 0 : itemBytes(after);
    let units = writeUnits(Math.max(a, b));
    for (const index of DEFINITIONS[table]?.globalSecondaryIndexes ?? []) {
      const keyIn = (item: Item | undefined) =>
        item === undefined ||
        item[index.partitionKey.name] === undefined ||
        (index.sortKey !== undefined && item[index.sortKey.name] === undefined)
          ? undefined
          : JSON.stringify([item[index.partitionKey.name], index.sortKey && item[index.sortKey.name]]);
      const kb = keyIn(before);
      const ka = keyIn(after);
      if (kb !== undefined && ka !== undefined && kb === ka) units += writeUnits(Math.max(a, b));
      else {
        if (kb !== undefined) units += writeUnits(b);
        if (ka !== undefined) units += writeUnits(a);
      }
    }
    add(wcu, table, units);
  };

  const stubs: { calls(): unknown[]; resetHistory(): void; restore(): void }[] = [];
  const ddb = mockClient(DynamoDBDocumentClient);
  stubs.push(ddb);

  ddb.on(GetCommand).callsFake(async (input: { TableName: string; Key: Item }) => {
    count('DynamoDB.GetItem');
    await wait(latency?.dynamodb);
    const item = tableOf(input.TableName).get(keyOf(input.TableName, input.Key));
    add(rcu, input.TableName, readUnits(item === undefined ? 0 : itemBytes(item)));
    return item === undefined ? {} : { Item: structuredClone(item) };
  });
  ddb.on(BatchGetCommand).callsFake(async (input: { RequestItems: Record<string, { Keys: Item[] }> }) => {
    count('DynamoDB.BatchGetItem');
    await wait(latency?.dynamodbBatch);
    const Responses: Record<string, Item[]> = {};
    for (const [name, request] of Object.entries(input.RequestItems)) {
      const found: Item[] = [];
      for (const key of request.Keys) {
        const item = tableOf(name).get(keyOf(name, key));
        if (item !== undefined) {
          found.push(structuredClone(item));
          add(rcu, name, readUnits(itemBytes(item)));
        }
      }
      Responses[name] = found;
    }
    return { Responses, UnprocessedKeys: {} };
  });
  ddb.on(PutCommand).callsFake(async (input: { TableName: string; Item: Item }) => {
    count('DynamoDB.PutItem');
    await wait(latency?.dynamodb);
    const table = tableOf(input.TableName);
    const key = keyOf(input.TableName, input.Item);
    const after = structuredClone(input.Item);
    meterWrite(input.TableName, table.get(key), after);
    table.set(key, after);
    return {};
  });
  ddb
    .on(UpdateCommand)
    .callsFake(
      async (input: {
        TableName: string;
        Key: Item;
        UpdateExpression: string;
        ExpressionAttributeNames?: Record<string, string>;
        ExpressionAttributeValues?: Item;
      }) => {
        count('DynamoDB.UpdateItem');
        await wait(latency?.dynamodb);
        const match = /^SET (.+)$/.exec(input.UpdateExpression.trim());
        if (match === null) throw new Error(`fake DynamoDB: unsupported update ${input.UpdateExpression}`);
        const table = tableOf(input.TableName);
        const key = keyOf(input.TableName, input.Key);
        const before = table.get(key);
        const after: Item = { ...(before ?? structuredClone(input.Key)) };
        for (const assignment of (match[1] as string).split(',')) {
          const [lhs = '', rhs = ''] = assignment.split('=').map((s) => s.trim());
          const name = input.ExpressionAttributeNames?.[lhs] ?? lhs;
          if (!rhs.startsWith(':')) throw new Error(`fake DynamoDB: unsupported update value ${rhs}`);
          after[name] = structuredClone(input.ExpressionAttributeValues?.[rhs]);
        }
        meterWrite(input.TableName, before, after);
        table.set(key, after);
        return {};
      },
    );
  ddb.on(ScanCommand).callsFake(async (input: { TableName: string }) => {
    count('DynamoDB.Scan');
    await wait(latency?.dynamodb);
    const items = [...tableOf(input.TableName).values()];
    add(rcu, input.TableName, readUnits(items.reduce((n, i) => n + itemBytes(i), 0)));
    return { Items: items.map((i) => structuredClone(i)), Count: items.length };
  });
  ddb.on(QueryCommand).callsFake(async () => {
    throw new Error('fake DynamoDB: Query is not part of the processor path');
  });

  const s3 = mockClient(S3Client);
  stubs.push(s3);
  s3.on(PutObjectCommand).callsFake(async (input: { Body?: Uint8Array | string }) => {
    count('S3.PutObject');
    await wait(latency?.s3Put);
    const body = input.Body;
    s3Bytes += typeof body === 'string' ? utf8Bytes(body) : (body?.byteLength ?? 0);
    return { ETag: '"fake"' };
  });

  const iotData = mockClient(IoTDataPlaneClient);
  stubs.push(iotData);
  iotData.on(PublishCommand).callsFake(async (input: { payload?: Uint8Array }) => {
    count('IoT.Publish');
    await wait(latency?.iotData);
    const bytes = input.payload?.byteLength ?? 0;
    iot.publishBytes += bytes;
    iot.publishUnits += Math.max(1, Math.ceil(bytes / 5120));
    return {};
  });
  iotData.on(UpdateThingShadowCommand).callsFake(async (input: { payload?: Uint8Array }) => {
    count('IoT.UpdateThingShadow');
    await wait(latency?.iotData);
    const bytes = input.payload?.byteLength ?? 0;
    iot.shadowBytes += bytes;
    iot.shadowUnits += Math.max(1, Math.ceil(bytes / 1024));
    return { payload: input.payload };
  });

  const timestream = mockClient(TimestreamWriteClient);
  stubs.push(timestream);
  timestream.on(WriteRecordsCommand).callsFake(async (input: Parameters<typeof timestreamBytes>[0]) => {
    count('Timestream.WriteRecords');
    await wait(latency?.timestreamWrite);
    const bytes = timestreamBytes(input);
    ts.records += input.Records?.length ?? 0;
    ts.bytes += bytes;
    ts.writeUnits += Math.max(1, Math.ceil(bytes / 1024));
    return { RecordsIngested: { Total: input.Records?.length ?? 0 } };
  });

  /** A command this fake does not answer would have returned undefined: the counts would lie. */
  const verify = () => {
    const sent = stubs.reduce((n, s) => n + s.calls().length, 0);
    if (sent !== answered) throw new Error(`fake AWS: ${sent - answered} command(s) of an unsupported kind`);
    for (const s of stubs) s.resetHistory();
    answered = 0;
  };

  return {
    verify,
    usage: () => {
      verify();
      return {
        commands: { ...commands },
        dynamodb: { writeUnits: { ...wcu }, readUnits: { ...rcu } },
        s3: { putBytes: s3Bytes },
        iot: { ...iot },
        timestream: { ...ts },
      };
    },
    resetUsage: () => {
      verify();
      commands = {};
      wcu = {};
      rcu = {};
      s3Bytes = 0;
      iot = { publishBytes: 0, publishUnits: 0, shadowBytes: 0, shadowUnits: 0 };
      ts = { records: 0, writeUnits: 0, bytes: 0 };
    },
    tableBytes: (table) => [...tableOf(table).values()].reduce((n, i) => n + itemBytes(i), 0),
    tableItems: (table) => tableOf(table).size,
    restore: () => {
      for (const s of stubs) s.restore();
    },
  };
}
