/**
 * The validator, example by example: every reason a message can be refused for, with the reason's text
 * (an operator reads it next to the quarantined payload), and the cases that must pass.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SENSORS_PER_MESSAGE } from '../../lambdas/core/messages.js';
import {
  MAX_FUTURE_SKEW_MS,
  MAX_PAYLOAD_BYTES,
  utf8ByteLength,
  type Validation,
  type ValidationContext,
  validatePayload,
  validateValue,
} from '../../lambdas/core/validate.js';
import { MACHINE } from './support/fixtures.js';

const NOW = Date.parse('2025-10-23T10:30:00.000Z');
const ctx = { now: NOW, topicMachineId: MACHINE };

const telemetry = (overrides: Record<string, unknown> = {}) => ({
  machine_id: MACHINE,
  ts: '2025-10-23T10:30:00.000Z',
  seq: 12345,
  sensors: {
    temperature_coil: 72.4,
    vibration_rotor: 2.1,
    current: 41.2,
    voltage: 398.0,
    pressure: 601000,
    temperature_env: 29.1,
    humidity_env: 64.0,
  },
  ...overrides,
});

const productionMsg = (overrides: Record<string, unknown> = {}) => ({
  machine_id: MACHINE,
  ts: '2025-10-23T10:30:00.000Z',
  seq: 7,
  status: 'Running',
  total_produksi: 4500,
  produk_cacat: 180,
  planned_minutes: 480,
  run_minutes: 410,
  ideal_rate_ppm: 12.5,
  availability_rate: 85.4,
  performance_rate: 92.3,
  quality_rate: 96.0,
  downtime_reason: null,
  ...overrides,
});

function reasonsOf<T>(result: Validation<T>): string[] {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.message)}`);
  return result.reasons;
}

function messageOf<T>(result: Validation<T>): T {
  if (!result.ok) throw new Error(`expected acceptance, got ${result.reasons.join('; ')}`);
  return result.message;
}

const refuse = (kind: 'telemetry' | 'production', value: unknown, c: ValidationContext = ctx) =>
  reasonsOf(validatePayload(kind, JSON.stringify(value), c));

describe('validatePayload: accepted messages', () => {
  it('accepts the telemetry example of DESIGN.md §3 and parses ts to epoch ms', () => {
    const message = messageOf(validatePayload('telemetry', JSON.stringify(telemetry()), ctx));
    expect(message).toEqual({ ...telemetry(), ts: NOW });
  });

  it('accepts the production example of DESIGN.md §3', () => {
    const message = messageOf(validatePayload('production', JSON.stringify(productionMsg()), ctx));
    expect(message).toEqual({ ...productionMsg(), ts: NOW });
  });

  it.each([
    ['epoch milliseconds', NOW, NOW],
    ['an offset instead of Z', '2025-10-23T12:30:00+02:00', NOW],
    ['an offset without colon', '2025-10-23T12:30:00+0200', NOW],
    ['no seconds', '2025-10-23T10:30Z', NOW],
    ['nanosecond fraction', '2025-10-23T10:30:00.000000000Z', NOW],
    ['a leap day', '2024-02-29T00:00:00.000Z', Date.UTC(2024, 1, 29)],
  ])('accepts ts as %s', (_label, ts, expected) => {
    expect(messageOf(validatePayload('telemetry', JSON.stringify(telemetry({ ts })), ctx)).ts).toBe(expected);
  });

  it('accepts a subset of sensors and keeps unknown sensors (raw storage needs them)', () => {
    const message = messageOf(
      validatePayload(
        'telemetry',
        JSON.stringify(telemetry({ sensors: { current: 40, oil_temp: 55.5 } })),
        ctx,
      ),
    );
    expect(message.sensors).toEqual({ current: 40, oil_temp: 55.5 });
  });

  it('accepts exactly the maximum number of sensors', () => {
    const sensors = Object.fromEntries(
      Array.from({ length: MAX_SENSORS_PER_MESSAGE }, (_, i) => [`s${i}`, i]),
    );
    expect(
      messageOf(validatePayload('telemetry', JSON.stringify(telemetry({ sensors })), ctx)).sensors,
    ).toEqual(sensors);
  });

  it('strips fields outside the contract', () => {
    const message = messageOf(
      validatePayload('telemetry', JSON.stringify(telemetry({ firmware: '1.2' })), ctx),
    );
    expect(message).not.toHaveProperty('firmware');
  });

  it('accepts a message without topic context (no machine-id comparison)', () => {
    const message = messageOf(
      validatePayload('telemetry', JSON.stringify(telemetry({ machine_id: 'OTHER-1' })), { now: NOW }),
    );
    expect(message.machine_id).toBe('OTHER-1');
  });

  it('accepts physical-range limits themselves (humidity 0 and 100 %)', () => {
    for (const humidity_env of [0, 100]) {
      messageOf(validatePayload('telemetry', JSON.stringify(telemetry({ sensors: { humidity_env } })), ctx));
    }
  });

  it('accepts produk_cacat = total_produksi and run_minutes = planned_minutes', () => {
    messageOf(
      validatePayload(
        'production',
        JSON.stringify(productionMsg({ produk_cacat: 4500, run_minutes: 480 })),
        ctx,
      ),
    );
  });
});

describe('validatePayload: refused messages name the reason', () => {
  it('refuses a non-string payload', () => {
    expect(reasonsOf(validatePayload('telemetry', Buffer.from('{}'), ctx))).toEqual(['payload must be text']);
  });

  it.each([
    ['truncated JSON', '{"machine_id":"C_FL104",'],
    ['single quotes', "{'machine_id':'C_FL104'}"],
    ['empty text', ''],
    ['NaN literal', '{"seq":NaN}'],
  ])('refuses bad JSON: %s', (_label, payload) => {
    const reasons = reasonsOf(validatePayload('telemetry', payload, ctx));
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^payload is not valid JSON: .+/);
  });

  it.each([
    ['[]', 'an array'],
    ['null', 'null'],
    ['42', 'number'],
    ['"text"', 'string'],
    ['true', 'boolean'],
  ])('refuses the non-object %s', (payload, got) => {
    expect(reasonsOf(validatePayload('production', payload, ctx))).toEqual([
      `payload must be a JSON object, got ${got}`,
    ]);
  });

  it('lists every missing field of a telemetry message', () => {
    const reasons = refuse('telemetry', {});
    for (const field of ['machine_id', 'ts', 'seq', 'sensors']) {
      expect(reasons.some((r) => r.startsWith(`${field}: `))).toBe(true);
    }
  });

  it('lists missing fields of a production message', () => {
    const { status: _s, total_produksi: _t, ...rest } = productionMsg();
    const reasons = refuse('production', rest);
    expect(reasons.some((r) => r.startsWith('status: '))).toBe(true);
    expect(reasons.some((r) => r.startsWith('total_produksi: '))).toBe(true);
  });

  it.each([
    ['seq as a string', { seq: '12' }, 'seq: ', /number/],
    ['seq as a float', { seq: 1.5 }, 'seq: ', /integer/],
    ['machine_id as a number', { machine_id: 104 }, 'machine_id: ', /string/],
    ['machine_id with a slash', { machine_id: 'C/FL104' }, 'machine_id: ', /1–128 characters/],
    ['ts as a boolean', { ts: true }, 'ts: ', /./],
    ['ts as a float', { ts: NOW + 0.5 }, 'ts: ', /integer milliseconds/],
    ['sensors as an array', { sensors: [1, 2] }, 'sensors: ', /object/],
    ['a sensor as a string', { sensors: { current: '41.2' } }, 'sensors.current: ', /number/],
    ['a bad sensor name', { sensors: { 'oil-temp': 1 } }, 'sensors.oil-temp: ', /sensor names are 1–64/],
  ])('refuses wrong types: %s', (_label, overrides, prefix, detail) => {
    const reasons = refuse('telemetry', telemetry(overrides));
    const reason = reasons.find((r) => r.startsWith(prefix));
    expect(reason, reasons.join(' | ')).toBeDefined();
    expect(reason).toMatch(detail);
  });

  it.each([
    ['humidity 140 %', { humidity_env: 140 }, 'sensors.humidity_env: is outside the physical range 0..100 %'],
    [
      'humidity -0.1 %',
      { humidity_env: -0.1 },
      'sensors.humidity_env: is outside the physical range 0..100 %',
    ],
    [
      'coil at 251 °C',
      { temperature_coil: 251 },
      'sensors.temperature_coil: is outside the physical range -40..250 °C',
    ],
    ['negative current', { current: -1 }, 'sensors.current: is outside the physical range 0..10000 A'],
  ])('refuses physically impossible values: %s', (_label, sensors, reason) => {
    expect(refuse('telemetry', telemetry({ sensors }))).toContain(reason);
  });

  it('refuses non-finite readings given as values (not representable in JSON)', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const reasons = reasonsOf(validateValue('telemetry', telemetry({ sensors: { oil_temp: bad } }), ctx));
      expect(reasons.some((r) => r.startsWith('sensors.oil_temp: '))).toBe(true);
    }
  });

  it('refuses numbers the stores cannot hold, each alone with its own reason (0 and the limits pass)', () => {
    const refused = { humidity_env: 1e-200, oil_temp: 1e200, temperature_env: -1e-131 };
    const reasons = refuse('telemetry', telemetry({ sensors: { ...refused, voltage: 0, pressure: 1e-130 } }));
    expect(reasons.sort()).toEqual(
      Object.keys(refused)
        .map((name) => `sensors.${name}: must be 0 or of magnitude 1e-130 to 1e+125 (what the stores hold)`)
        .sort(),
    );
    messageOf(validatePayload('telemetry', JSON.stringify(telemetry({ sensors: { oil_temp: 1e125 } })), ctx));
    expect(refuse('production', productionMsg({ quality_rate: 5e-324, run_minutes: 1e-150 }))).toEqual([
      'run_minutes: must be 0 or of magnitude 1e-130 to 1e+125 (what the stores hold)',
      'quality_rate: must be 0 or of magnitude 1e-130 to 1e+125 (what the stores hold)',
    ]);
  });

  it('refuses a negative seq', () => {
    expect(refuse('telemetry', telemetry({ seq: -1 }))).toContain('seq: must be ≥ 0');
  });

  it('refuses a naive timestamp without a zone', () => {
    const reasons = refuse('telemetry', telemetry({ ts: '2025-10-23T10:30:00' }));
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^ts: must be ISO-8601 with a time zone/);
  });

  it('refuses epoch seconds and says so', () => {
    expect(refuse('telemetry', telemetry({ ts: Math.floor(NOW / 1000) }))).toEqual([
      `ts: ${Math.floor(NOW / 1000)} looks like epoch seconds; send epoch milliseconds`,
    ]);
  });

  it.each([
    ['an ISO date before 2000', '1999-12-31T23:59:59.999Z'],
    ['epoch 0', 0],
    ['a negative epoch', -1],
    ['an ISO date after 2100', '2100-01-01T00:00:00.001Z'],
  ])('refuses %s', (_label, ts) => {
    expect(refuse('telemetry', telemetry({ ts }), { now: Date.parse('2200-01-01T00:00:00Z') })).toEqual([
      'ts: must lie between 2000-01-01 and 2100-01-01',
    ]);
  });

  it('accepts 2000-01-01T00:00:00Z itself', () => {
    messageOf(
      validatePayload('telemetry', JSON.stringify(telemetry({ ts: '2000-01-01T00:00:00.000Z' })), ctx),
    );
  });

  it.each([
    ['2025-02-30T00:00:00.000Z'],
    ['2025-02-29T00:00:00.000Z'],
    ['2025-04-31T12:00:00Z'],
    ['2025-11-31T12:00:00+01:00'],
    ['2025-13-01T00:00:00Z'],
    ['2025-12-32T00:00:00Z'],
    ['2025-01-01T24:30:00Z'],
  ])('refuses the non-existent date %s (and does not roll it over)', (ts) => {
    const reasons = refuse('telemetry', telemetry({ ts }), {
      ...ctx,
      now: Date.parse('2030-01-01T00:00:00Z'),
    });
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^ts: ".+" is not a real date$/);
  });

  it('accepts ts exactly 15 min in the future, refuses one more millisecond', () => {
    const at = (ms: number) => validatePayload('telemetry', JSON.stringify(telemetry({ ts: ms })), ctx);
    expect(messageOf(at(NOW + MAX_FUTURE_SKEW_MS)).ts).toBe(NOW + MAX_FUTURE_SKEW_MS);
    const reasons = reasonsOf(at(NOW + MAX_FUTURE_SKEW_MS + 1));
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^ts is 15 min in the future \(limit 15 min\)$/);
    expect(reasonsOf(at(NOW + 60 * 60_000))).toEqual(['ts is 60 min in the future (limit 15 min)']);
  });

  it('applies the future check to production messages too', () => {
    expect(refuse('production', productionMsg({ ts: NOW + 16 * 60_000 }))).toEqual([
      'ts is 16 min in the future (limit 15 min)',
    ]);
  });

  it('refuses a machine_id that differs from the topic, naming both', () => {
    const reasons = refuse('telemetry', telemetry({ machine_id: 'C_FL105' }));
    expect(reasons).toEqual(['machine_id "C_FL105" does not match the topic\'s machine id "C_FL104"']);
  });

  it('reports a topic mismatch and a future ts together', () => {
    const reasons = refuse('production', productionMsg({ machine_id: 'X', ts: NOW + 20 * 60_000 }));
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toContain('does not match the topic');
    expect(reasons[1]).toContain('20 min in the future');
  });

  it('refuses an empty sensor map', () => {
    expect(refuse('telemetry', telemetry({ sensors: {} }))).toEqual([
      'sensors: must hold at least one reading',
    ]);
  });

  it('refuses more than 64 sensors', () => {
    const sensors = Object.fromEntries(
      Array.from({ length: MAX_SENSORS_PER_MESSAGE + 1 }, (_, i) => [`s${i}`, i]),
    );
    expect(refuse('telemetry', telemetry({ sensors }))).toEqual(['sensors: holds 65 readings; at most 64']);
  });

  it('refuses a sensor map smuggling a "__proto__" key and nothing else', () => {
    const payload = JSON.stringify(telemetry({ sensors: {} })).replace(
      '"sensors":{}',
      '"sensors":{"__proto__":1}',
    );
    expect(reasonsOf(validatePayload('telemetry', payload, ctx))).toEqual([
      'sensors: must hold at least one reading',
    ]);
  });

  it('refuses produk_cacat > total_produksi', () => {
    expect(refuse('production', productionMsg({ produk_cacat: 4501 }))).toEqual([
      'produk_cacat: exceeds total_produksi',
    ]);
  });

  it('refuses run_minutes > planned_minutes', () => {
    expect(refuse('production', productionMsg({ run_minutes: 481 }))).toEqual([
      'run_minutes: exceeds planned_minutes',
    ]);
  });

  it.each([
    ['an unknown status', { status: 'Running ' }, 'status: '],
    ['a rate above 100 %', { quality_rate: 100.1 }, 'quality_rate: must be ≤ 100'],
    [
      'planned minutes over a day',
      { planned_minutes: 1441, run_minutes: 0 },
      'planned_minutes: must be ≤ 1440',
    ],
    ['a zero ideal rate', { ideal_rate_ppm: 0 }, 'ideal_rate_ppm: must be > 0'],
    ['fractional pieces', { total_produksi: 10.5 }, 'total_produksi: must be an integer'],
  ])('refuses a production message with %s', (_label, overrides, reason) => {
    const reasons = refuse('production', productionMsg(overrides));
    expect(
      reasons.some((r) => r.startsWith(reason)),
      reasons.join(' | '),
    ).toBe(true);
  });
});

describe('payload size limit (128 KB, counted in UTF-8 bytes)', () => {
  /** A valid telemetry payload padded with an extra (stripped) field to exactly `bytes` UTF-8 bytes. */
  function paddedPayload(bytes: number, unit: string): string {
    const base = JSON.stringify({ ...telemetry(), note: '' });
    const unitBytes = Buffer.byteLength(unit, 'utf8');
    const room = bytes - Buffer.byteLength(base, 'utf8');
    const units = Math.floor(room / unitBytes);
    const fill = 'x'.repeat(room - units * unitBytes);
    const payload = base.replace('"note":""', `"note":"${unit.repeat(units)}${fill}"`);
    expect(Buffer.byteLength(payload, 'utf8')).toBe(bytes);
    return payload;
  }

  it.each([
    ['ASCII', 'a'],
    ['2-byte é', 'é'],
    ['3-byte €', '€'],
    ['4-byte emoji', '😀'],
  ])('accepts exactly 128 KB and refuses 128 KB + 1 byte of %s', (_label, unit) => {
    messageOf(validatePayload('telemetry', paddedPayload(MAX_PAYLOAD_BYTES, unit), ctx));
    expect(reasonsOf(validatePayload('telemetry', paddedPayload(MAX_PAYLOAD_BYTES + 1, unit), ctx))).toEqual([
      `payload is ${MAX_PAYLOAD_BYTES + 1} bytes; the limit is ${MAX_PAYLOAD_BYTES}`,
    ]);
  });

  it('refuses a payload under 128 K characters but over 128 KB (multi-byte characters)', () => {
    const payload = paddedPayload(MAX_PAYLOAD_BYTES + 3, '€');
    expect(payload.length).toBeLessThan(MAX_PAYLOAD_BYTES / 2);
    expect(reasonsOf(validatePayload('telemetry', payload, ctx))[0]).toMatch(/bytes; the limit is 131072$/);
  });

  it('refuses an oversized payload before parsing it (invalid JSON reports the size)', () => {
    const payload = `{${'x'.repeat(MAX_PAYLOAD_BYTES)}`;
    expect(reasonsOf(validatePayload('telemetry', payload, ctx))).toEqual([
      `payload is ${MAX_PAYLOAD_BYTES + 1} bytes; the limit is ${MAX_PAYLOAD_BYTES}`,
    ]);
  });

  it.each([
    ['', 0],
    ['abc', 3],
    ['é', 2],
    ['€', 3],
    ['😀', 4],
    ['\ud83d', 3],
    ['\ude00', 3],
    ['\ude00\ud83d', 6],
    ['a\ud83dz', 5],
  ])('utf8ByteLength(%j) = %i', (text, bytes) => {
    expect(utf8ByteLength(text)).toBe(bytes);
  });
});
