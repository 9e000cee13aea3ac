/**
 * The API handler: every route and every error path, over the real DynamoDB/S3 adapters (dynalite,
 * s3rver), with machine state and alarms produced by the real processor. Every answer is checked by the
 * client against the OpenAPI document the API itself serves (test/support/http-api.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { RecordingEventPublisher } from '../../lambdas/adapters/memory/publisher.js';
import { loadPredictor, trainMaintenanceModel } from '../../lambdas/core/forest/index.js';
import type { MaintenancePredictor } from '../../lambdas/core/ports.js';
import { type ApiDeps, makeHandler } from '../../lambdas/handlers/api.js';
import { makeHandler as makeProcessor } from '../../lambdas/handlers/processor.js';
import { machineProfile } from '../../lambdas/shared/config.js';
import { NORMAL_SENSORS, production, T0, telemetry } from '../support/fixtures.js';
import { type ApiAnswer, type ApiCall, apiClient } from '../support/http-api.js';
import { lambdaContext } from '../support/lambda-context.js';
import { type LocalAws, localAws } from '../support/local-aws.js';
import { captureEmf, silentLogger, testMetrics } from '../support/powertools.js';
import { type Published, sqsEvent } from '../support/sqs.js';

const NOW = T0 + 10 * 60_000;

/** A stand-in model: the real forest is another module's; the API only needs the port. */
function fakeLoadPredictor(body: string, version?: string): MaintenancePredictor {
  const model = JSON.parse(body) as { kind?: string; base: number; features?: string[] };
  if (model.kind !== 'fake-forest') throw new Error('not a model artifact');
  return {
    version: version ?? 'unversioned',
    features: model.features ?? ['total_produksi', 'produk_cacat'],
    info: {
      algorithm: 'Random Forest Regressor',
      training_rows: 365,
      date_range: { from: '2024-10-01', to: '2025-10-31' },
    },
    predict: (f) => model.base + (f.produk_cacat as number) / 100,
  };
}

interface Fixture {
  aws: LocalAws;
  call: (input: ApiCall | string) => Promise<ApiAnswer>;
  probes: { storage: boolean; broker: boolean };
}

async function fixture(overrides: Partial<ApiDeps> = {}): Promise<Fixture> {
  const aws = await localAws();
  const probes = { storage: true, broker: true };
  const handler = makeHandler({
    ...aws.stores,
    loadPredictor: fakeLoadPredictor,
    modelLocation: `s3://${aws.config.RAW_BUCKET}/models/`,
    probes: {
      storage: async () => ({
        ok: probes.storage,
        message: probes.storage ? 'DynamoDB reachable' : 'timeout',
      }),
      broker: async () => ({ ok: probes.broker, message: probes.broker ? 'reachable' : 'refused' }),
      brokerInfo: {
        broker: 'abc-ats.iot.eu-west-1.amazonaws.com:8883',
        topic: 'flexotwin/+/telemetry, flexotwin/+/production',
      },
    },
    machineProfile: (id) => machineProfile({ MACHINE_PROFILES: undefined }, id),
    defaultMachineId: 'C_FL104',
    logger: silentLogger(),
    clock: () => NOW,
    ...overrides,
  });
  return { aws, call: apiClient(handler), probes };
}

/** Runs telemetry and production through the real processor, so the API reads what it would in AWS. */
async function feed(aws: LocalAws, records: Published[]): Promise<void> {
  const processor = makeProcessor({
    ...aws.stores,
    publisher: new RecordingEventPublisher(),
    machineProfile: (id) => machineProfile({ MACHINE_PROFILES: undefined }, id),
    logger: silentLogger(),
    metrics: testMetrics(),
    clock: () => NOW,
  });
  const { result } = await captureEmf(() => processor(sqsEvent(records), lambdaContext()));
  expect(result.batchItemFailures).toEqual([]);
}

const reading = (seq: number, sensors: Record<string, number> = {}, machine = 'C_FL104'): Published => ({
  id: `${machine}-t${seq}`,
  payload: { ...telemetry(seq, { machine_id: machine }), sensors: { ...NORMAL_SENSORS, ...sensors } },
  receivedAt: T0 + seq * 1000 + 100,
});

describe('API over a running fleet', () => {
  let f: Fixture;
  const coilAlarm = `C_FL104.coil_temp_high.${T0 + 2000}`;
  const vibrationAlarm = `C_FL104.vibration_high.${T0 + 8000}`;

  beforeAll(async () => {
    f = await fixture();
    const hot = { temperature_coil: 105 };
    const shaky = { vibration_rotor: 5 };
    await feed(f.aws, [
      reading(1),
      ...[2, 3, 4].map((s) => reading(s, hot)),
      ...[5, 6, 7].map((s) => reading(s)),
      ...[8, 9, 10].map((s) => reading(s, shaky)),
      // A poor shift: 20 % availability drags every component's health below 50.
      {
        id: 'p1',
        kind: 'production',
        payload: production(1, { availability_rate: 20, performance_rate: 50, quality_rate: 90 }),
        receivedAt: T0 + 5100,
      },
      reading(1, {}, 'M2'),
      {
        id: 'm2-p1',
        kind: 'production',
        payload: production(1, { machine_id: 'M2' }),
        receivedAt: T0 + 5200,
      },
    ]);
  });

  it('GET /api/health answers in the original shape, healthy, degraded or unhealthy', async () => {
    const healthy = await f.call('/api/health');
    expect(healthy.status).toBe(200);
    expect(healthy.body).toEqual({
      status: 'healthy',
      app_name: 'FlexoTwin Smart Maintenance 4.0',
      version: '1.0.0',
      timestamp: new Date(NOW).toISOString(),
      database: { status: 'connected', message: 'DynamoDB reachable' },
      mqtt: {
        status: 'connected',
        broker: 'abc-ats.iot.eu-west-1.amazonaws.com:8883',
        topic: 'flexotwin/+/telemetry, flexotwin/+/production',
      },
    });
    f.probes.broker = false;
    expect(await f.call('/api/health')).toMatchObject({
      status: 200,
      body: { status: 'degraded', mqtt: { status: 'disconnected' } },
    });
    f.probes.storage = false;
    expect(await f.call('/api/health')).toMatchObject({
      status: 503,
      body: { status: 'unhealthy', database: { status: 'disconnected', message: 'timeout' } },
    });
    f.probes.storage = true;
    f.probes.broker = true;
  });

  it('GET /api/components lists the fifteen seeded components with base and dynamic RPN', async () => {
    const { status, body } = await f.call('/api/components');
    expect(status).toBe(200);
    expect(body.total_components).toBe(15);
    expect(body.machine_id).toBe('C_FL104');
    expect(body.components[0]).toEqual({
      component_name: 'Pre-Feeder',
      rpn_value: 180,
      rpn_max: 1000,
      rpn_dynamic: 180,
    });
    expect(
      body.components.find((c: { component_name: string }) => c.component_name === 'Anilox Roller'),
    ).toMatchObject({
      rpn_value: 240,
    });
    // Main Drive Motor: S 9 × O 3 × D 4 = 108; one warning and one critical alarm today raise O to 6.
    expect(
      body.components.find((c: { component_name: string }) => c.component_name === 'Main Drive Motor'),
    ).toEqual({
      component_name: 'Main Drive Motor',
      rpn_value: 108,
      rpn_max: 1000,
      rpn_dynamic: 216,
    });
    const m2 = await f.call({ path: '/api/components', query: { machine_id: 'M2' } });
    expect(
      m2.body.components.find((c: { component_name: string }) => c.component_name === 'Main Drive Motor')
        .rpn_dynamic,
    ).toBe(108);
    expect(await f.call({ path: '/api/components', query: { machine_id: 'NOPE' } })).toMatchObject({
      status: 404,
    });
    expect(await f.call({ path: '/api/components', query: { machine_id: 'bad id!' } })).toMatchObject({
      status: 400,
      body: { error: 'Bad Request', message: 'machine_id: is not a machine id' },
    });
  });

  it('GET /api/components/{name} answers the detail with the FMEA fields, or 404', async () => {
    const { status, body } = await f.call('/api/components/Pre-Feeder');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      component_name: 'Pre-Feeder',
      rpn_value: 180,
      rpn_max: 1000,
      description: expect.any(String),
      failure_mode: expect.any(String),
      severity: 6,
      occurrence: 5,
      detection: 6,
      linked_sensors: ['humidity_env'],
      recommendations: { good: expect.any(Array), warning: expect.any(Array), critical: expect.any(Array) },
    });
    expect(await f.call('/api/components/Main%20Drive%20Motor')).toMatchObject({
      status: 200,
      body: { rpn_dynamic: 216 },
    });
    const missing = await f.call('/api/components/Nope');
    expect(missing).toMatchObject({
      status: 404,
      body: { success: false, error: 'Not Found', message: 'Component "Nope" not found' },
    });
  });

  it('decodes component names with "/", "%", spaces and Unicode, encoded or as HTTP APIs deliver them', async () => {
    const names = ['Folder/Gluer 2', 'Ink 100% pump', 'Trocknungseinheit – Ü', 'ドライヤー'];
    const base = (await f.aws.stores.components.list())[0];
    await f.aws.stores.components.seed(
      names.map((n) => ({ ...(base as NonNullable<typeof base>), component_name: n })),
    );
    for (const name of names) {
      const encoded = `/api/components/${encodeURIComponent(name)}`;
      expect((await f.call(encoded)).body.component_name).toBe(name);
      // API Gateway HTTP APIs put the decoded path in rawPath.
      expect((await f.call({ path: encoded, rawPath: `/api/components/${name}` })).body.component_name).toBe(
        name,
      );
      expect((await f.call(`/api/health/${encodeURIComponent(name)}`)).body.component_name).toBe(name);
    }
    // Not a valid escape, so (as an HTTP API would deliver it) a literal "%" in the name.
    expect(await f.call('/api/components/%E0%A4%A')).toMatchObject({
      status: 404,
      body: { message: 'Component "%E0%A4%A" not found' },
    });
  });

  it('PUT /api/components/{name} updates S/O/D (integers 1..10) and refuses anything else', async () => {
    const put = (body: unknown, name = 'Slotter') =>
      f.call({
        method: 'PUT',
        path: `/api/components/${name}`,
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const updated = await put({ severity: 8, detection: 2 });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ component_name: 'Slotter', severity: 8, detection: 2 });
    expect(updated.body.rpn_value).toBe(8 * updated.body.occurrence * 2);
    expect((await f.call('/api/components/Slotter')).body.severity).toBe(8);
    for (const bad of [
      { severity: 0 },
      { occurrence: 11 },
      { detection: 2.5 },
      { severity: '7' },
      { colour: 'red' },
      {},
    ]) {
      expect((await put(bad)).status).toBe(400);
    }
    expect(await put({ severity: 11 })).toMatchObject({ body: { message: 'severity: must be 1..10' } });
    expect(await put('{"severity": 3')).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/^The body is not valid JSON/) },
    });
    expect(await put('')).toMatchObject({ status: 400, body: { message: 'A JSON body is required' } });
    expect(await put({ severity: 3 }, 'Nope')).toMatchObject({ status: 404 });
    expect(await put(`{"severity": 3, "pad": "${'x'.repeat(70_000)}"}`)).toMatchObject({
      status: 413,
      body: { error: 'Payload Too Large' },
    });
  });

  it('GET /api/health/{component} answers the health index with numbers that add up, and a prediction below 50', async () => {
    const { status, body } = await f.call('/api/health/Main%20Drive%20Motor');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      component_name: 'Main Drive Motor',
      machine_id: 'C_FL104',
      status: 'Critical',
      color: '#EF4444',
      auto_triggered: true,
      metrics: {
        rpn_value: 108,
        rpn_dynamic: 216,
        rpn_max: 1000,
        availability_rate: 20,
        performance_rate: 50,
        quality_rate: 90,
      },
    });
    expect(body.calculation_details.rpn_contribution + body.calculation_details.oee_contribution).toBeCloseTo(
      body.health_index,
      9,
    );
    expect(body.recommendations[0]).toMatch(/^\[STOP\]/);
    // No model yet: the prediction says so instead of failing the route.
    expect(body.prediction_result).toEqual({
      success: false,
      error: 'Model not available',
      message: `No trained model found at s3://${f.aws.config.RAW_BUCKET}/models/. Train one with "flexotwin train" and try again.`,
    });

    const good = await f.call({ path: '/api/health/Pre-Feeder', query: { machine_id: 'M2' } });
    expect(good.body).toMatchObject({
      status: 'Good',
      color: '#22C55E',
      auto_triggered: false,
      machine_id: 'M2',
    });
    expect(good.body.prediction_result).toBeUndefined();
    expect(await f.call('/api/health/Nope')).toMatchObject({ status: 404 });
    expect(await f.call({ path: '/api/health/Pre-Feeder', query: { machine_id: 'GHOST' } })).toMatchObject({
      status: 404,
    });
  });

  it('GET /api/machines lists the fleet with status, OEE, health and active alarms', async () => {
    const { status, body } = await f.call('/api/machines');
    expect(status).toBe(200);
    expect(body.total_machines).toBe(2);
    expect(body.machines[0]).toEqual({
      machine_id: 'C_FL104',
      status: 'Running',
      last_seen: new Date(T0 + 10_000).toISOString(),
      oee: { availability: 20, performance: 50, quality: 90, oee: 9 },
      health: expect.objectContaining({ status: 'Critical', worst_component: expect.any(String) }),
      active_alarms: 1,
      messages: { telemetry: 10, production: 1 },
    });
    expect(body.machines[1]).toMatchObject({ machine_id: 'M2', active_alarms: 0 });
  });

  it('GET /api/machines/{id}/telemetry pages raw points and aggregates buckets', async () => {
    const path = '/api/machines/C_FL104/telemetry';
    const all = await f.call(path);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({
      machine_id: 'C_FL104',
      kind: 'raw',
      from: new Date(NOW - 3_600_000).toISOString(),
      to: new Date(NOW).toISOString(),
      count: 10,
    });
    expect(all.body.points[0]).toEqual({
      ts: new Date(T0 + 1000).toISOString(),
      seq: 1,
      sensors: NORMAL_SENSORS,
    });

    const seqs: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await f.call({
        path,
        query: { limit: '4', sensors: 'temperature_coil', ...(cursor && { cursor }) },
      });
      seqs.push(
        ...page.body.points.map((p: { seq: number; sensors: object }) => {
          expect(Object.keys(p.sensors)).toEqual(['temperature_coil']);
          return p.seq;
        }),
      );
      cursor = page.body.next_cursor;
    } while (cursor !== undefined);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    const buckets = await f.call({
      path,
      query: {
        from: new Date(T0).toISOString(),
        to: String(T0 + 60_000),
        interval: '5s',
        sensors: 'temperature_coil,vibration_rotor',
      },
    });
    expect(buckets.body).toMatchObject({ kind: 'aggregated', interval: '5s', interval_ms: 5000, count: 3 });
    expect(buckets.body.buckets[0]).toEqual({
      ts: new Date(T0).toISOString(),
      sensors: {
        temperature_coil: { avg: (72.4 + 3 * 105) / 4, min: 72.4, max: 105, count: 4 },
        vibration_rotor: { avg: 2.1, min: 2.1, max: 2.1, count: 4 },
      },
    });

    const bad = async (query: Record<string, string>, message: RegExp) =>
      expect(await f.call({ path, query })).toMatchObject({
        status: 400,
        body: { message: expect.stringMatching(message) },
      });
    await bad({ interval: '5 minutes' }, /^interval: must be a duration/);
    await bad({ interval: '500ms' }, /at least 1s/);
    await bad({ from: String(NOW), to: String(NOW - 1) }, /`from` must be before `to`/);
    await bad({ from: '2025-01-01T00:00:00Z' }, /at most 31 days/);
    await bad({ from: '2025-10-01T00:00:00Z', interval: '1s' }, /at most 10000 buckets/);
    await bad({ from: 'yesterday' }, /^from: must be ISO-8601/);
    await bad({ cursor: 'forged!' }, /cursor is not valid/);
    await bad({ limit: '0' }, /^limit:/);
    await bad({ sensors: 'a-b' }, /^sensors/);
    expect(await f.call('/api/machines/GHOST/telemetry')).toMatchObject({ status: 404 });
    expect(await f.call('/api/machines/bad%20id/telemetry')).toMatchObject({
      status: 400,
      body: { message: 'machine_id: is not a machine id' },
    });
  });

  it('GET /api/machines/{id}/oee answers the shift, 24 h and 7 d windows', async () => {
    const shift = await f.call('/api/machines/C_FL104/oee');
    expect(shift.body).toEqual({
      machine_id: 'C_FL104',
      window: 'shift',
      from: '2025-10-23T06:00:00.000Z',
      to: '2025-10-23T14:00:00.000Z',
      availability: 20,
      performance: 50,
      quality: 90,
      oee: 9,
      planned_minutes: 480,
      run_minutes: 410,
      total_produksi: 4500,
      produk_cacat: 180,
      shifts: 1,
    });
    const day = await f.call({ path: '/api/machines/M2/oee', query: { window: '24h' } });
    expect(day.body).toMatchObject({ window: '24h', shifts: 1, availability: 85.4, quality: 96 });
    const week = await f.call({ path: '/api/machines/M2/oee', query: { window: '7d' } });
    expect(week.body).toMatchObject({
      window: '7d',
      from: new Date(NOW - 7 * 86_400_000).toISOString(),
      shifts: 1,
    });
    expect(await f.call({ path: '/api/machines/M2/oee', query: { window: '1y' } })).toMatchObject({
      status: 400,
    });
    expect(await f.call('/api/machines/GHOST/oee')).toMatchObject({ status: 404 });
  });

  it('GET /api/machines/{id}/oee/trend samples the running shift figures across the window', async () => {
    const shift = await f.call('/api/machines/C_FL104/oee/trend');
    expect(shift.status).toBe(200);
    expect(shift.body).toEqual({
      machine_id: 'C_FL104',
      window: 'shift',
      from: '2025-10-23T06:00:00.000Z',
      to: new Date(NOW).toISOString(),
      // 4 h 40 min over at most 240 points, in whole minutes.
      interval_ms: 2 * 60_000,
      count: 1,
      points: [
        {
          ts: new Date(T0 + 5000).toISOString(),
          shift_start: '2025-10-23T06:00:00.000Z',
          availability: 20,
          performance: 50,
          quality: 90,
          oee: 9,
        },
      ],
    });
    const week = await f.call({ path: '/api/machines/M2/oee/trend', query: { window: '7d' } });
    expect(week.body).toMatchObject({ window: '7d', interval_ms: 42 * 60_000, count: 1 });
    expect(week.body.points[0]).toMatchObject({ availability: 85.4, quality: 96 });
    expect(await f.call('/api/machines/GHOST/oee/trend')).toMatchObject({ status: 404 });
    expect(await f.call({ path: '/api/machines/M2/oee/trend', query: { window: '1y' } })).toMatchObject({
      status: 400,
    });
  });

  it('GET /api/machines/{id}/rules answers the thresholds the processor applies to the machine', async () => {
    const { status, body } = await f.call('/api/machines/C_FL104/rules');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      machine_id: 'C_FL104',
      machine_type: 'Flexo 104',
      vibration_class: 'group2_rigid',
      debounce_readings: 3,
    });
    const byId = new Map(body.rules.map((r: { id: string }) => [r.id, r]));
    expect(byId.get('coil_temp_high')).toMatchObject({ kind: 'above', warning: 100, critical: 120 });
    expect(byId.get('vibration_high')).toMatchObject({ warning: 2.8, critical: 4.5 });
    expect(byId.get('voltage_deviation')).toMatchObject({ warning: [380, 420], critical: [360, 440] });
    expect(byId.get('current_low_running')).toMatchObject({ kind: 'below', while_status: 'Running' });

    // A profile override reaches the rules, as it reaches the processor.
    const overridden = await fixture({
      machineProfile: (id) =>
        machineProfile({ MACHINE_PROFILES: { C_FL104: { coil_temp_warning_c: 95 } } }, id),
    });
    await feed(overridden.aws, [reading(1)]);
    const custom = await overridden.call('/api/machines/C_FL104/rules');
    expect(custom.body.rules.find((r: { id: string }) => r.id === 'coil_temp_high')).toMatchObject({
      warning: 95,
    });
    expect(await f.call('/api/machines/GHOST/rules')).toMatchObject({ status: 404 });
  });

  it('GET /api/anomalies filters by machine, state and time and pages with a cursor', async () => {
    const all = await f.call('/api/anomalies');
    expect(all.status).toBe(200);
    expect(all.body.anomalies.map((a: { alarm_id: string; state: string }) => [a.alarm_id, a.state])).toEqual(
      [
        [vibrationAlarm, 'active_unacknowledged'],
        [coilAlarm, 'cleared'],
      ],
    );
    expect(all.body.anomalies[0]).toMatchObject({
      category: 'mechanical',
      severity: 'critical',
      component: 'Main Drive Motor',
    });
    expect((await f.call({ path: '/api/anomalies', query: { state: 'active' } })).body.count).toBe(1);
    expect((await f.call({ path: '/api/anomalies', query: { machine_id: 'M2' } })).body.count).toBe(0);
    expect((await f.call({ path: '/api/anomalies', query: { since: String(T0 + 9000) } })).body.count).toBe(
      1,
    );
    const first = await f.call({ path: '/api/anomalies', query: { limit: '1' } });
    expect(first.body.count).toBe(1);
    const second = await f.call({
      path: '/api/anomalies',
      query: { limit: '1', cursor: first.body.next_cursor },
    });
    expect(second.body.anomalies[0].alarm_id).toBe(coilAlarm);
    for (const query of [
      { state: 'open' },
      { limit: '500' },
      { cursor: 'xyz!' },
      { since: 'soon' },
    ] as Record<string, string>[]) {
      expect((await f.call({ path: '/api/anomalies', query })).status).toBe(400);
    }
  });

  it('POST /api/anomalies/{id}/ack acknowledges once, names who, and refuses cleared or unknown alarms', async () => {
    const path = `/api/anomalies/${encodeURIComponent(vibrationAlarm)}/ack`;
    const acked = await f.call({ method: 'POST', path, body: { by: 'shift-lead' } });
    expect(acked).toMatchObject({
      status: 200,
      body: {
        success: true,
        changed: true,
        alarm: {
          state: 'active_acknowledged',
          acknowledged_by: 'shift-lead',
          acknowledged_at: new Date(NOW).toISOString(),
        },
      },
    });
    const again = await f.call({ method: 'POST', path, iamUserArn: 'arn:aws:iam::123456789012:user/ops' });
    expect(again.body).toMatchObject({ changed: false, alarm: { acknowledged_by: 'shift-lead' } });
    expect(await f.call({ method: 'POST', path: `/api/anomalies/${coilAlarm}/ack` })).toMatchObject({
      status: 409,
      body: { error: 'Conflict', message: expect.stringContaining('is cleared') },
    });
    expect(
      await f.call({ method: 'POST', path: '/api/anomalies/C_FL104.nope.1/ack', body: {} }),
    ).toMatchObject({ status: 404 });
    expect(await f.call({ method: 'POST', path, body: { by: '' } })).toMatchObject({ status: 400 });
    expect(await f.call({ method: 'POST', path, body: { who: 'x' } })).toMatchObject({ status: 400 });
    // Not an id the processor mints (over DynamoDB's key size, or other characters): 400, not a store error.
    for (const id of ['x'.repeat(3000), 'C_FL104.rule.1 or 1=1', 'ü'])
      expect(
        await f.call({ method: 'POST', path: `/api/anomalies/${encodeURIComponent(id)}/ack` }),
        id.slice(0, 20),
      ).toMatchObject({ status: 400, body: { message: 'alarm_id: is not an alarm id' } });
  });

  it('GET /api/openapi.json describes every route; GET /api/docs lists them as the original did', async () => {
    const { body } = await f.call('/api/openapi.json');
    expect(body.openapi).toBe('3.1.0');
    expect(body.servers).toEqual([{ url: 'https://abc123.execute-api.eu-west-1.amazonaws.com' }]);
    expect(Object.keys(body.paths).sort()).toEqual([
      '/api/anomalies',
      '/api/anomalies/{alarm_id}/ack',
      '/api/components',
      '/api/components/{name}',
      '/api/docs',
      '/api/health',
      '/api/health/{component_name}',
      '/api/machines',
      '/api/machines/{machine_id}/oee',
      '/api/machines/{machine_id}/oee/trend',
      '/api/machines/{machine_id}/rules',
      '/api/machines/{machine_id}/telemetry',
      '/api/openapi.json',
      '/api/predict',
    ]);
    expect(body.paths['/api/health'].get.security).toEqual([]);
    expect(body.paths['/api/predict'].post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/PredictRequest',
    });
    const docs = await f.call('/api/docs');
    expect(docs.body).toMatchObject({
      api_name: 'FlexoTwin API',
      version: '1.0.0',
      base_url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/api',
    });
    expect(docs.body.endpoints).toContainEqual({
      path: '/health',
      method: 'GET',
      description: expect.any(String),
    });
    expect(docs.body.endpoints).toContainEqual({
      path: '/components',
      method: 'GET',
      description: expect.any(String),
    });
    expect(docs.body.endpoints).toHaveLength(15);
  });

  it('answers unknown routes 404, wrong methods 405 with Allow, and tolerates a trailing slash', async () => {
    expect(await f.call('/api/nothing')).toMatchObject({
      status: 404,
      body: { error: 'Not Found', message: 'No route GET /api/nothing' },
    });
    expect(await f.call('/')).toMatchObject({ status: 404 });
    const wrong = await f.call({ method: 'DELETE', path: '/api/components/Pre-Feeder' });
    expect(wrong).toMatchObject({ status: 405, body: { error: 'Method Not Allowed' } });
    expect(wrong.headers.allow).toBe('GET, PUT');
    expect(await f.call({ method: 'POST', path: '/api/machines' })).toMatchObject({ status: 405 });
    expect(await f.call({ method: 'BREW', path: '/api/machines' })).toMatchObject({ status: 405 });
    expect(await f.call('/api/components/')).toMatchObject({
      status: 200,
      body: { total_components: expect.any(Number) },
    });
  });

  it('answers a GET or HEAD that carries a body as if it had none (API Gateway passes such bodies on)', async () => {
    const get = await f.call({ path: '/api/machines', body: '{"any":"thing"}' });
    expect(get).toMatchObject({ status: 200, body: { machines: expect.any(Array) } });
    const head = { method: 'HEAD', path: '/api/components/Pre-Feeder' };
    expect((await f.call({ ...head, body: 'x' })).status).toBe((await f.call(head)).status);
  });

  it('puts the request id of API Gateway in the header and in every error body', async () => {
    const ok = await f.call({ path: '/api/machines', requestId: 'abc-123' });
    expect(ok.headers['x-request-id']).toBe('abc-123');
    const missing = await f.call({ path: '/api/nope', requestId: 'def-456' });
    expect(missing.body.request_id).toBe('def-456');
  });
});

describe('API: predictions', () => {
  it('POST /api/predict answers 503 "Model not available" until a model is stored', async () => {
    const f = await fixture();
    const answer = await f.call({
      method: 'POST',
      path: '/api/predict',
      body: { total_produksi: 4500, produk_cacat: 180 },
    });
    expect(answer).toMatchObject({
      status: 503,
      body: {
        success: false,
        error: 'Model not available',
        message: expect.stringContaining(`No trained model found at s3://${f.aws.config.RAW_BUCKET}/models/`),
      },
    });
    await f.aws.stores.models.put({ version: 'broken-1', body: 'not json at all' });
    // The cache re-checks the store after a minute; a fresh handler sees the broken model at once.
    const g = await fixture({ models: f.aws.stores.models });
    expect(
      await g.call({ method: 'POST', path: '/api/predict', body: { total_produksi: 1, produk_cacat: 0 } }),
    ).toMatchObject({
      status: 503,
      body: {
        error: 'Model not available',
        message: expect.stringMatching(/^Model broken-1 could not be loaded/),
      },
    });
  });

  it('POST /api/predict predicts in the original shape, with a recommendation by duration band', async () => {
    const f = await fixture();
    await f.aws.stores.models.put({
      version: '20251023T103000Z-1a2b3c4d',
      body: JSON.stringify({ kind: 'fake-forest', base: 0.55 }),
    });
    const answer = await f.call({
      method: 'POST',
      path: '/api/predict',
      body: { total_produksi: 4500, produk_cacat: 180 },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      success: true,
      prediction: 2.35,
      prediction_formatted: '2.35 jam',
      input_data: { total_produksi: 4500, produk_cacat: 180 },
      timestamp: new Date(NOW).toISOString(),
      model_info: {
        algorithm: 'Random Forest Regressor',
        trained_on: '365 historical production records from 2024-10-01 to 2025-10-31',
        version: '20251023T103000Z-1a2b3c4d',
        training_rows: 365,
        date_range: { from: '2024-10-01', to: '2025-10-31' },
      },
      recommendation: 'Maintenance needed soon. Prepare the maintenance team.',
    });
    const short = await f.call({
      method: 'POST',
      path: '/api/predict',
      body: { total_produksi: 100, produk_cacat: 10 },
    });
    expect(short.body).toMatchObject({
      prediction: 0.65,
      recommendation: expect.stringMatching(/^Short maintenance/),
    });
    const long = await f.call({
      method: 'POST',
      path: '/api/predict',
      body: { total_produksi: 9000, produk_cacat: 900 },
    });
    expect(long.body).toMatchObject({
      prediction: 9.55,
      prediction_formatted: '9.55 jam',
      recommendation: expect.stringMatching(/^Major maintenance/),
    });
  });

  it('POST /api/predict answers invalid input in the original error shape', async () => {
    const f = await fixture();
    await f.aws.stores.models.put({
      version: 'v1',
      body: JSON.stringify({
        kind: 'fake-forest',
        base: 1,
        features: ['total_produksi', 'produk_cacat', 'run_minutes'],
      }),
    });
    const predict = (body: unknown) =>
      f.call({
        method: 'POST',
        path: '/api/predict',
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    expect(await predict({ total_produksi: -100, produk_cacat: 50 })).toMatchObject({
      status: 400,
      body: {
        success: false,
        error: 'Invalid input',
        message:
          'total_produksi: must be a non-negative number; produk_cacat: produk_cacat cannot exceed total_produksi',
        input_received: { total_produksi: -100, produk_cacat: 50 },
      },
    });
    expect(await predict({ total_produksi: 'many', produk_cacat: 1 })).toMatchObject({
      status: 400,
      body: { error: 'Invalid input' },
    });
    expect(await predict({ total_produksi: 10 })).toMatchObject({
      status: 400,
      body: { error: 'Invalid input' },
    });
    expect(await predict({ total_produksi: 10, produk_cacat: 20 })).toMatchObject({
      status: 400,
      body: { message: 'produk_cacat: produk_cacat cannot exceed total_produksi' },
    });
    expect(await predict('{oops')).toMatchObject({
      status: 400,
      body: { error: 'Invalid input', input_received: null },
    });
    expect(await predict([1, 2])).toMatchObject({ status: 400, body: { input_received: [1, 2] } });
    // Valid JSON nested too deep to echo back (JSON.stringify overflows the stack at ~5000 levels).
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    expect(await predict(deep)).toMatchObject({
      status: 400,
      body: { error: 'Invalid input', message: 'The body nests deeper than 32 levels', input_received: null },
    });
    // A model trained on more features says which ones are missing.
    expect(await predict({ total_produksi: 10, produk_cacat: 1 })).toMatchObject({
      status: 400,
      body: { error: 'Invalid input', message: 'The model also needs: run_minutes' },
    });
    expect(await predict({ total_produksi: 10, produk_cacat: 1, run_minutes: 400 })).toMatchObject({
      status: 200,
    });
  });

  it('attaches a prediction from the current shift to a critical component', async () => {
    const f = await fixture();
    await f.aws.stores.models.put({
      version: 'v1',
      body: JSON.stringify({ kind: 'fake-forest', base: 0.5 }),
    });
    await feed(f.aws, [
      reading(1),
      {
        id: 'p',
        kind: 'production',
        payload: production(1, { availability_rate: 10, produk_cacat: 300 }),
        receivedAt: T0 + 5100,
      },
    ]);
    const { body } = await f.call('/api/health/Feeder');
    expect(body.auto_triggered).toBe(true);
    expect(body.prediction_result).toMatchObject({
      success: true,
      prediction: 3.5,
      prediction_formatted: '3.50 jam',
      input_data: { total_produksi: 4500, produk_cacat: 300 },
    });
  });
});

describe('API: the real forest', () => {
  it('serves a model trained by core/forest and published to S3 through the model store', async () => {
    const rows = Array.from({ length: 80 }, (_, i) => ({
      tanggal: `2025-${String(1 + (i % 9)).padStart(2, '0')}-${String(1 + (i % 27)).padStart(2, '0')}`,
      total_produksi: 1000 + i * 100,
      produk_cacat: 20 + (i % 17) * 10,
      durasi_maintenance_jam: 0.5 + (i % 17) * 0.25,
    }));
    const trained = trainMaintenanceModel(rows, { createdAt: '2025-10-23T10:30:00.000Z', trees: 8, seed: 1 });
    const f = await fixture({ loadPredictor });
    await f.aws.stores.models.put({ version: trained.version, body: trained.body });
    const answer = await f.call({
      method: 'POST',
      path: '/api/predict',
      body: { total_produksi: 4500, produk_cacat: 180 },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.model_info).toMatchObject({
      version: trained.version,
      algorithm: 'Random Forest Regressor',
    });
    expect(answer.body.prediction).toBeGreaterThanOrEqual(0.5);
    expect(answer.body.prediction).toBeLessThanOrEqual(4.5);
    expect(answer.body.prediction_formatted).toBe(`${answer.body.prediction.toFixed(2)} jam`);
  });
});

describe('API: failures', () => {
  it('answers 500 without internals when a store fails', async () => {
    const f = await fixture();
    const broken = await fixture({
      machineStates: {
        ...f.aws.stores.machineStates,
        list: () => Promise.reject(new Error('secret internal detail at db.ts:42')),
        get: (id) => f.aws.stores.machineStates.get(id),
        getMany: (ids) => f.aws.stores.machineStates.getMany(ids),
        put: (s, v) => f.aws.stores.machineStates.put(s, v),
      },
    });
    const answer = await broken.call({ path: '/api/machines', requestId: 'req-500' });
    expect(answer).toEqual({
      status: 500,
      headers: expect.objectContaining({ 'x-request-id': 'req-500' }),
      body: {
        success: false,
        error: 'Internal Server Error',
        message: 'An internal error occurred; quote request id req-500 when reporting it',
        request_id: 'req-500',
      },
    });
  });
});
