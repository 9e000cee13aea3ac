/**
 * The telemetry fast path is sound: whatever it accepts, the zod schema (the authority) accepts too,
 * with a deep-equal message. Generated inputs sit on the edges the fast path re-implements: machine-id
 * pattern, ISO timestamps including impossible dates, epoch bounds, seq limits, sensor maps with known,
 * unknown, invalid and prototype-named keys and out-of-range readings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isStorable,
  MAX_MAGNITUDE,
  MAX_SENSORS_PER_MESSAGE,
  MAX_TIMESTAMP_MS,
  MIN_MAGNITUDE,
  MIN_TIMESTAMP_MS,
  telemetrySchema,
} from '../../lambdas/core/messages.js';
import { SENSOR_NAMES, SENSORS, type SensorName } from '../../lambdas/core/sensors.js';
import { acceptTelemetry } from '../../lambdas/core/telemetry-fast-path.js';
import { validatePayload } from '../../lambdas/core/validate.js';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

const machineIdArb = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('C_FL104', 'M-1', 'plant:line_2', 'x') },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9:_-]{1,130}$/) },
  { weight: 1, arbitrary: fc.constantFrom('', 'C FL104', 'C/FL104', 'é', 'a'.repeat(128), 'a'.repeat(129)) },
  { weight: 1, arbitrary: fc.oneof(fc.string(), fc.integer(), fc.constant(null)) },
);

/** ISO strings from calendar fields that may not exist (Feb 30, Apr 31, hour 24, second 60, …). */
const fieldIsoArb = fc
  .record({
    year: fc.oneof(fc.integer({ min: 1999, max: 2101 }), fc.constantFrom(2024, 2025, 2000, 2100)),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.oneof(fc.integer({ min: 0, max: 32 }), fc.constantFrom(28, 29, 30, 31)),
    hour: fc.integer({ min: 0, max: 24 }),
    minute: fc.integer({ min: 0, max: 60 }),
    second: fc.integer({ min: 0, max: 60 }),
    millis: fc.integer({ min: 0, max: 999 }),
    zone: fc.constantFrom('Z', 'Z', 'Z', '+00:00', '+05:30', '-0800', ''),
    fraction: fc.constantFrom(3, 3, 3, 0, 1, 6, 9),
  })
  .map(({ year, month, day, hour, minute, second, millis, zone, fraction }) => {
    const frac = fraction === 0 ? '' : `.${pad(millis, 3).padEnd(fraction, '0').slice(0, fraction)}`;
    return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${frac}${zone}`;
  });

const tsArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .date({ min: new Date(MIN_TIMESTAMP_MS - 86_400_000), max: new Date(MAX_TIMESTAMP_MS + 86_400_000) })
      .filter((d) => !Number.isNaN(d.getTime()))
      .map((d) => d.toISOString()),
  },
  { weight: 3, arbitrary: fieldIsoArb },
  { weight: 3, arbitrary: fc.integer({ min: MIN_TIMESTAMP_MS - 1000, max: MAX_TIMESTAMP_MS + 1000 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      MIN_TIMESTAMP_MS,
      MIN_TIMESTAMP_MS - 1,
      MAX_TIMESTAMP_MS,
      MAX_TIMESTAMP_MS + 1,
      MIN_TIMESTAMP_MS / 1000,
      1_761_215_400,
      0,
      -0,
      1_761_215_400_000.5,
      '2025-10-23T10:30:00',
      '',
    ),
  },
);

const seqArb = fc.oneof(
  { weight: 10, arbitrary: fc.nat() },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      0,
      -0,
      -1,
      1.5,
      Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER + 1,
      2 ** 53 + 2,
      1e21,
      '7',
      null,
    ),
  },
  { weight: 1, arbitrary: fc.double() },
);

const sensorNameArb = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom(...SENSOR_NAMES) },
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9_]{1,64}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      '',
      'oil-temp',
      'a'.repeat(65),
      'ü',
    ),
  },
);

/** The spec of a known sensor; own keys only ("constructor" is not a sensor). */
const specOf = (name: string) => (Object.hasOwn(SENSORS, name) ? SENSORS[name as SensorName] : undefined);

const readingArb = (name: string) => {
  const spec = specOf(name);
  // Generated doubles are mostly of tiny or huge magnitude; the stores' limits are edges of their own.
  const inRange = (
    spec ? fc.double({ min: spec.min, max: spec.max, noNaN: true }) : fc.double({ noNaN: true })
  ).filter(isStorable);
  const magnitudes = [MIN_MAGNITUDE, MAX_MAGNITUDE, -MIN_MAGNITUDE, 1e-131, 1e126, 5e-324];
  const edges = spec
    ? fc.constantFrom(spec.min, spec.max, spec.min - 1e-9, spec.max + 1e-9, -0, ...magnitudes)
    : fc.constantFrom(0, -0, 1e308, ...magnitudes);
  return fc.oneof(
    { weight: 30, arbitrary: inRange },
    { weight: 3, arbitrary: edges },
    { weight: 1, arbitrary: fc.oneof(fc.double(), fc.constant('41.2'), fc.constant(null)) },
  );
};

const sensorEntriesArb: fc.Arbitrary<readonly (readonly [string, unknown])[]> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.array(
      sensorNameArb.chain((name) => readingArb(name).map((v) => [name, v] as const)),
      { maxLength: 10 },
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: MAX_SENSORS_PER_MESSAGE - 1, max: MAX_SENSORS_PER_MESSAGE + 1 })
      .map((n) => Array.from({ length: n }, (_, i) => [`s${i}`, i] as const)),
  },
);

/**
 * JSON text, written by hand so a "__proto__" key becomes an own property after JSON.parse exactly as it
 * would from a device; sometimes with extra fields, sometimes with non-object sensors.
 */
const telemetryTextArb = fc
  .record({
    machine_id: machineIdArb,
    ts: tsArb,
    seq: seqArb,
    sensors: sensorEntriesArb,
    sensorsShape: fc.constantFrom('object', 'object', 'object', 'object', 'array', 'null'),
    extra: fc.constantFrom('', '', '', ',"fw":"1.2"', ',"__proto__":{"x":1}', ',"sensors_extra":1'),
  })
  .map(({ machine_id, ts, seq, sensors, sensorsShape, extra }) => {
    // JSON.stringify writes -0 as 0; keep negative zero where it was generated.
    const num = (x: unknown) => (Object.is(x, -0) ? '-0' : JSON.stringify(x));
    const sensorText =
      sensorsShape === 'array'
        ? '[1,2]'
        : sensorsShape === 'null'
          ? 'null'
          : `{${sensors.map(([k, v]) => `${JSON.stringify(k)}:${num(v)}`).join(',')}}`;
    return `{"machine_id":${JSON.stringify(machine_id)},"ts":${num(ts)},"seq":${num(seq)},"sensors":${sensorText}${extra}}`;
  });

describe('acceptTelemetry is sound with respect to the zod schema', () => {
  it('whatever it accepts (owned or copied), zod accepts with a deep-equal message', () => {
    let acceptedRuns = 0;
    let runs = 0;
    fc.assert(
      fc.property(telemetryTextArb, (text) => {
        runs++;
        const zod = telemetrySchema.safeParse(JSON.parse(text));
        for (const owned of [false, true]) {
          const fast = acceptTelemetry(JSON.parse(text), owned);
          if (fast === undefined) continue;
          if (!owned) acceptedRuns++;
          expect(zod.success, `zod refused what the fast path accepted: ${text}`).toBe(true);
          expect(fast).toStrictEqual(zod.data);
        }
      }),
      { numRuns: 3000 },
    );
    // The property must not hold vacuously: a fair share of the inputs takes the fast path.
    expect(acceptedRuns).toBeGreaterThan(runs * 0.1);
  });

  it.each([
    ['a "__proto__" sensor alone', '{"__proto__":1}'],
    ['a "__proto__" sensor beside a real one', '{"__proto__":1,"current":5}'],
  ])('defers %s to zod', (_label, sensors) => {
    const text = `{"machine_id":"C_FL104","ts":"2025-10-23T10:30:00.000Z","seq":1,"sensors":${sensors}}`;
    expect(acceptTelemetry(JSON.parse(text), true)).toBeUndefined();
  });

  it.each([
    ['2025-02-29T00:00:00.000Z'],
    ['2025-02-30T00:00:00.000Z'],
    ['2025-04-31T00:00:00.000Z'],
    ['2025-01-01T24:00:00.000Z'],
    ['2025-01-01T23:59:60.000Z'],
    ['2025-10-23T10:30:00.000+00:00'],
    ['2025-10-23T10:30:00Z'],
  ])('does not accept the non-canonical or impossible timestamp %s itself', (ts) => {
    expect(acceptTelemetry({ machine_id: 'C_FL104', ts, seq: 1, sensors: { current: 1 } })).toBeUndefined();
  });

  it('accepts the canonical message and reuses an owned object with exactly the four fields', () => {
    const value = JSON.parse(
      '{"machine_id":"C_FL104","ts":"2024-02-29T23:59:59.999Z","seq":0,"sensors":{"current":41.2}}',
    );
    const message = acceptTelemetry(value, true);
    expect(message).toBe(value);
    expect(message).toEqual({
      machine_id: 'C_FL104',
      ts: Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      seq: 0,
      sensors: { current: 41.2 },
    });
  });

  it('copies (strips extra fields) when the object is not owned or has more fields', () => {
    const value = { machine_id: 'C_FL104', ts: 1_761_215_400_000, seq: 3, sensors: { current: 1 }, fw: '1' };
    const message = acceptTelemetry(value, true);
    expect(message).not.toBe(value);
    expect(message).toEqual({
      machine_id: 'C_FL104',
      ts: 1_761_215_400_000,
      seq: 3,
      sensors: { current: 1 },
    });
    expect(value.fw).toBe('1');
    const unowned = {
      machine_id: 'C_FL104',
      ts: '2025-10-23T10:30:00.000Z',
      seq: 3,
      sensors: { current: 1 },
    };
    acceptTelemetry(unowned, false);
    expect(unowned.ts).toBe('2025-10-23T10:30:00.000Z');
  });
});

describe('validatePayload agrees with zod on valid messages', () => {
  const validArb = fc.record({
    machine_id: fc.stringMatching(/^[A-Za-z0-9:_-]{1,128}$/),
    ts: fc.oneof(
      fc.integer({ min: MIN_TIMESTAMP_MS, max: MAX_TIMESTAMP_MS }),
      fc.integer({ min: MIN_TIMESTAMP_MS, max: MAX_TIMESTAMP_MS }).map((ms) => new Date(ms).toISOString()),
    ),
    seq: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
    sensors: fc
      .uniqueArray(fc.oneof(fc.constantFrom(...SENSOR_NAMES), fc.stringMatching(/^[A-Za-z0-9_]{1,64}$/)), {
        minLength: 1,
        maxLength: MAX_SENSORS_PER_MESSAGE,
      })
      .filter((names) => !names.includes('__proto__'))
      .chain((names) =>
        fc
          .tuple(
            ...names.map((name) =>
              readingArb(name).filter((v) => typeof v === 'number' && Number.isFinite(v) && isStorable(v)),
            ),
          )
          .map((values) => {
            const sensors: Record<string, number> = {};
            names.forEach((name, i) => {
              const spec = specOf(name);
              const v = values[i] as number;
              sensors[name] = spec ? Math.min(spec.max, Math.max(spec.min, v)) : v;
            });
            return sensors;
          }),
      ),
  });

  it('returns the same message as telemetrySchema for generated valid telemetry', () => {
    fc.assert(
      fc.property(validArb, (message) => {
        const text = JSON.stringify(message);
        const zod = telemetrySchema.safeParse(JSON.parse(text));
        expect(zod.success).toBe(true);
        const result = validatePayload('telemetry', text, { now: MAX_TIMESTAMP_MS });
        expect(result.ok).toBe(true);
        if (result.ok) expect(result.message).toStrictEqual(zod.data);
      }),
      { numRuns: 1000 },
    );
  });
});
