/**
 * Timestream and the IoT data plane have no local emulator: their adapters are held to the exact
 * requests they send (aws-sdk-client-mock), and to how they read the answers.
 */
import {
  IoTDataPlaneClient,
  ListRetainedMessagesCommand,
  PublishCommand,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import {
  RejectedRecordsException,
  TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import { Aedes } from 'aedes';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { IotDataEventPublisher } from '../../lambdas/adapters/iot-data/publisher.js';
import { aedesPublish, MqttEventPublisher } from '../../lambdas/adapters/mqtt/publisher.js';
import { iotDataProbe } from '../../lambdas/adapters/probes.js';
import {
  parseTimestreamTime,
  TimestreamTimeSeriesStore,
} from '../../lambdas/adapters/timestream/time-series.js';
import { alarmEvent, production, T0, telemetry } from '../support/fixtures.js';

const tables = { database: 'flexotwin', telemetryTable: 'telemetry', productionTable: 'production' };
const writeMock = mockClient(TimestreamWriteClient);
const queryMock = mockClient(TimestreamQueryClient);
const iotMock = mockClient(IoTDataPlaneClient);

function store() {
  return new TimestreamTimeSeriesStore(
    new TimestreamWriteClient({ region: 'eu-west-1' }),
    new TimestreamQueryClient({ region: 'eu-west-1' }),
    tables,
    () => T0,
  );
}

/** A Timestream query answer: column names and rows of scalar values (null for NullValue). */
function answer(columns: string[], rows: (string | null)[][], NextToken?: string) {
  return {
    ColumnInfo: columns.map((Name) => ({ Name, Type: { ScalarType: 'VARCHAR' as const } })),
    Rows: rows.map((r) => ({ Data: r.map((v) => (v === null ? { NullValue: true } : { ScalarValue: v })) })),
    ...(NextToken !== undefined && { NextToken }),
    QueryId: 'q',
  };
}

beforeEach(() => {
  writeMock.reset();
  queryMock.reset();
  iotMock.reset();
});

describe('Timestream time-series store: writes', () => {
  it('writes multi-measure records, one machine per call, at most 100 records per call', async () => {
    writeMock.on(WriteRecordsCommand).resolves({});
    const readings = Array.from({ length: 250 }, (_, i) => telemetry(i));
    const others = [0, 1, 2].map((i) =>
      telemetry(i, { machine_id: 'M2', sensors: { current: 12.5, aux: 1e-7 } }),
    );
    const report = await store().writeTelemetry([...readings, ...others]);
    expect(report).toEqual({ written: 253, rejected: [] });

    const calls = writeMock.commandCalls(WriteRecordsCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => [c.CommonAttributes?.Dimensions?.[0]?.Value, c.Records?.length])).toEqual([
      ['C_FL104', 100],
      ['C_FL104', 100],
      ['C_FL104', 50],
      ['M2', 3],
    ]);
    expect(calls[0]).toEqual({
      DatabaseName: 'flexotwin',
      TableName: 'telemetry',
      CommonAttributes: {
        Dimensions: [{ Name: 'machine_id', Value: 'C_FL104', DimensionValueType: 'VARCHAR' }],
        MeasureName: 'telemetry',
        MeasureValueType: 'MULTI',
        TimeUnit: 'MILLISECONDS',
      },
      Records: expect.any(Array),
    });
    expect(calls[0]?.Records?.[0]).toEqual({
      Time: String(T0),
      MeasureValues: [
        { Name: 'seq', Value: '0', Type: 'BIGINT' },
        { Name: 'temperature_coil', Value: '72.4', Type: 'DOUBLE' },
        { Name: 'vibration_rotor', Value: '2.1', Type: 'DOUBLE' },
        { Name: 'current', Value: '41.2', Type: 'DOUBLE' },
        { Name: 'voltage', Value: '398', Type: 'DOUBLE' },
        { Name: 'pressure', Value: '601000', Type: 'DOUBLE' },
        { Name: 'temperature_env', Value: '29.1', Type: 'DOUBLE' },
        { Name: 'humidity_env', Value: '64', Type: 'DOUBLE' },
      ],
    });
    expect(calls[3]?.Records?.[2]).toEqual({
      Time: String(T0 + 2000),
      MeasureValues: [
        { Name: 'seq', Value: '2', Type: 'BIGINT' },
        { Name: 'current', Value: '12.5', Type: 'DOUBLE' },
        { Name: 'aux', Value: '1e-7', Type: 'DOUBLE' },
      ],
    });
  });

  it('writes production snapshots with only the fields they carry', async () => {
    writeMock.on(WriteRecordsCommand).resolves({});
    await store().writeProduction([
      production(7, { status: 'Downtime', downtime_reason: 'Plate change', quality_rate: 96 }),
      production(8, { downtime_reason: null }),
    ]);
    const input = writeMock.commandCalls(WriteRecordsCommand)[0]?.args[0].input;
    expect(input?.TableName).toBe('production');
    expect(input?.CommonAttributes?.MeasureName).toBe('production');
    expect(input?.Records).toEqual([
      {
        Time: String(T0 + 35_000),
        MeasureValues: [
          { Name: 'seq', Value: '7', Type: 'BIGINT' },
          { Name: 'status', Value: 'Downtime', Type: 'VARCHAR' },
          { Name: 'total_produksi', Value: '4500', Type: 'BIGINT' },
          { Name: 'produk_cacat', Value: '180', Type: 'BIGINT' },
          { Name: 'planned_minutes', Value: '480', Type: 'DOUBLE' },
          { Name: 'run_minutes', Value: '410', Type: 'DOUBLE' },
          { Name: 'quality_rate', Value: '96', Type: 'DOUBLE' },
          { Name: 'downtime_reason', Value: 'Plate change', Type: 'VARCHAR' },
        ],
      },
      {
        Time: String(T0 + 40_000),
        MeasureValues: [
          { Name: 'seq', Value: '8', Type: 'BIGINT' },
          { Name: 'status', Value: 'Running', Type: 'VARCHAR' },
          { Name: 'total_produksi', Value: '4500', Type: 'BIGINT' },
          { Name: 'produk_cacat', Value: '180', Type: 'BIGINT' },
          { Name: 'planned_minutes', Value: '480', Type: 'DOUBLE' },
          { Name: 'run_minutes', Value: '410', Type: 'DOUBLE' },
        ],
      },
    ]);
  });

  it('reports RejectedRecords with their reason instead of failing the rest', async () => {
    writeMock.on(WriteRecordsCommand).rejects(
      new RejectedRecordsException({
        $metadata: {},
        message: 'One or more records have been rejected.',
        RejectedRecords: [
          { RecordIndex: 1, Reason: 'A record with a different value already exists', ExistingVersion: 1 },
        ],
      }),
    );
    const report = await store().writeTelemetry([telemetry(10), telemetry(11), telemetry(12)]);
    expect(report).toEqual({
      written: 2,
      rejected: [
        {
          machine_id: 'C_FL104',
          seq: 11,
          reason: 'Timestream rejected the record: A record with a different value already exists',
        },
      ],
    });
  });

  it('throws on any other error, so the records are retried', async () => {
    writeMock
      .on(WriteRecordsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(store().writeTelemetry([telemetry(1)])).rejects.toThrow('Rate exceeded');
  });
});

describe('Timestream time-series store: queries', () => {
  it('reads raw pages by keyset on (time, seq), following NextToken to the end', async () => {
    const columns = ['machine_id', 'measure_name', 'time', 'seq', 'temperature_coil', 'current'];
    queryMock
      .on(QueryCommand)
      .resolvesOnce(answer(columns, [], 'token-1'))
      .resolvesOnce(
        answer(columns, [
          ['C_FL104', 'telemetry', '2025-10-23 10:30:01.000000000', '1', '72.5', null],
          ['C_FL104', 'telemetry', '2025-10-23 10:30:02.250000000', '2', '72.6', '41'],
          ['C_FL104', 'telemetry', '2025-10-23 10:30:03.000000000', '3', '72.7', '41.1'],
        ]),
      );
    const page = await store().queryTelemetry({ machine_id: 'C_FL104', from: T0, to: T0 + 60_000, limit: 2 });
    const sql = queryMock.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(sql[0]).toEqual({
      QueryString: `SELECT * FROM "flexotwin"."telemetry" WHERE machine_id = 'C_FL104' AND measure_name = 'telemetry' AND time >= from_milliseconds(${T0}) AND time < from_milliseconds(${T0 + 60_000}) ORDER BY time ASC, seq ASC LIMIT 3`,
    });
    expect(sql[1]).toEqual({ QueryString: sql[0]?.QueryString, NextToken: 'token-1' });
    expect(page).toEqual({
      kind: 'raw',
      points: [
        { ts: T0 + 1000, seq: 1, sensors: { temperature_coil: 72.5 } },
        { ts: T0 + 2250, seq: 2, sensors: { temperature_coil: 72.6, current: 41 } },
      ],
      next_cursor: expect.any(String),
    });

    queryMock.reset();
    queryMock.on(QueryCommand).resolves(answer(columns, []));
    if (page.kind !== 'raw') throw new Error('raw expected');
    await store().queryTelemetry({
      machine_id: 'C_FL104',
      from: T0,
      to: T0 + 60_000,
      limit: 2,
      cursor: page.next_cursor,
    });
    expect(queryMock.commandCalls(QueryCommand)[0]?.args[0].input.QueryString).toContain(
      ` AND (time > from_milliseconds(${T0 + 2250}) OR (time = from_milliseconds(${T0 + 2250}) AND seq > 2)) ORDER BY`,
    );
  });

  it('aggregates with bin() over the sensor columns the table has', async () => {
    // Generic answer first: aws-sdk-client-mock wants the more specific matcher defined last.
    queryMock.on(QueryCommand).resolves(
      answer(
        [
          'bucket',
          'temperature_coil__avg',
          'temperature_coil__min',
          'temperature_coil__max',
          'temperature_coil__count',
        ],
        [
          [String(T0), '74.5', '70', '79', '60'],
          [String(T0 + 60_000), null, null, null, '0'],
        ],
      ),
    );
    queryMock.on(QueryCommand, { QueryString: 'DESCRIBE "flexotwin"."telemetry"' }).resolves(
      answer(
        ['Column', 'Type', 'Timestream attribute type'],
        [
          ['machine_id', 'varchar', 'DIMENSION'],
          ['measure_name', 'varchar', 'MEASURE_NAME'],
          ['time', 'timestamp', 'TIMESTAMP'],
          ['seq', 'bigint', 'MULTI'],
          ['temperature_coil', 'double', 'MULTI'],
          ['current', 'double', 'MULTI'],
        ],
      ),
    );
    const series = await store().queryTelemetry({
      machine_id: 'C_FL104',
      from: T0,
      to: T0 + 120_000,
      interval_ms: 60_000,
      sensors: ['temperature_coil', 'humidity_env'],
    });
    const queries = queryMock.commandCalls(QueryCommand).map((c) => c.args[0].input.QueryString);
    expect(queries).toEqual([
      'DESCRIBE "flexotwin"."telemetry"',
      `SELECT to_milliseconds(bin(time, 60000ms)) AS bucket, avg("temperature_coil") AS "temperature_coil__avg", min("temperature_coil") AS "temperature_coil__min", max("temperature_coil") AS "temperature_coil__max", count("temperature_coil") AS "temperature_coil__count" FROM "flexotwin"."telemetry" WHERE machine_id = 'C_FL104' AND measure_name = 'telemetry' AND time >= from_milliseconds(${T0}) AND time < from_milliseconds(${T0 + 120_000}) GROUP BY bin(time, 60000ms) ORDER BY bucket ASC`,
    ]);
    expect(series).toEqual({
      kind: 'aggregated',
      interval_ms: 60_000,
      buckets: [{ ts: T0, sensors: { temperature_coil: { avg: 74.5, min: 70, max: 79, count: 60 } } }],
    });
  });

  it('reads production snapshots back into messages', async () => {
    queryMock
      .on(QueryCommand)
      .resolves(
        answer(
          [
            'machine_id',
            'measure_name',
            'time',
            'seq',
            'status',
            'total_produksi',
            'produk_cacat',
            'planned_minutes',
            'run_minutes',
            'quality_rate',
            'downtime_reason',
          ],
          [
            [
              'C_FL104',
              'production',
              '2025-10-23 10:30:35.000000000',
              '7',
              'Downtime',
              '4500',
              '180',
              '480.0',
              '410.0',
              null,
              'Plate change',
            ],
          ],
        ),
      );
    expect(await store().queryProduction({ machine_id: 'C_FL104', from: T0, to: T0 + 60_000 })).toEqual([
      production(7, { status: 'Downtime', downtime_reason: 'Plate change' }),
    ]);
  });

  it('parses Timestream timestamps at millisecond precision', () => {
    expect(parseTimestreamTime('2025-10-23 10:30:00.123456789')).toBe(T0 + 123);
    expect(parseTimestreamTime('2025-10-23 10:30:00')).toBe(T0);
  });
});

describe('IoT data-plane publisher', () => {
  it('publishes raised, escalated and cleared alarms (not updates) with QoS 1, in order', async () => {
    iotMock.on(PublishCommand).resolves({});
    const publisher = new IotDataEventPublisher(new IoTDataPlaneClient({ region: 'eu-west-1' }));
    const events = [
      alarmEvent('raised'),
      alarmEvent('updated'),
      alarmEvent('escalated'),
      alarmEvent('cleared'),
    ];
    await publisher.publishAlarmEvents('C_FL104', events);
    const calls = iotMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => [c.topic, c.qos, c.contentType])).toEqual([
      ['flexotwin/C_FL104/anomalies', 1, 'application/json'],
      ['flexotwin/C_FL104/anomalies', 1, 'application/json'],
      ['flexotwin/C_FL104/anomalies', 1, 'application/json'],
    ]);
    const payloads = calls.map((c) => JSON.parse(new TextDecoder().decode(c.payload as Uint8Array)));
    expect(payloads).toEqual([
      { type: 'raised', alarm: events[0]?.alarm },
      { type: 'escalated', alarm: events[2]?.alarm },
      { type: 'cleared', alarm: events[3]?.alarm },
    ]);
  });

  it('replaces the reported state of the named shadow "health"', async () => {
    iotMock.on(UpdateThingShadowCommand).resolves({});
    const publisher = new IotDataEventPublisher(new IoTDataPlaneClient({ region: 'eu-west-1' }));
    const reported = { health_index: 72.5, status: 'Good', active_alarms: [] };
    await publisher.updateHealthShadow('C_FL104', reported);
    const input = iotMock.commandCalls(UpdateThingShadowCommand)[0]?.args[0].input;
    expect(input?.thingName).toBe('C_FL104');
    expect(input?.shadowName).toBe('health');
    expect(JSON.parse(new TextDecoder().decode(input?.payload as Uint8Array))).toEqual({
      state: { reported },
    });
  });
});

describe('IoT data-plane probe', () => {
  it('calls the data endpoint and reports the outcome', async () => {
    iotMock
      .on(ListRetainedMessagesCommand)
      .resolvesOnce({ retainedTopics: [] })
      .rejectsOnce(new Error('AccessDenied'));
    const probe = iotDataProbe(
      new IoTDataPlaneClient({ region: 'eu-west-1' }),
      'abc-ats.iot.eu-west-1.amazonaws.com',
    );
    expect(await probe()).toEqual({
      ok: true,
      message: 'AWS IoT Core data endpoint abc-ats.iot.eu-west-1.amazonaws.com reachable',
    });
    expect(await probe()).toEqual({ ok: false, message: 'AccessDenied' });
    expect(iotMock.commandCalls(ListRetainedMessagesCommand)[0]?.args[0].input).toEqual({ maxResults: 1 });
  });
});

describe('MQTT publisher (local runtime)', () => {
  it('publishes the same topics and payloads through an aedes broker, the shadow retained', async () => {
    const broker = await Aedes.createBroker();
    const received: { topic: string; payload: string; retain: boolean }[] = [];
    await new Promise<void>((resolve) =>
      broker.subscribe(
        '#',
        (packet, done) => {
          received.push({ topic: packet.topic, payload: packet.payload.toString(), retain: packet.retain });
          done();
        },
        resolve,
      ),
    );
    const publisher = new MqttEventPublisher(aedesPublish(broker));
    await publisher.publishAlarmEvents('C_FL104', [alarmEvent('raised'), alarmEvent('updated')]);
    await publisher.updateHealthShadow('C_FL104', { health_index: 50 });
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    expect(received).toEqual([
      {
        topic: 'flexotwin/C_FL104/anomalies',
        payload: JSON.stringify({ type: 'raised', alarm: alarmEvent('raised').alarm }),
        retain: false,
      },
      {
        topic: '$aws/things/C_FL104/shadow/name/health/update',
        payload: JSON.stringify({ state: { reported: { health_index: 50 } } }),
        retain: true,
      },
    ]);
  });
});
