/**
 * Contract tests of the ports: the same cases run against the DynamoDB/S3 adapters (over the wire, on
 * the emulators) and against the in-memory adapters, so the reference implementation and the real one
 * cannot drift apart.
 */
import { describe, expect, it } from 'vitest';
import { createDetector } from '../../lambdas/core/anomaly/engine.js';
import { defaultRules } from '../../lambdas/core/anomaly/rules.js';
import { type Component, FLEXO_104_COMPONENTS } from '../../lambdas/core/fmea.js';
import { advanceMachine } from '../../lambdas/core/machine.js';
import {
  type AnomalyStore,
  type ComponentStore,
  ConcurrentUpdateError,
  InvalidCursorError,
  type MachineStateStore,
  type ModelStore,
  type TelemetryPoint,
  type TimeSeriesStore,
} from '../../lambdas/core/ports.js';
import { FLEXO_104_PROFILE } from '../../lambdas/core/profiles.js';
import { alarmEvent, production, T0, telemetry } from '../support/fixtures.js';

const component = (name: string, position = 0): Component => ({
  ...(FLEXO_104_COMPONENTS[position] as Component),
  component_name: name,
});

export function componentStoreContract(make: () => Promise<ComponentStore>): void {
  describe('ComponentStore contract', () => {
    it('seeds in order, inserts only what is missing and never overwrites an edit', async () => {
      const store = await make();
      expect(await store.seed(FLEXO_104_COMPONENTS)).toBe(15);
      expect((await store.list()).map((c) => c.component_name)).toEqual(
        FLEXO_104_COMPONENTS.map((c) => c.component_name),
      );
      const edited = await store.updateRatings('Anilox Roller', { severity: 9, detection: 2 });
      expect(edited).toMatchObject({
        component_name: 'Anilox Roller',
        severity: 9,
        occurrence: 5,
        detection: 2,
      });
      expect(await store.seed(FLEXO_104_COMPONENTS)).toBe(0);
      expect(await store.get('Anilox Roller')).toEqual(edited);
      expect(await store.get('Anilox Roller')).toEqual({
        ...FLEXO_104_COMPONENTS.find((c) => c.component_name === 'Anilox Roller'),
        severity: 9,
        detection: 2,
      });
    });

    it('answers undefined for unknown components and keeps names with spaces, "/", "%" and unicode', async () => {
      const store = await make();
      const names = ['Folder/Gluer 2', 'Ink 100% pump', 'Trocknungseinheit – Ü', 'ドライヤー'];
      expect(await store.seed(names.map((n, i) => component(n, i)))).toBe(4);
      for (const name of names) expect((await store.get(name))?.component_name).toBe(name);
      expect(await store.get('No Such Part')).toBeUndefined();
      expect(await store.updateRatings('No Such Part', { severity: 2 })).toBeUndefined();
      expect(await store.updateRatings('Ink 100% pump', {})).toEqual(await store.get('Ink 100% pump'));
      expect((await store.list()).map((c) => c.component_name)).toEqual(names);
    });
  });
}

export function anomalyStoreContract(make: () => Promise<AnomalyStore>): void {
  describe('AnomalyStore contract', () => {
    it('applies events with core semantics, idempotently, and keeps a cleared alarm cleared', async () => {
      const store = await make();
      const raised = alarmEvent('raised');
      await store.apply([raised]);
      await store.apply([raised]);
      const stored = await store.get(raised.alarm.alarm_id);
      expect(stored).toMatchObject({
        state: 'active_unacknowledged',
        acknowledged_by: null,
        severity: 'warning',
      });
      const cleared = alarmEvent('cleared', {
        severity: 'critical',
        last_seen: new Date(T0 + 9000).toISOString(),
        cleared_at: new Date(T0 + 9000).toISOString(),
      });
      await store.apply([alarmEvent('escalated', { severity: 'critical' }), cleared]);
      // A late 'updated' of a retried batch must not resurrect it.
      await store.apply([alarmEvent('updated', { severity: 'critical', value: 130 })]);
      expect(await store.get(raised.alarm.alarm_id)).toMatchObject({
        state: 'cleared',
        severity: 'critical',
        cleared_at: cleared.alarm.cleared_at,
      });
      expect(await store.get('nope')).toBeUndefined();
    });

    it('acknowledges once, refuses a cleared alarm, and keeps the acknowledgment through later updates', async () => {
      const store = await make();
      const raised = alarmEvent('raised');
      const id = raised.alarm.alarm_id;
      await store.apply([raised]);
      const first = await store.acknowledge(id, 'operator-1', '2025-10-23T10:31:00.000Z');
      expect(first).toMatchObject({
        ok: true,
        changed: true,
        alarm: { state: 'active_acknowledged', acknowledged_by: 'operator-1' },
      });
      const again = await store.acknowledge(id, 'operator-2', '2025-10-23T10:32:00.000Z');
      expect(again).toMatchObject({ ok: true, changed: false, alarm: { acknowledged_by: 'operator-1' } });
      await store.apply([alarmEvent('updated', { value: 110 })]);
      expect(await store.get(id)).toMatchObject({
        state: 'active_acknowledged',
        value: 110,
        acknowledged_by: 'operator-1',
      });
      await store.apply([alarmEvent('cleared', { cleared_at: new Date(T0 + 9000).toISOString() })]);
      expect(await store.acknowledge(id, 'operator-3', '2025-10-23T10:33:00.000Z')).toMatchObject({
        ok: false,
        reason: 'cleared',
      });
      expect(await store.acknowledge('unknown.alarm.1', 'x', '2025-10-23T10:33:00.000Z')).toBeUndefined();
    });

    it('queries by machine and state, newest first, with since, and pages through everything', async () => {
      const store = await make();
      const at = (s: number) => new Date(T0 + s * 1000).toISOString();
      const events = [];
      for (let i = 0; i < 9; i++) {
        const machine = i % 3 === 0 ? 'M2' : 'C_FL104';
        const facts = {
          machine_id: machine,
          alarm_id: `${machine}.r${i}.${T0 + i}`,
          rule_id: `r${i}`,
          last_seen: at(i),
        };
        events.push(alarmEvent('raised', facts));
        if (i % 4 === 1) events.push(alarmEvent('cleared', { ...facts, cleared_at: at(i) }));
      }
      await store.apply(events);
      await store.acknowledge(`C_FL104.r2.${T0 + 2}`, 'op', at(20));

      const all = async (query: Parameters<AnomalyStore['query']>[0]) => {
        const items = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.query({ ...query, ...(cursor !== undefined && { cursor }) });
          expect(page.items.length).toBeLessThanOrEqual(query.limit);
          items.push(...page.items.map((a) => `${a.alarm_id}:${a.state}`));
          cursor = page.next_cursor;
          pages++;
        } while (cursor !== undefined && pages < 50);
        return items;
      };
      const byMachine = await all({ machine_id: 'C_FL104', limit: 100 });
      expect(byMachine.map((s) => s.split('.')[1])).toEqual(['r8', 'r7', 'r5', 'r4', 'r2', 'r1']);
      expect(await all({ machine_id: 'C_FL104', limit: 2 })).toEqual(byMachine);
      expect(await all({ machine_id: 'C_FL104', state: 'active', limit: 2 })).toEqual(
        byMachine.filter((s) => !s.endsWith(':cleared')),
      );
      expect(await all({ machine_id: 'C_FL104', state: 'cleared', limit: 1 })).toEqual([
        `C_FL104.r5.${T0 + 5}:cleared`,
        `C_FL104.r1.${T0 + 1}:cleared`,
      ]);
      expect(await all({ machine_id: 'C_FL104', since: T0 + 5000, limit: 10 })).toEqual(
        byMachine.slice(0, 3),
      );
      // Without a machine: unacknowledged, then acknowledged, then cleared; newest first in each.
      const fleet = await all({ limit: 100 });
      expect(fleet).toEqual([
        `C_FL104.r8.${T0 + 8}:active_unacknowledged`,
        `C_FL104.r7.${T0 + 7}:active_unacknowledged`,
        `M2.r6.${T0 + 6}:active_unacknowledged`,
        `C_FL104.r4.${T0 + 4}:active_unacknowledged`,
        `M2.r3.${T0 + 3}:active_unacknowledged`,
        `M2.r0.${T0 + 0}:active_unacknowledged`,
        `C_FL104.r2.${T0 + 2}:active_acknowledged`,
        `C_FL104.r5.${T0 + 5}:cleared`,
        `C_FL104.r1.${T0 + 1}:cleared`,
      ]);
      for (const limit of [1, 2, 3, 4]) expect(await all({ limit })).toEqual(fleet);
      expect(await all({ state: 'active', limit: 4 })).toEqual(fleet.slice(0, 7));
      expect(await all({ state: 'active_acknowledged', limit: 4 })).toEqual([fleet[6]]);
    });

    it('refuses a cursor it did not issue', async () => {
      const store = await make();
      await expect(store.query({ limit: 5, cursor: 'not-a-cursor!' })).rejects.toBeInstanceOf(
        InvalidCursorError,
      );
      await expect(
        store.query({ limit: 5, cursor: Buffer.from('{"p":7}').toString('base64url') }),
      ).rejects.toBeInstanceOf(InvalidCursorError);
    });
  });
}

export function machineStateStoreContract(make: () => Promise<MachineStateStore>): void {
  describe('MachineStateStore contract', () => {
    it('round-trips a real twin state and enforces optimistic concurrency', async () => {
      const store = await make();
      const detector = createDetector('C_FL104', defaultRules(FLEXO_104_PROFILE), { debounce: 3 });
      const hot = [0, 1, 2, 3].map((s) =>
        telemetry(s, { sensors: { temperature_coil: 104.25, current: 40.1 } }),
      );
      const { state } = advanceMachine(undefined, hot, [production(1)], {
        detector,
        components: FLEXO_104_COMPONENTS,
        idealRatePpm: 12.5,
        now: T0 + 10_000,
      });
      expect(await store.get('C_FL104')).toBeUndefined();
      expect(await store.put(state, undefined)).toBe(1);
      expect(await store.get('C_FL104')).toEqual({ state, version: 1 });
      await expect(store.put(state, undefined)).rejects.toBeInstanceOf(ConcurrentUpdateError);
      expect(await store.put({ ...state, last_seen: state.last_seen + 1 }, 1)).toBe(2);
      await expect(store.put(state, 1)).rejects.toBeInstanceOf(ConcurrentUpdateError);
      expect((await store.get('C_FL104'))?.state.last_seen).toBe(state.last_seen + 1);

      await store.put({ ...state, machine_id: 'A_1' }, undefined);
      const many = await store.getMany(['C_FL104', 'A_1', 'missing', 'C_FL104']);
      expect([...many.keys()].sort()).toEqual(['A_1', 'C_FL104']);
      expect(many.get('C_FL104')?.version).toBe(2);
      expect((await store.list()).map((s) => s.machine_id)).toEqual(['A_1', 'C_FL104']);
    });

    it('reads many machines at once, beyond one BatchGetItem', async () => {
      const store = await make();
      const ids = Array.from({ length: 130 }, (_, i) => `M_${i}`);
      const base = (await import('../../lambdas/core/machine.js')).initialMachineState;
      for (const id of ids) await store.put(base(id), undefined);
      const many = await store.getMany(ids);
      expect(many.size).toBe(130);
      expect(many.get('M_129')?.state.machine_id).toBe('M_129');
    });
  });
}

export function timeSeriesStoreContract(make: () => Promise<TimeSeriesStore>): void {
  describe('TimeSeriesStore contract', () => {
    // 150 readings over 2.5 minutes, one every second, with a second machine interleaved.
    const readings = Array.from({ length: 150 }, (_, i) =>
      telemetry(i, {
        sensors: { temperature_coil: 70 + (i % 10), current: 40 + i / 100, ...(i % 2 === 0 && { aux_1: i }) },
      }),
    );
    const other = [0, 1, 2].map((i) => telemetry(i, { machine_id: 'M2' }));

    it('stores each (ts, seq) once, however often it is written', async () => {
      const store = await make();
      const report = await store.writeTelemetry([
        ...readings,
        ...other,
        readings[5] as (typeof readings)[number],
      ]);
      expect(report.rejected).toEqual([]);
      await store.writeTelemetry(readings.slice(0, 40));
      const raw = await store.queryTelemetry({
        machine_id: 'C_FL104',
        from: T0,
        to: T0 + 200_000,
        limit: 1000,
      });
      expect(raw.kind).toBe('raw');
      if (raw.kind !== 'raw') return;
      expect(raw.points.map((p) => p.seq)).toEqual(readings.map((r) => r.seq));
      expect(raw.points[4]).toEqual({
        ts: T0 + 4000,
        seq: 4,
        sensors: { temperature_coil: 74, current: 40.04, aux_1: 4 },
      });
      expect(raw.next_cursor).toBeUndefined();
    });

    it('keeps sensors named like properties of every object ("constructor", "toString", …)', async () => {
      const store = await make();
      // Valid sensor names (1–64 of [A-Za-z0-9_]) that a generic marshaller may take for a class instance.
      const sensors = { constructor: 5, toString: 6, hasOwnProperty: 7, valueOf: 8, current: 40 };
      const report = await store.writeTelemetry([telemetry(0, { sensors })]);
      expect(report).toEqual({ written: 1, rejected: [] });
      const raw = await store.queryTelemetry({ machine_id: 'C_FL104', from: T0, to: T0 + 1 });
      expect(raw.kind === 'raw' && raw.points.map((p) => ({ ...p.sensors }))).toEqual([sensors]);
    });

    it('pages raw readings by cursor, [from, to) and sensor filter included', async () => {
      const store = await make();
      await store.writeTelemetry([...readings, ...other]);
      const seen: TelemetryPoint[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.queryTelemetry({
          machine_id: 'C_FL104',
          from: T0 + 10_000,
          to: T0 + 100_000,
          sensors: ['aux_1'],
          limit: 7,
          ...(cursor !== undefined && { cursor }),
        });
        if (page.kind !== 'raw') throw new Error('expected raw');
        expect(page.points.length).toBeLessThanOrEqual(7);
        seen.push(...page.points);
        cursor = page.next_cursor;
        pages++;
      } while (cursor !== undefined);
      // Readings 10..99, only the even ones carry aux_1, and only aux_1 is returned.
      expect(seen.map((p) => p.seq)).toEqual(Array.from({ length: 45 }, (_, i) => 10 + 2 * i));
      expect(seen.every((p) => Object.keys(p.sensors).join() === 'aux_1')).toBe(true);
      expect(pages).toBe(7);
      await expect(
        store.queryTelemetry({ machine_id: 'C_FL104', from: T0, to: T0 + 1, cursor: 'garbage!' }),
      ).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it('aggregates into epoch-aligned buckets with avg, min, max and count', async () => {
      const store = await make();
      await store.writeTelemetry(readings);
      const series = await store.queryTelemetry({
        machine_id: 'C_FL104',
        from: T0,
        to: T0 + 150_000,
        interval_ms: 60_000,
        sensors: ['temperature_coil', 'current'],
      });
      if (series.kind !== 'aggregated') throw new Error('expected buckets');
      expect(series.interval_ms).toBe(60_000);
      // T0 is 10:30:00, so minutes start at readings 0, 60 and 120.
      expect(series.buckets.map((b) => b.ts)).toEqual([T0, T0 + 60_000, T0 + 120_000]);
      const first = series.buckets[0]?.sensors;
      expect(Object.keys(first ?? {})).toEqual(['current', 'temperature_coil']);
      expect(first?.temperature_coil).toMatchObject({ min: 70, max: 79, count: 60 });
      expect(first?.temperature_coil?.avg).toBeCloseTo(74.5, 9);
      expect(series.buckets[2]?.sensors.current).toMatchObject({
        min: readings[120]?.sensors.current,
        max: readings[149]?.sensors.current,
        count: 30,
      });
      const empty = await store.queryTelemetry({
        machine_id: 'nobody',
        from: T0,
        to: T0 + 1000,
        interval_ms: 1000,
      });
      expect(empty).toEqual({ kind: 'aggregated', interval_ms: 1000, buckets: [] });
    });

    it('round-trips production snapshots with their optional fields', async () => {
      const store = await make();
      const snapshots = [
        production(1),
        production(2, { status: 'Downtime', downtime_reason: 'Plate change', availability_rate: 85.4 }),
        production(3, { ideal_rate_ppm: 14, performance_rate: 92.3, quality_rate: 96 }),
      ];
      await store.writeProduction(snapshots);
      await store.writeProduction(snapshots);
      const got = await store.queryProduction({ machine_id: 'C_FL104', from: T0, to: T0 + 16_000 });
      expect(got).toEqual(snapshots);
      expect(
        await store.queryProduction({ machine_id: 'C_FL104', from: T0 + 10_001, to: T0 + 16_000 }),
      ).toHaveLength(1);
    });
  });
}

export function modelStoreContract(make: () => Promise<ModelStore>): void {
  describe('ModelStore contract', () => {
    it('has no model until one is put, then serves the latest', async () => {
      const store = await make();
      expect(await store.latest()).toBeUndefined();
      await store.put({ version: '2025-10-01T00-00-00Z', body: '{"trees":[1]}' });
      await store.put({ version: '2025-10-23T10-30-00Z', body: '{"trees":[2]}' });
      expect(await store.latest()).toEqual({ version: '2025-10-23T10-30-00Z', body: '{"trees":[2]}' });
    });
  });
}
