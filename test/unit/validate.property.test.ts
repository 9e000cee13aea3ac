/**
 * The validator never throws, whatever it is given, and always answers in one of its two shapes:
 * a message, or a non-empty list of non-empty reasons. Properties over arbitrary values, arbitrary text
 * and near-valid messages with mutated fields (the inputs a broken device actually sends).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MESSAGE_KINDS, type MessageKind } from '../../lambdas/core/messages.js';
import { utf8ByteLength, validatePayload, validateValue } from '../../lambdas/core/validate.js';

const NOW = Date.parse('2025-10-23T10:30:00.000Z');
const kindArb = fc.constantFrom<MessageKind>(...MESSAGE_KINDS);
const ctxArb = fc.record(
  {
    now: fc.oneof(fc.constant(NOW), fc.integer({ min: 0, max: 4_200_000_000_000 })),
    topicMachineId: fc.oneof(fc.constant('C_FL104'), fc.string({ maxLength: 300 }), fc.constant(undefined)),
  },
  { requiredKeys: ['now'] },
);

/** Asserts the validator's contract on one answer. */
function expectWellFormed(result: unknown): void {
  expect(result).toBeTypeOf('object');
  const r = result as { ok: unknown; message?: unknown; reasons?: unknown };
  if (r.ok === true) {
    expect(Object.keys(r).sort()).toEqual(['message', 'ok']);
    expect(r.message).toBeTypeOf('object');
    expect(r.message).not.toBeNull();
  } else {
    expect(r.ok).toBe(false);
    expect(Object.keys(r).sort()).toEqual(['ok', 'reasons']);
    expect(Array.isArray(r.reasons)).toBe(true);
    const reasons = r.reasons as unknown[];
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) {
      expect(reason).toBeTypeOf('string');
      expect((reason as string).length).toBeGreaterThan(0);
    }
  }
}

const anythingArb = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
});

const sensorNameArb = fc.oneof(
  fc.constantFrom(
    'temperature_coil',
    'vibration_rotor',
    'current',
    'voltage',
    'pressure',
    'temperature_env',
    'humidity_env',
    'oil_temp',
    '__proto__',
    'constructor',
    '',
    'bad-name',
  ),
  fc.string({ maxLength: 70 }),
);

const numberishArb = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, -1, 100, 140, 1e12, 1_761_215_400_000, Number.MAX_SAFE_INTEGER, 2 ** 53),
);

/** A value that may be right, nearly right or badly wrong for any field. */
const fieldValueArb = fc.oneof(
  { weight: 3, arbitrary: numberishArb },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '2025-10-23T10:30:00.000Z',
      '2025-10-23T10:30:00',
      '2025-02-30T00:00:00.000Z',
      '2025-10-23T10:30:00+05:30',
      'Running',
      'Downtime',
      'C_FL104',
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const telemetryShapeArb = fc.record({
  machine_id: fc.oneof(fc.constant('C_FL104'), fieldValueArb),
  ts: fc.oneof(fc.constant('2025-10-23T10:30:00.000Z'), fc.constant(NOW), fieldValueArb),
  seq: fc.oneof(fc.nat(), fieldValueArb),
  sensors: fc.oneof(
    fc.dictionary(sensorNameArb, fc.oneof(numberishArb, fieldValueArb), { maxKeys: 70 }),
    fieldValueArb,
  ),
});

const productionShapeArb = fc.record({
  machine_id: fc.oneof(fc.constant('C_FL104'), fieldValueArb),
  ts: fc.oneof(fc.constant(NOW), fieldValueArb),
  seq: fc.oneof(fc.nat(), fieldValueArb),
  status: fc.oneof(fc.constantFrom('Running', 'Downtime', 'Setup', 'Idle'), fieldValueArb),
  total_produksi: fc.oneof(fc.nat({ max: 10_000 }), fieldValueArb),
  produk_cacat: fc.oneof(fc.nat({ max: 10_000 }), fieldValueArb),
  planned_minutes: fc.oneof(fc.nat({ max: 1500 }), fieldValueArb),
  run_minutes: fc.oneof(fc.nat({ max: 1500 }), fieldValueArb),
  ideal_rate_ppm: fc.oneof(fc.constant(12.5), fieldValueArb),
  availability_rate: fc.oneof(fc.double({ min: -1, max: 101, noNaN: true }), fieldValueArb),
  downtime_reason: fc.oneof(fc.constant(null), fieldValueArb),
});

/** A near-valid message with fields deleted, added or replaced, as JSON text (sometimes truncated). */
const mutatedPayloadArb = fc
  .tuple(
    fc.oneof(telemetryShapeArb, productionShapeArb) as fc.Arbitrary<Record<string, unknown>>,
    fc.subarray(['machine_id', 'ts', 'seq', 'sensors', 'status', 'total_produksi', 'run_minutes']),
    fc.dictionary(fc.string({ maxLength: 12 }), fieldValueArb, { maxKeys: 3 }),
    fc.option(fc.nat(), { nil: undefined }),
  )
  .map(([base, deleted, extra, cut]) => {
    const object: Record<string, unknown> = { ...base };
    for (const key of deleted) delete object[key];
    Object.assign(object, extra);
    const text = JSON.stringify(object);
    return cut === undefined ? text : text.slice(0, cut % (text.length + 1));
  });

describe('the validator never throws', () => {
  it('validateValue over fc.anything() for both kinds', () => {
    fc.assert(
      fc.property(kindArb, anythingArb, ctxArb, (kind, value, ctx) => {
        expectWellFormed(validateValue(kind, value, ctx));
      }),
      { numRuns: 2000 },
    );
  });

  it('validatePayload over fc.anything() (non-text payloads included)', () => {
    fc.assert(
      fc.property(kindArb, anythingArb, ctxArb, (kind, value, ctx) => {
        expectWellFormed(validatePayload(kind, value, ctx));
      }),
      { numRuns: 1000 },
    );
  });

  it('validatePayload over JSON text of fc.jsonValue()', () => {
    fc.assert(
      fc.property(kindArb, fc.jsonValue(), ctxArb, (kind, value, ctx) => {
        expectWellFormed(validatePayload(kind, JSON.stringify(value), ctx));
        expectWellFormed(validateValue(kind, value, ctx));
      }),
      { numRuns: 1000 },
    );
  });

  it('validatePayload over arbitrary strings (UTF-16 units, full Unicode, JSON-ish)', () => {
    const lone = fc
      .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 64 })
      .map((codes) => String.fromCharCode(...codes));
    fc.assert(
      fc.property(
        kindArb,
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.string({ unit: 'grapheme' }),
          lone,
          fc.json(),
        ),
        ctxArb,
        (kind, text, ctx) => {
          expectWellFormed(validatePayload(kind, text, ctx));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('validatePayload over near-valid telemetry and production text with mutated fields', () => {
    fc.assert(
      fc.property(kindArb, mutatedPayloadArb, ctxArb, (kind, text, ctx) => {
        expectWellFormed(validatePayload(kind, text, ctx));
      }),
      { numRuns: 2000 },
    );
  });

  it('accepted messages satisfy the checks the schema cannot see (topic, future skew)', () => {
    fc.assert(
      fc.property(kindArb, mutatedPayloadArb, ctxArb, (kind, text, ctx) => {
        const result = validatePayload(kind, text, ctx);
        if (!result.ok) return;
        if (ctx.topicMachineId !== undefined) expect(result.message.machine_id).toBe(ctx.topicMachineId);
        expect(result.message.ts).toBeLessThanOrEqual(ctx.now + 15 * 60_000);
        expect(Number.isInteger(result.message.ts)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('utf8ByteLength', () => {
  it('equals the byte length of the UTF-8 encoding for any UTF-16 string, lone surrogates included', () => {
    const units = fc
      .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 100 })
      .map((codes) => String.fromCharCode(...codes));
    fc.assert(
      fc.property(fc.oneof(units, fc.string({ unit: 'binary' })), (text) => {
        expect(utf8ByteLength(text)).toBe(Buffer.byteLength(text, 'utf8'));
      }),
      { numRuns: 2000 },
    );
  });
});
