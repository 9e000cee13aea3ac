/**
 * The shared definitions the cloud and local wirings are built from: the environment contract, the
 * table definitions, the emulators (with a data directory that survives a restart), the lazy realDeps
 * of both handlers, and the cached FMEA table — and the S3 emulator's all-or-nothing PutObject.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { awsClientOptions, createAwsClients } from '../../lambdas/adapters/aws-clients.js';
import { createTableInput, TABLES } from '../../lambdas/adapters/dynamodb/tables.js';
import { createStores } from '../../lambdas/adapters/index.js';
import { MemoryComponentStore } from '../../lambdas/adapters/memory/components.js';
import { FLEXO_104_COMPONENTS } from '../../lambdas/core/fmea.js';
import { FLEXO_104_PROFILE } from '../../lambdas/core/profiles.js';
import { ComponentCatalog } from '../../lambdas/shared/component-catalog.js';
import {
  ConfigError,
  FUNCTION_ENV,
  loadConfig,
  loadFunctionConfig,
  machineProfile,
} from '../../lambdas/shared/config.js';
import {
  EMULATOR_CREDENTIALS,
  provisionResources,
  resourcesOf,
  startEmulators,
} from '../../local/emulators.js';
import { telemetry } from '../support/fixtures.js';
import { lambdaContext } from '../support/lambda-context.js';

const BASE_ENV = {
  AWS_REGION: 'eu-west-1',
  RAW_BUCKET: 'raw',
  COMPONENTS_TABLE: 'components',
  ANOMALIES_TABLE: 'anomalies',
  MACHINE_STATE_TABLE: 'machine-state',
  TELEMETRY_TABLE: 'telemetry',
  IOT_DATA_ENDPOINT: 'https://abc-ats.iot.eu-west-1.amazonaws.com',
};

describe('environment contract', () => {
  it('parses a complete environment with its defaults', () => {
    const config = loadFunctionConfig('processor', BASE_ENV);
    expect(config).toMatchObject({
      TIME_SERIES_BACKEND: 'dynamodb',
      MODEL_PREFIX: 'models/',
      TELEMETRY_RETENTION_DAYS: 30,
      TIMESTREAM_TELEMETRY_TABLE: 'telemetry',
      DEFAULT_MACHINE_ID: 'C_FL104',
    });
  });

  it('names every missing or invalid variable at once, with what it is for', () => {
    const attempt = () =>
      loadFunctionConfig('processor', {
        TIME_SERIES_BACKEND: 'influx',
        RAW_BUCKET: '  ',
        TELEMETRY_RETENTION_DAYS: '-3',
        AWS_ENDPOINT_URL_S3: 'not a url',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigError).problems;
      for (const name of [
        'AWS_REGION',
        'RAW_BUCKET',
        'COMPONENTS_TABLE',
        'ANOMALIES_TABLE',
        'MACHINE_STATE_TABLE',
        'IOT_DATA_ENDPOINT',
      ]) {
        expect(problems).toContainEqual(expect.stringMatching(new RegExp(`^${name} is required: `)));
      }
      expect(problems).toContainEqual(
        expect.stringMatching(/^TIME_SERIES_BACKEND .*"timestream"|"dynamodb"/),
      );
      expect(problems).toContainEqual(expect.stringMatching(/^TELEMETRY_RETENTION_DAYS /));
      expect(problems).toContainEqual(expect.stringMatching(/^AWS_ENDPOINT_URL_S3 must be a URL/));
    }
    // The API does not publish to IoT, so it does not need the data endpoint.
    expect(FUNCTION_ENV.api).not.toContain('IOT_DATA_ENDPOINT');
  });

  it('requires the tables of the chosen time-series backend', () => {
    expect(() => loadConfig({ ...BASE_ENV, TELEMETRY_TABLE: undefined })).toThrow(
      /TELEMETRY_TABLE is required when TIME_SERIES_BACKEND=dynamodb/,
    );
    expect(() => loadConfig({ ...BASE_ENV, TIME_SERIES_BACKEND: 'timestream' })).toThrow(
      /TIMESTREAM_DATABASE is required when TIME_SERIES_BACKEND=timestream/,
    );
    expect(
      loadConfig({ ...BASE_ENV, TIME_SERIES_BACKEND: 'timestream', TIMESTREAM_DATABASE: 'flexotwin' }),
    ).toMatchObject({
      TIME_SERIES_BACKEND: 'timestream',
    });
  });

  it('reads per-machine profile overrides, fleet-wide first, and refuses unknown keys', () => {
    const config = loadConfig({
      ...BASE_ENV,
      MACHINE_PROFILES: JSON.stringify({
        '*': { debounce_readings: 5, shift_offset_hours: 7 },
        C_FL104: { rated_current_a: 60 },
      }),
    });
    expect(machineProfile(config, 'C_FL104')).toEqual({
      profile: { ...FLEXO_104_PROFILE, debounce_readings: 5, rated_current_a: 60 },
      shiftOffsetHours: 7,
    });
    expect(machineProfile(config, 'OTHER').profile.rated_current_a).toBe(FLEXO_104_PROFILE.rated_current_a);
    expect(() => loadConfig({ ...BASE_ENV, MACHINE_PROFILES: '{"C_FL104":{"rated_curent_a":60}}' })).toThrow(
      /MACHINE_PROFILES \(C_FL104\) Unrecognized key: "rated_curent_a"/,
    );
    expect(() => loadConfig({ ...BASE_ENV, MACHINE_PROFILES: '{oops' })).toThrow(
      /MACHINE_PROFILES must be a JSON object/,
    );
  });
});

describe('DynamoDB table definitions', () => {
  it('render CreateTable requests with keys, indexes and on-demand capacity', () => {
    expect(createTableInput(TABLES.anomalies, 'anomalies')).toEqual({
      TableName: 'anomalies',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'alarm_id', AttributeType: 'S' },
        { AttributeName: 'machine_id', AttributeType: 'S' },
        { AttributeName: 'last_seen', AttributeType: 'S' },
        { AttributeName: 'state', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'alarm_id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'by_machine',
          KeySchema: [
            { AttributeName: 'machine_id', KeyType: 'HASH' },
            { AttributeName: 'last_seen', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'by_state',
          KeySchema: [
            { AttributeName: 'state', KeyType: 'HASH' },
            { AttributeName: 'last_seen', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
    expect(createTableInput(TABLES.telemetry, 't').KeySchema).toEqual([
      { AttributeName: 'series', KeyType: 'HASH' },
      { AttributeName: 'minute', KeyType: 'RANGE' },
    ]);
    expect(TABLES.telemetry.timeToLiveAttribute).toBe('expires_at');
    expect(Object.values(TABLES).map((t) => t.envVar)).toEqual([
      'COMPONENTS_TABLE',
      'ANOMALIES_TABLE',
      'MACHINE_STATE_TABLE',
      'TELEMETRY_TABLE',
    ]);
  });
});

describe('emulators', () => {
  it('keep buckets, tables and data in a data directory across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'flexotwin-data-'));
    try {
      const env = { ...BASE_ENV, RAW_BUCKET: 'flexotwin-raw-local' };
      const first = await startEmulators({ dataDir });
      const config = loadConfig({ ...env, ...first.env });
      await provisionResources(first, resourcesOf(config));
      const stores = createStores(config, createAwsClients(awsClientOptions(config, EMULATOR_CREDENTIALS)));
      await stores.timeSeries.writeTelemetry([telemetry(1)]);
      await stores.models.put({ version: 'v1', body: '{}' });
      await first.stop();

      const second = await startEmulators({ dataDir });
      const again = loadConfig({ ...env, ...second.env });
      await provisionResources(second, resourcesOf(again)); // finds everything in place
      const reopened = createStores(again, createAwsClients(awsClientOptions(again, EMULATOR_CREDENTIALS)));
      const series = await reopened.timeSeries.queryTelemetry({
        machine_id: 'C_FL104',
        from: 0,
        to: Date.now(),
      });
      expect(series.kind === 'raw' && series.points.map((p) => p.seq)).toEqual([1]);
      expect(await reopened.models.latest()).toEqual({ version: 'v1', body: '{}' });
      await second.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('store an object whole or not at all: an upload cut off mid-body leaves the previous object', async () => {
    const emulators = await startEmulators();
    try {
      const s3 = new S3Client({
        endpoint: emulators.s3Endpoint,
        region: emulators.region,
        credentials: emulators.credentials,
        forcePathStyle: true,
      });
      await s3.send(new CreateBucketCommand({ Bucket: 'atomic-puts' }));
      await s3.send(new PutObjectCommand({ Bucket: 'atomic-puts', Key: 'k', Body: 'previous' }));
      const read = async () =>
        (await s3.send(new GetObjectCommand({ Bucket: 'atomic-puts', Key: 'k' }))).Body?.transformToString();
      expect(await read()).toBe('previous');
      // Half of a declared 1,000-byte body, then the connection drops (a client killed, an outage).
      const url = new URL(`${emulators.s3Endpoint}/atomic-puts/k`);
      const outcome = await new Promise<string>((resolve) => {
        const req = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'PUT',
            headers: { 'content-length': 1000 },
          },
          (res) => resolve(`answered ${res.statusCode}`),
        );
        req.on('error', (error) => resolve(`failed: ${error.message}`));
        req.write(Buffer.alloc(500, 'x'));
        setTimeout(() => req.destroy(), 200);
      });
      expect(outcome).toMatch(/^failed/);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await read()).toBe('previous');
      s3.destroy();
    } finally {
      await emulators.stop();
    }
  });
});

describe('handlers built from the environment', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('read the environment on the first invocation, not at import, and say what is missing', async () => {
    for (const name of Object.keys(BASE_ENV)) vi.stubEnv(name, undefined);
    const { handler: processor } = await import('../../lambdas/handlers/processor.js');
    const { handler: api } = await import('../../lambdas/handlers/api.js');
    await expect(processor({ Records: [] }, lambdaContext())).rejects.toThrow(/RAW_BUCKET is required/);
    await expect(api({} as never, lambdaContext())).rejects.toThrow(/COMPONENTS_TABLE is required/);
  });
});

describe('component catalog', () => {
  it('seeds an empty table, caches for its TTL, and serves the cached table through a store outage', async () => {
    const store = new MemoryComponentStore();
    let now = 0;
    const catalog = new ComponentCatalog(store, () => now, 60_000);
    const first = await catalog.current();
    expect(first.map((c) => c.component_name)).toEqual(FLEXO_104_COMPONENTS.map((c) => c.component_name));
    await store.updateRatings('Feeder', { severity: 2 });
    now = 59_999;
    expect(await catalog.current()).toBe(first);
    now = 60_000;
    const reloaded = await catalog.current();
    expect(reloaded.find((c) => c.component_name === 'Feeder')?.severity).toBe(2);
    vi.spyOn(store, 'list').mockRejectedValue(new Error('DynamoDB unavailable'));
    now = 200_000;
    expect(await catalog.current()).toBe(reloaded);
    await expect(new ComponentCatalog(store, () => 0).current()).rejects.toThrow('DynamoDB unavailable');
  });
});
