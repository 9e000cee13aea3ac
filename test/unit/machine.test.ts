/**
 * advanceMachine, the pure step the processor runs per machine and batch: idempotent, order-safe,
 * OEE from the newest production snapshot, the 24 h alarm list, and health recomputed only when one of
 * its inputs changed.
 */
import { describe, expect, it } from 'vitest';
import { DYNAMIC_RPN_WINDOW_MS, FLEXO_104_COMPONENTS } from '../../lambdas/core/fmea.js';
import {
  type AdvanceContext,
  advanceMachine,
  initialMachineState,
  type MachineState,
} from '../../lambdas/core/machine.js';
import type { ProductionMessage, TelemetryMessage } from '../../lambdas/core/messages.js';
import { computeShiftOee } from '../../lambdas/core/oee.js';
import { createRandom } from '../../lambdas/core/random.js';
import { flexoDetector, MACHINE, production, reading, series, shuffled, T0 } from './support/fixtures.js';

const H = 3_600_000;

const context = (overrides: Partial<AdvanceContext> = {}): AdvanceContext => ({
  detector: flexoDetector(),
  components: FLEXO_104_COMPONENTS,
  idealRatePpm: 12.5,
  now: T0 + H,
  ...overrides,
});

const copy = (state: MachineState): MachineState => JSON.parse(JSON.stringify(state)) as MachineState;

/** Ten readings that raise a coil warning (and keep it), plus two production snapshots. */
const telemetry = (from = 0, n = 10): TelemetryMessage[] =>
  series(
    'temperature_coil',
    Array.from({ length: n }, () => 105),
    from,
  );
const snapshots = (): ProductionMessage[] => [
  production({
    ts: T0 + 10_000,
    seq: 1,
    total_produksi: 100,
    produk_cacat: 2,
    planned_minutes: 10,
    run_minutes: 9,
  }),
  production({
    ts: T0 + 40_000,
    seq: 2,
    total_produksi: 110,
    produk_cacat: 3,
    planned_minutes: 10,
    run_minutes: 10,
  }),
];

describe('advanceMachine', () => {
  it('starts from the initial state of the batch’s machine', () => {
    const { state } = advanceMachine(undefined, telemetry(), [], context());
    expect(state.machine_id).toBe(MACHINE);
    expect(() => advanceMachine(undefined, [], [], context())).toThrow(
      /needs a state or at least one message/,
    );
  });

  it('is idempotent: the same batch twice gives the identical state and no events the second time', () => {
    const ctx = context();
    const first = advanceMachine(undefined, telemetry(), snapshots(), ctx);
    expect(first.events.map((e) => e.type)).toEqual(['raised', 'updated']);
    expect(first.healthChanged).toBe(true);
    expect(first.processed).toEqual({ telemetry: 10, production: 2 });
    const saved = JSON.stringify(first.state);

    for (const state of [JSON.parse(saved) as MachineState, first.state]) {
      const again = advanceMachine(state, telemetry(), snapshots(), ctx);
      expect(again.events).toEqual([]);
      expect(again.healthChanged).toBe(false);
      expect(again.processed).toEqual({ telemetry: 0, production: 0 });
      expect(again.skipped).toBe(10);
      expect(JSON.stringify(again.state)).toBe(saved);
    }
  });

  it('does not double count: overlapping and repeated messages are counted once', () => {
    const ctx = context();
    let state = advanceMachine(undefined, telemetry(0, 6), snapshots().slice(0, 1), ctx).state;
    expect(state.counters).toEqual({ telemetry: 6, production: 1 });
    const overlap = [...telemetry(3, 6), ...telemetry(8, 2)];
    state = advanceMachine(copy(state), overlap, snapshots(), ctx).state;
    expect(state.counters).toEqual({ telemetry: 10, production: 2 });
  });

  it('is order-safe: a shuffled batch gives the same state as the ordered one', () => {
    const ctx = context();
    const tel = telemetry(0, 12);
    const prod = [
      ...snapshots(),
      production({
        ts: T0 + 50_000,
        seq: 3,
        status: 'Idle',
        total_produksi: 120,
        planned_minutes: 10,
        run_minutes: 10,
      }),
    ];
    const ordered = advanceMachine(undefined, tel, prod, ctx);
    for (let seed = 1; seed <= 20; seed++) {
      const random = createRandom(seed);
      const messy = advanceMachine(undefined, shuffled(tel, random.next), shuffled(prod, random.next), ctx);
      expect(messy.events).toEqual(ordered.events);
      expect(messy.processed).toEqual(ordered.processed);
      expect(JSON.stringify(messy.state)).toBe(JSON.stringify(ordered.state));
    }
  });

  it('takes OEE from the newest production snapshot and ignores an older one', () => {
    const ctx = context();
    const [older, newer] = snapshots() as [ProductionMessage, ProductionMessage];
    const first = advanceMachine(undefined, [], [newer], ctx);
    expect(first.state.oee).toEqual(computeShiftOee(newer, 12.5));
    expect(first.state.shift).toMatchObject({ ts: newer.ts, seq: 2, status: 'Running', shift_start: T0 });
    expect(first.state.status).toBe('Running');

    const late = advanceMachine(copy(first.state), [], [older], ctx);
    expect(late.processed.production).toBe(0);
    expect(late.state.oee).toEqual(first.state.oee);
    expect(late.healthChanged).toBe(false);
  });

  it('the next shift’s first snapshot replaces the previous shift', () => {
    const ctx = context();
    const { state } = advanceMachine(undefined, [], snapshots(), ctx);
    const next = production({
      ts: T0 + 8 * H,
      seq: 3,
      total_produksi: 5,
      produk_cacat: 0,
      planned_minutes: 1,
      run_minutes: 1,
    });
    const after = advanceMachine(state, [], [next], ctx);
    expect(after.state.shift?.shift_start).toBe(T0 + 8 * H);
    expect(after.state.oee).toEqual(computeShiftOee(next, 12.5));
    expect(after.healthChanged).toBe(true);
  });

  it('uses the profile’s ideal rate when the snapshot has none', () => {
    const { ideal_rate_ppm: _ignored, ...withoutRate } = production({
      run_minutes: 400,
      total_produksi: 2500,
    });
    const { state } = advanceMachine(undefined, [], [withoutRate], context({ idealRatePpm: 10 }));
    expect(state.oee?.performance).toBeCloseTo(2500 / (10 * 400), 12);
  });

  it('keeps the newest telemetry reading and the newest time seen', () => {
    const ctx = context();
    const { state } = advanceMachine(undefined, [reading(3), reading(1), reading(2)], [], ctx);
    expect(state.last_telemetry).toEqual({ ts: T0 + 15_000, seq: 3, sensors: reading(3).sensors });
    expect(state.last_seen).toBe(T0 + 15_000);
    const late = advanceMachine(state, [reading(0)], [production({ ts: T0 + 60_000 })], ctx);
    expect(late.state.last_telemetry?.seq).toBe(3);
    expect(late.state.last_seen).toBe(T0 + 60_000);
  });

  describe('health is recomputed only when its inputs change', () => {
    const start = () => {
      const ctx = context();
      const { state, healthChanged } = advanceMachine(undefined, [reading(0)], [], ctx);
      expect(healthChanged).toBe(true);
      expect(state.health).not.toBeNull();
      return { ctx, state };
    };

    it('not for normal telemetry', () => {
      const { ctx, state } = start();
      const health = JSON.stringify(state.health);
      const next = advanceMachine(state, [reading(1), reading(2)], [], ctx);
      expect(next.healthChanged).toBe(false);
      expect(JSON.stringify(next.state.health)).toBe(health);
    });

    it('for a new production snapshot', () => {
      const { ctx, state } = start();
      const next = advanceMachine(state, [], snapshots(), ctx);
      expect(next.healthChanged).toBe(true);
      expect(next.state.health?.oee_score).not.toBeNull();
    });

    it('for an alarm, which lowers the linked component’s dynamic RPN', () => {
      const { ctx, state } = start();
      const next = advanceMachine(state, series('temperature_coil', [125, 125, 125], 1), [], ctx);
      expect(next.events.map((e) => e.type)).toEqual(['raised']);
      expect(next.healthChanged).toBe(true);
      const motor = next.state.health?.components.find((c) => c.component_name === 'Main Drive Motor');
      expect(motor?.rpn_dynamic).toBeGreaterThan(motor?.rpn_value ?? Number.POSITIVE_INFINITY);
      expect(next.state.recent_alarms).toEqual([
        expect.objectContaining({ severity: 'critical', state: 'active_unacknowledged', cleared_ms: null }),
      ]);
    });

    it('not for a copy of the same FMEA table, but for changed ratings', () => {
      const { ctx, state } = start();
      const same = advanceMachine(state, [], [], {
        ...ctx,
        components: FLEXO_104_COMPONENTS.map((c) => ({ ...c })),
      });
      expect(same.healthChanged).toBe(false);
      const changed = FLEXO_104_COMPONENTS.map((c) =>
        c.component_name === 'Dryer' ? { ...c, severity: 10, occurrence: 10, detection: 10 } : c,
      );
      const next = advanceMachine(state, [], [], { ...ctx, components: changed });
      expect(next.healthChanged).toBe(true);
      expect(next.state.health?.worst_component).toBe('Dryer');
      expect(next.state.health?.health_index).toBe(0);
    });
  });

  describe('recent alarms (24 h window of the dynamic RPN)', () => {
    /** Raises and clears a coil alarm; returns the state and the clearing time. */
    const raisedAndCleared = () => {
      const ctx = context();
      const tel = series('temperature_coil', [125, 125, 125, 90, 90, 90]);
      const result = advanceMachine(undefined, tel, [], ctx);
      expect(result.events.map((e) => e.type)).toEqual(['raised', 'cleared']);
      const clearedAt = (tel[5] as TelemetryMessage).ts;
      return { ctx, state: result.state, clearedAt };
    };

    it('keeps a cleared alarm, with its clearing time, for 24 h', () => {
      const { ctx, state, clearedAt } = raisedAndCleared();
      expect(state.recent_alarms).toHaveLength(1);
      expect(state.recent_alarms[0]).toMatchObject({ state: 'cleared', cleared_ms: clearedAt });
      const atEdge = advanceMachine(state, [], [], { ...ctx, now: clearedAt + DYNAMIC_RPN_WINDOW_MS });
      expect(atEdge.state.recent_alarms).toHaveLength(1);
      expect(atEdge.healthChanged).toBe(false);
    });

    it('drops it after 24 h and recomputes health without it', () => {
      const { ctx, state, clearedAt } = raisedAndCleared();
      const before = state.health?.components.find((c) => c.component_name === 'Main Drive Motor');
      expect(before?.rpn_dynamic).toBeGreaterThan(before?.rpn_value ?? Number.POSITIVE_INFINITY);
      const after = advanceMachine(state, [], [], { ...ctx, now: clearedAt + DYNAMIC_RPN_WINDOW_MS + 1 });
      expect(after.state.recent_alarms).toEqual([]);
      expect(after.healthChanged).toBe(true);
      const motor = after.state.health?.components.find((c) => c.component_name === 'Main Drive Motor');
      expect(motor?.rpn_dynamic).toBe(motor?.rpn_value);
    });

    it('never prunes an active alarm', () => {
      const ctx = context();
      const { state } = advanceMachine(undefined, series('temperature_coil', [125, 125, 125]), [], ctx);
      const later = advanceMachine(state, [], [], { ...ctx, now: T0 + 10 * DYNAMIC_RPN_WINDOW_MS });
      expect(later.state.recent_alarms).toHaveLength(1);
    });
  });

  it('the initial state is plain JSON', () => {
    const state = initialMachineState(MACHINE);
    expect(JSON.parse(JSON.stringify(state))).toStrictEqual(state);
  });
});
