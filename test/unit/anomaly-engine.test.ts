/**
 * The detector's mechanics, independent of any one rule: debounce, escalation, hysteresis and clearing,
 * the events it emits, its state as a plain JSON value carried between runs, and order safety
 * (shuffled, repeated and re-run batches). Uses the default Flexo 104 rules throughout.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../lambdas/core/anomaly/alarm.js';
import { createDetector, type DetectorState } from '../../lambdas/core/anomaly/engine.js';
import type { RuleSpec } from '../../lambdas/core/anomaly/rules.js';
import type { ProductionMessage, TelemetryMessage } from '../../lambdas/core/messages.js';
import { createRandom } from '../../lambdas/core/random.js';
import {
  DEFAULT_RULES,
  flexoDetector,
  iso,
  MACHINE,
  noisySensors,
  production,
  reading,
  series,
  shuffled,
  T0,
  telemetryAt,
} from './support/fixtures.js';

const coil = (values: readonly number[], from = 0) => series('temperature_coil', values, from);
const tsOf = (i: number) => T0 + i * 5_000;
const summary = (events: readonly AlarmEvent[]) =>
  events.map((e) => `${e.type}:${e.alarm.rule_id}:${e.alarm.severity}`);
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Runs one fresh detector over a coil-temperature sequence and returns the events. */
const coilEvents = (values: readonly number[]) =>
  flexoDetector().run(undefined, { telemetry: coil(values) }).events;

describe('debounce', () => {
  it.each([
    [[105], []],
    [[105, 105], []],
    [[105, 105, 105], ['raised:coil_temp_high:warning']],
    // a reading back inside the clear margin restarts the count
    [[105, 105, 96, 105, 105], []],
    // so does a reading between the margin and the limit
    [[105, 105, 98, 105, 105], []],
    [[105, 105, 98, 105, 105, 105], ['raised:coil_temp_high:warning']],
  ])('%j → %j', (values, expected) => {
    expect(summary(coilEvents(values))).toEqual(expected);
  });

  it('counts consecutive violations across warning and critical levels', () => {
    expect(summary(coilEvents([105, 125, 105]))).toEqual(['raised:coil_temp_high:warning']);
  });

  it('records first_seen at the first reading of the run that raised', () => {
    const [raised] = coilEvents([105, 105, 96, 106, 107, 108]);
    expect(raised?.alarm.first_seen).toBe(iso(tsOf(3)));
    expect(raised?.alarm.raised_at).toBe(iso(tsOf(5)));
    expect(raised?.alarm.alarm_id).toBe(`${MACHINE}.coil_temp_high.${tsOf(3)}`);
  });

  it('uses the detector default for rules without their own debounce', () => {
    const detector = createDetector(MACHINE, DEFAULT_RULES, { debounce: 5 });
    const run = (n: number) =>
      detector.run(undefined, { telemetry: coil(Array.from({ length: n }, () => 105)) }).events;
    expect(run(4)).toEqual([]);
    expect(summary(run(5))).toEqual(['raised:coil_temp_high:warning']);
  });

  it('uses a rule-specific debounce over the default', () => {
    const rules = DEFAULT_RULES.map((r) => (r.id === 'coil_temp_high' ? { ...r, debounce: 2 } : r));
    const detector = createDetector(MACHINE, rules, { debounce: 3 });
    expect(detector.run(undefined, { telemetry: coil([105]) }).events).toEqual([]);
    const events = detector.run(undefined, { telemetry: coil([105, 105]) }).events;
    expect(summary(events)).toEqual(['raised:coil_temp_high:warning']);
    // and clears after 2 readings back inside the margin
    const cleared = detector.run(undefined, { telemetry: coil([105, 105, 90, 90]) }).events;
    expect(summary(cleared)).toEqual(['raised:coil_temp_high:warning', 'cleared:coil_temp_high:warning']);
  });

  it('carries the count across runs: 2 readings in run 1 and 1 in run 2 raise', () => {
    const detector = flexoDetector();
    const first = detector.run(undefined, { telemetry: coil([105, 105]) });
    expect(first.events).toEqual([]);
    expect(first.processed).toBe(2);
    const second = detector.run(clone(first.state), { telemetry: coil([105], 2) });
    expect(summary(second.events)).toEqual(['raised:coil_temp_high:warning']);
    expect(second.events[0]?.alarm.first_seen).toBe(iso(tsOf(0)));
    expect(second.events[0]?.alarm.alarm_id).toBe(`${MACHINE}.coil_temp_high.${T0}`);
  });
});

describe('escalation', () => {
  it('raises critical directly when the critical condition held for the debounce', () => {
    const [raised] = coilEvents([125, 125, 125]);
    expect(raised?.type).toBe('raised');
    expect(raised?.alarm.severity).toBe('critical');
    expect(raised?.alarm.threshold).toBe(120);
    expect(raised?.alarm.message).toBe('Coil temperature 125 °C ≥ critical limit 120 °C');
  });

  it('escalates a warning alarm after 3 consecutive critical readings, keeping its id', () => {
    const events = coilEvents([105, 105, 105, 125, 125]);
    expect(summary(events)).toEqual(['raised:coil_temp_high:warning', 'updated:coil_temp_high:warning']);
    const escalatedRun = coilEvents([105, 105, 105, 125, 125, 126]);
    expect(summary(escalatedRun)).toEqual([
      'raised:coil_temp_high:warning',
      'escalated:coil_temp_high:critical',
      'updated:coil_temp_high:critical',
    ]);
    const escalated = escalatedRun[1]?.alarm;
    expect(escalated?.alarm_id).toBe(escalatedRun[0]?.alarm.alarm_id);
    expect(escalated?.threshold).toBe(120);
    expect(escalated?.value).toBe(126);
    expect(escalated?.last_seen).toBe(iso(tsOf(5)));
    expect(escalated?.raised_at).toBe(iso(tsOf(2)));
  });

  it('an interrupted critical run does not escalate', () => {
    expect(summary(coilEvents([105, 105, 105, 125, 125, 110, 125, 125]))).toEqual([
      'raised:coil_temp_high:warning',
      'updated:coil_temp_high:warning',
    ]);
  });

  it('a critical alarm stays critical while readings fall back to warning level', () => {
    const events = coilEvents([125, 125, 125, 105, 105, 105]);
    expect(summary(events)).toEqual(['raised:coil_temp_high:critical', 'updated:coil_temp_high:critical']);
    expect(events[1]?.alarm.value).toBe(105);
    expect(events[1]?.alarm.worst_value).toBe(125);
    // The wording stays true: the worst value earned "critical", the latest is shown beside it.
    expect(events[1]?.alarm.message).toBe('Coil temperature 125 °C ≥ critical limit 120 °C (latest 105 °C)');
  });

  it('escalates a voltage alarm from the ±5 % to the ±10 % band', () => {
    const events = flexoDetector().run(undefined, {
      telemetry: series('voltage', [425, 425, 425, 445, 445, 445]),
    }).events;
    expect(summary(events)).toEqual([
      'raised:voltage_deviation:warning',
      'escalated:voltage_deviation:critical',
      'updated:voltage_deviation:critical',
    ]);
    expect(events[0]?.alarm.threshold).toBe(420);
    expect(events[1]?.alarm.threshold).toBe(440);
  });
});

describe('hysteresis and clearing (coil: limit 100, margin 3 → clears at ≤ 97)', () => {
  /** Raises a warning in run 1 and returns the saved state. */
  const active = () => {
    const detector = flexoDetector();
    const { state, events } = detector.run(undefined, { telemetry: coil([105, 105, 105]) });
    expect(summary(events)).toEqual(['raised:coil_temp_high:warning']);
    return { detector, state };
  };

  it.each<[string, number[], number | null]>([
    ['3 readings at the margin clear', [97, 97, 97], 2],
    ['2 readings at the margin do not', [97, 97], null],
    ['well below clears alike', [50, 50, 50], 2],
    ['just above the margin holds', [97.01, 97.01, 97.01, 97.01], null],
    ['just below the limit holds', [99.99, 99.99, 99.99], null],
    ['a held reading resets the clear count', [97, 97, 98, 97, 97], null],
    ['… and the count starts again after it', [97, 97, 98, 97, 97, 97], 5],
    ['a violation resets the clear count', [97, 97, 101, 97, 97], null],
  ])('%s: %j', (_label, values, clearedAt) => {
    const { detector, state } = active();
    const { events } = detector.run(state, { telemetry: coil(values, 3) });
    const cleared = events.filter((e) => e.type === 'cleared');
    if (clearedAt === null) {
      expect(cleared).toEqual([]);
      expect(state.rules.coil_temp_high?.active).not.toBeNull();
    } else {
      expect(cleared).toHaveLength(1);
      expect(cleared[0]?.alarm.cleared_at).toBe(iso(tsOf(3 + clearedAt)));
      expect(state.rules.coil_temp_high?.active).toBeNull();
    }
  });

  it('a held alarm is not "updated" (only violating readings touch it)', () => {
    const { detector, state } = active();
    expect(detector.run(state, { telemetry: coil([98, 99, 98], 3) }).events).toEqual([]);
  });

  it('after clearing, a new violation raises a new alarm with a new id', () => {
    const events = coilEvents([105, 105, 105, 90, 90, 90, 106, 106, 106]);
    expect(summary(events)).toEqual([
      'raised:coil_temp_high:warning',
      'cleared:coil_temp_high:warning',
      'raised:coil_temp_high:warning',
    ]);
    expect(events[0]?.alarm.alarm_id).toBe(`${MACHINE}.coil_temp_high.${tsOf(0)}`);
    expect(events[2]?.alarm.alarm_id).toBe(`${MACHINE}.coil_temp_high.${tsOf(6)}`);
  });
});

describe('events', () => {
  it('a raise then more violations: raised (at the 3rd reading) then one updated with the latest facts', () => {
    const events = coilEvents([105, 106, 107, 110, 108]);
    expect(events).toEqual([
      {
        type: 'raised',
        alarm: {
          alarm_id: `C_FL104.coil_temp_high.${T0}`,
          machine_id: 'C_FL104',
          rule_id: 'coil_temp_high',
          category: 'thermal',
          sensor: 'temperature_coil',
          component: 'Main Drive Motor',
          severity: 'warning',
          value: 107,
          worst_value: 107,
          threshold: 100,
          unit: '°C',
          message: 'Coil temperature 107 °C ≥ warning limit 100 °C',
          first_seen: '2025-10-23T06:00:00.000Z',
          last_seen: '2025-10-23T06:00:10.000Z',
          raised_at: '2025-10-23T06:00:10.000Z',
          cleared_at: null,
        },
      },
      {
        type: 'updated',
        alarm: expect.objectContaining({
          alarm_id: `C_FL104.coil_temp_high.${T0}`,
          value: 108,
          worst_value: 110,
          last_seen: '2025-10-23T06:00:20.000Z',
          raised_at: '2025-10-23T06:00:10.000Z',
          message: 'Coil temperature 110 °C ≥ warning limit 100 °C (latest 108 °C)',
          cleared_at: null,
        }),
      },
    ]);
  });

  it('a whole lifecycle in one run: raised, escalated, cleared — no updated for a cleared alarm', () => {
    const events = coilEvents([105, 105, 105, 125, 125, 125, 90, 90, 90]);
    expect(summary(events)).toEqual([
      'raised:coil_temp_high:warning',
      'escalated:coil_temp_high:critical',
      'cleared:coil_temp_high:critical',
    ]);
    const cleared = events[2]?.alarm;
    expect(cleared?.cleared_at).toBe(iso(tsOf(8)));
    expect(cleared?.last_seen).toBe(iso(tsOf(5)));
    expect(cleared?.worst_value).toBe(125);
    expect(cleared?.first_seen).toBe(iso(tsOf(0)));
  });

  it('at most one updated per alarm per run, after that alarm’s other events', () => {
    const n = 40;
    const telemetry = Array.from({ length: n }, (_, i) =>
      reading(i, { temperature_coil: 105 + (i % 3), voltage: i >= 5 ? 430 : 398 }),
    );
    const events = flexoDetector().run(undefined, { telemetry }).events;
    expect(summary(events)).toEqual([
      'raised:coil_temp_high:warning',
      'raised:voltage_deviation:warning',
      'updated:coil_temp_high:warning',
      'updated:voltage_deviation:warning',
    ]);
    expect(events[2]?.alarm.last_seen).toBe(iso(tsOf(n - 1)));
  });

  it('times are ISO-8601 UTC strings and every alarm message names its sensor and limit', () => {
    const telemetry = Array.from({ length: 70 }, (_, i) =>
      reading(i, { temperature_coil: 130, vibration_rotor: 5, current: 70, voltage: 350, humidity_env: 95 }),
    );
    const events = flexoDetector().run(undefined, { telemetry }).events;
    expect(events.length).toBeGreaterThan(5);
    const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
    for (const { alarm } of events) {
      for (const t of [alarm.first_seen, alarm.last_seen, alarm.raised_at]) expect(t).toMatch(isoPattern);
      expect(alarm.machine_id).toBe(MACHINE);
      expect(alarm.alarm_id).toBe(`${MACHINE}.${alarm.rule_id}.${Date.parse(alarm.first_seen)}`);
      if (alarm.category !== 'sensor') expect(alarm.message).toContain(String(alarm.threshold));
    }
  });

  it('returns a fresh empty events array when nothing happens', () => {
    const a = flexoDetector().run(undefined, { telemetry: [reading(0)] });
    const b = flexoDetector().run(undefined, { telemetry: [reading(0)] });
    expect(a.events).toEqual([]);
    a.events.push({} as AlarmEvent);
    expect(b.events).toEqual([]);
  });
});

/** A long, eventful batch: every kind of rule memory (rate window, σ ring, stuck, missing, status). */
function eventfulBatch(from: number, n: number): TelemetryMessage[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const sensors = noisySensors(i);
    const phase = Math.floor(i / 25) % 4;
    if (phase === 1) sensors.temperature_coil = 80 + (i % 25) * 1.5;
    if (phase === 2) sensors.pressure = i % 2 === 0 ? 575_000 : 625_000;
    if (phase === 3) sensors.vibration_rotor = 3;
    if (i % 50 > 35) delete sensors.current;
    if (i % 40 < 4) sensors.current = 5;
    return telemetryAt(T0 + i * 5_000, i, sensors);
  });
}

const statuses = (from: number, n: number): ProductionMessage[] =>
  Array.from({ length: Math.ceil(n / 30) }, (_, k) =>
    production({
      ts: T0 + (from + k * 30) * 5_000,
      seq: from + k,
      status: k % 3 === 2 ? 'Idle' : 'Running',
    }),
  );

describe('state', () => {
  it('is JSON-serialisable: continuing from a JSON copy gives the same events and state', () => {
    const detector = flexoDetector();
    const first = detector.run(undefined, { telemetry: eventfulBatch(0, 180), production: statuses(0, 180) });
    expect(first.events.length).toBeGreaterThan(0);
    const saved = JSON.stringify(first.state);
    const restored = JSON.parse(saved) as DetectorState;
    expect(restored).toStrictEqual(first.state);

    const next = { telemetry: eventfulBatch(180, 220), production: statuses(180, 220) };
    const live = detector.run(first.state, next);
    // a new detector instance, as in a new Lambda container
    const fromJson = flexoDetector().run(restored, next);
    expect(fromJson.events).toEqual(live.events);
    expect(JSON.stringify(fromJson.state)).toBe(JSON.stringify(live.state));
    expect(live.events.length).toBeGreaterThan(0);
  });

  it('returns the state object it was given (updated), and a new one when none was', () => {
    const detector = flexoDetector();
    const { state } = detector.run(undefined, { telemetry: [reading(0)] });
    expect(state.machine_id).toBe(MACHINE);
    expect(detector.run(state, { telemetry: [reading(1)] }).state).toBe(state);
    expect(state.watermark_ts).toBe(tsOf(1));
    expect(state.watermark_seq).toBe(1);
  });
});

describe('order safety', () => {
  it('re-running the same batch on the saved state yields no events and processes nothing', () => {
    const detector = flexoDetector();
    const batch = { telemetry: eventfulBatch(0, 120), production: statuses(0, 120) };
    const first = detector.run(undefined, batch);
    expect(first.processed).toBe(120);
    const before = JSON.stringify(first.state);
    const again = detector.run(first.state, batch);
    expect(again.events).toEqual([]);
    expect(again.processed).toBe(0);
    expect(again.skipped).toBe(120);
    expect(JSON.stringify(again.state)).toBe(before);
  });

  it('skips readings at or before the watermark (late arrivals)', () => {
    const detector = flexoDetector();
    const { state } = detector.run(undefined, { telemetry: coil([105, 105], 10) });
    const late = detector.run(state, {
      telemetry: [...coil([105], 5), ...coil([105], 11), ...coil([105], 12)],
    });
    expect(late.processed).toBe(1);
    expect(late.skipped).toBe(2);
    expect(summary(late.events)).toEqual(['raised:coil_temp_high:warning']);
  });

  it('a reading with the same ts but a higher seq is new', () => {
    const detector = flexoDetector();
    const batch = [105, 105, 105].map((v, seq) => telemetryAt(T0, seq, { temperature_coil: v }));
    const { events, processed } = detector.run(undefined, { telemetry: batch });
    expect(processed).toBe(3);
    expect(summary(events)).toEqual(['raised:coil_temp_high:warning']);
  });

  const valueArb = fc.constantFrom(50, 72, 97, 98, 100, 105, 119, 120, 125);
  const batchArb = fc.array(
    fc.record({ coil: valueArb, volts: fc.constantFrom(398, 379, 421, 445), drop: fc.boolean() }),
    { minLength: 1, maxLength: 60 },
  );
  const toTelemetry = (rows: { coil: number; volts: number; drop: boolean }[]) =>
    rows.map((r, i) => {
      const sensors = { ...noisySensors(i), temperature_coil: r.coil, voltage: r.volts };
      if (r.drop) delete (sensors as Record<string, number>).current;
      return telemetryAt(T0 + i * 5_000, i, sensors);
    });

  it('shuffled input with repeated readings gives the same events and state as the sorted input', () => {
    fc.assert(
      fc.property(batchArb, fc.integer(), fc.nat({ max: 20 }), (rows, seed, repeats) => {
        const sorted = toTelemetry(rows);
        const random = createRandom(seed);
        const repeated = Array.from(
          { length: repeats },
          () => sorted[random.int(sorted.length)] as TelemetryMessage,
        );
        const messy = shuffled([...sorted, ...repeated.map((m) => ({ ...m }))], random.next);
        const prod = [
          production({ ts: T0 + 30_000 }),
          production({ ts: T0 + 90_000, seq: 2, status: 'Idle' }),
        ];
        const a = flexoDetector().run(undefined, { telemetry: sorted, production: prod });
        const b = flexoDetector().run(undefined, {
          telemetry: messy,
          production: shuffled(prod, random.next),
        });
        expect(b.events).toEqual(a.events);
        expect(JSON.stringify(b.state)).toBe(JSON.stringify(a.state));
        expect(b.processed).toBe(sorted.length);
        expect(b.skipped).toBe(repeats);
      }),
      { numRuns: 300 },
    );
  });

  it('splitting a batch over several runs gives the same alarms and the same final state', () => {
    fc.assert(
      fc.property(batchArb, fc.array(fc.nat(), { maxLength: 4 }), (rows, cuts) => {
        const telemetry = toTelemetry(rows);
        const whole = flexoDetector().run(undefined, { telemetry });
        const detector = flexoDetector();
        const bounds = [...new Set(cuts.map((c) => c % (telemetry.length + 1)))].sort((x, y) => x - y);
        let state: DetectorState | undefined;
        const events: AlarmEvent[] = [];
        let start = 0;
        for (const end of [...bounds, telemetry.length]) {
          const result = detector.run(state === undefined ? undefined : clone(state), {
            telemetry: telemetry.slice(start, end),
          });
          state = result.state;
          events.push(...result.events);
          start = end;
        }
        const lifecycle = (list: AlarmEvent[]) => list.filter((e) => e.type !== 'updated');
        expect(lifecycle(events)).toEqual(lifecycle(whole.events));
        expect(JSON.stringify(state)).toBe(JSON.stringify(whole.state));
      }),
      { numRuns: 300 },
    );
  });
});

describe('createDetector', () => {
  const coilRule = DEFAULT_RULES.find((r) => r.id === 'coil_temp_high') as RuleSpec;

  it.each(['', 'Coil', 'coil-temp', 'coil temp', 'coil.temp', 'a'.repeat(65)])(
    'rejects the rule id %j',
    (id) => {
      expect(() => createDetector(MACHINE, [{ ...coilRule, id }], { debounce: 3 })).toThrow(
        /must be 1–64 of \[a-z0-9_\]/,
      );
    },
  );

  it('accepts a 64-character rule id', () => {
    expect(() =>
      createDetector(MACHINE, [{ ...coilRule, id: 'a'.repeat(64) }], { debounce: 3 }),
    ).not.toThrow();
  });

  it('rejects a rule id used twice', () => {
    expect(() => createDetector(MACHINE, [coilRule, { ...coilRule }], { debounce: 3 })).toThrow(
      'rule id "coil_temp_high" is used twice',
    );
  });

  it('refuses another machine’s state, telemetry or production', () => {
    const detector = flexoDetector();
    const other = flexoDetector().run(undefined, { telemetry: [reading(0)] }).state;
    other.machine_id = 'C_FL105';
    expect(() => detector.run(other, { telemetry: [] })).toThrow(/was given the state of C_FL105/);
    expect(() =>
      detector.run(undefined, { telemetry: [telemetryAt(T0, 0, { current: 1 }, 'C_FL105')] }),
    ).toThrow(/was given C_FL105/);
    expect(() =>
      detector.run(undefined, { telemetry: [], production: [production({ machine_id: 'C_FL105' })] }),
    ).toThrow(/was given C_FL105/);
  });
});
