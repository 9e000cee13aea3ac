/**
 * The DynamoDB and S3 adapters over the wire, with the real AWS SDK clients, against dynalite and
 * s3rver from the global setup; the same contracts as the in-memory adapters, plus what only the
 * real stores have (gzip objects, key layout, conditional writes).
 */
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { createAwsClients } from '../../lambdas/adapters/aws-clients.js';
import { DynamoDbComponentStore } from '../../lambdas/adapters/dynamodb/components.js';
import { dynamoDbProbe, runProbe } from '../../lambdas/adapters/probes.js';
import { batchIdOf, hourStart } from '../../lambdas/adapters/s3/layout.js';
import { EMULATOR_CREDENTIALS } from '../../local/emulators.js';
import { T0 } from '../support/fixtures.js';
import { localAws } from '../support/local-aws.js';
import {
  anomalyStoreContract,
  componentStoreContract,
  machineStateStoreContract,
  modelStoreContract,
  timeSeriesStoreContract,
} from './contracts.js';

describe('DynamoDB adapters (dynalite)', () => {
  componentStoreContract(async () => (await localAws()).stores.components);
  anomalyStoreContract(async () => (await localAws()).stores.anomalies);
  machineStateStoreContract(async () => (await localAws()).stores.machineStates);
  timeSeriesStoreContract(async () => (await localAws()).stores.timeSeries);
});

describe('S3 adapters (s3rver)', () => {
  modelStoreContract(async () => (await localAws()).stores.models);

  it('writes one gzip JSONL object per batch at the layout key, and a retry overwrites it', async () => {
    const aws = await localAws();
    const batch = {
      kind: 'telemetry' as const,
      machine_id: 'C_FL104',
      hour: hourStart(T0),
      batch_id: batchIdOf(['m-2', 'm-1']),
      lines: ['{"machine_id":"C_FL104","seq":1}', '{\n"machine_id":"C_FL104","seq":2}'],
    };
    const key = await aws.stores.rawArchive.putRawBatch(batch);
    expect(key).toBe(
      `raw/kind=telemetry/machine_id=C_FL104/dt=2025-10-23/hour=10/${batchIdOf(['m-1', 'm-2'])}.jsonl.gz`,
    );
    await aws.stores.rawArchive.putRawBatch(batch);
    const bucket = aws.config.RAW_BUCKET as string;
    const listed = await aws.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'raw/' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual([key]);
    const object = await aws.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = gunzipSync(
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    ).toString();
    expect(text.split('\n')).toEqual([
      '{"machine_id":"C_FL104","seq":1}',
      '{ "machine_id":"C_FL104","seq":2}',
      '',
    ]);
    expect(object.ContentType).toBe('application/gzip');
  });

  it('writes the quarantine with every reason, partitioned by the hour it was received', async () => {
    const aws = await localAws();
    const message = {
      record_id: 'm-9',
      received_at: T0,
      topic: 'flexotwin/C_FL104/telemetry',
      kind: 'telemetry' as const,
      reasons: ['payload is not valid JSON: Unexpected token'],
      payload: '{oops',
    };
    const key = await aws.stores.rawArchive.putQuarantine('abc123', T0, [message]);
    expect(key).toBe('quarantine/dt=2025-10-23/hour=10/abc123.jsonl.gz');
    const object = await aws.clients.s3.send(
      new GetObjectCommand({ Bucket: aws.config.RAW_BUCKET, Key: key }),
    );
    const bytes = await (
      object.Body as { transformToByteArray(): Promise<Uint8Array> }
    ).transformToByteArray();
    expect(JSON.parse(gunzipSync(bytes).toString().trim())).toEqual(message);
  });
});

describe('health probes', () => {
  it('report DynamoDB reachable, and unreachable with the reason instead of hanging', async () => {
    const aws = await localAws();
    const table = aws.config.COMPONENTS_TABLE as string;
    expect(await dynamoDbProbe(aws.clients.dynamodb, table)()).toEqual({
      ok: true,
      message: `DynamoDB table ${table} reachable`,
    });
    const nowhere = createAwsClients({
      region: 'eu-west-1',
      endpoints: { dynamodb: 'http://127.0.0.1:9' },
      credentials: EMULATOR_CREDENTIALS,
    });
    const down = await dynamoDbProbe(nowhere.dynamodb, table)();
    expect(down.ok).toBe(false);
    expect(down.message).not.toBe('');
    expect(await runProbe(() => new Promise(() => undefined), 50)).toEqual({
      ok: false,
      message: 'no answer within 50 ms',
    });
  });
});

describe('AWS clients', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('honour AWS_ENDPOINT_URL from the environment natively, without an explicit endpoint', async () => {
    const aws = await localAws();
    await aws.stores.components.seed([]);
    vi.stubEnv('AWS_ENDPOINT_URL', inject('emulators').dynamodbEndpoint);
    const clients = createAwsClients({ region: 'eu-west-1', credentials: EMULATOR_CREDENTIALS });
    const store = new DynamoDbComponentStore(clients.dynamodb, aws.config.COMPONENTS_TABLE as string);
    expect(await store.list()).toEqual([]);
  });

  it('are created once and only when first used', () => {
    const clients = createAwsClients({ region: 'eu-west-1' });
    expect(clients.s3).toBe(clients.s3);
    expect(clients.dynamodb).toBe(clients.dynamodb);
  });
});
