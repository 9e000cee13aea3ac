/**
 * The alarm lifecycle of DESIGN.md §4 (active-unacknowledged → active-acknowledged → cleared) as the
 * stores apply it: applyAlarmEvent merges detector events idempotently, acknowledgeAlarm is the API's ack.
 */
import { describe, expect, it } from 'vitest';
import {
  type Alarm,
  type AlarmEvent,
  type AlarmEventType,
  type AlarmFacts,
  acknowledgeAlarm,
  applyAlarmEvent,
} from '../../lambdas/core/anomaly/alarm.js';
import { flexoDetector, series } from './support/fixtures.js';

const facts = (overrides: Partial<AlarmFacts> = {}): AlarmFacts => ({
  alarm_id: 'C_FL104.coil_temp_high.1761199200000',
  machine_id: 'C_FL104',
  rule_id: 'coil_temp_high',
  category: 'thermal',
  sensor: 'temperature_coil',
  component: 'Main Drive Motor',
  severity: 'warning',
  value: 105,
  worst_value: 105,
  threshold: 100,
  unit: '°C',
  message: 'Coil temperature 105 °C ≥ warning limit 100 °C',
  first_seen: '2025-10-23T06:00:00.000Z',
  last_seen: '2025-10-23T06:00:10.000Z',
  raised_at: '2025-10-23T06:00:10.000Z',
  cleared_at: null,
  ...overrides,
});

const event = (type: AlarmEventType, overrides: Partial<AlarmFacts> = {}): AlarmEvent => ({
  type,
  alarm: facts(overrides),
});

const ACK_AT = '2025-10-23T06:05:00.000Z';

function acknowledged(alarm: Alarm): Alarm {
  const result = acknowledgeAlarm(alarm, 'operator-1', ACK_AT);
  if (!result.ok) throw new Error('ack refused');
  return result.alarm;
}

/** Applies events in order to an empty store entry. */
const applyAll = (events: readonly AlarmEvent[], start?: Alarm) =>
  events.reduce<Alarm | undefined>((alarm, e) => applyAlarmEvent(alarm, e), start) as Alarm;

describe('applyAlarmEvent', () => {
  it('creates an active, unacknowledged alarm from a raised event', () => {
    expect(applyAlarmEvent(undefined, event('raised'))).toEqual({
      ...facts(),
      state: 'active_unacknowledged',
      acknowledged_at: null,
      acknowledged_by: null,
    });
  });

  it('creates a cleared alarm when the first event a store sees is the clear', () => {
    const alarm = applyAlarmEvent(undefined, event('cleared', { cleared_at: '2025-10-23T07:00:00.000Z' }));
    expect(alarm.state).toBe('cleared');
    expect(alarm.cleared_at).toBe('2025-10-23T07:00:00.000Z');
  });

  it.each<AlarmEventType>(['raised', 'escalated', 'updated', 'cleared'])(
    'is idempotent for a %s event',
    (type) => {
      const base = applyAlarmEvent(undefined, event('raised'));
      const e = event(type, {
        value: 110,
        last_seen: '2025-10-23T06:01:00.000Z',
        cleared_at: type === 'cleared' ? '2025-10-23T06:02:00.000Z' : null,
      });
      const once = applyAlarmEvent(base, e);
      expect(applyAlarmEvent(once, e)).toEqual(once);
    },
  );

  it('takes the newest facts on update and escalation', () => {
    const alarm = applyAll([
      event('raised'),
      event('updated', { value: 110, worst_value: 112, last_seen: '2025-10-23T06:01:00.000Z' }),
      event('escalated', { severity: 'critical', threshold: 120, value: 121, worst_value: 121 }),
    ]);
    expect(alarm).toMatchObject({
      severity: 'critical',
      threshold: 120,
      value: 121,
      state: 'active_unacknowledged',
    });
  });

  it('keeps the acknowledgment when later updates and escalations arrive', () => {
    const acked = acknowledged(applyAlarmEvent(undefined, event('raised')));
    const updated = applyAll(
      [
        event('updated', { value: 111 }),
        event('escalated', { severity: 'critical', threshold: 120, value: 121 }),
      ],
      acked,
    );
    expect(updated).toMatchObject({
      state: 'active_acknowledged',
      acknowledged_at: ACK_AT,
      acknowledged_by: 'operator-1',
      value: 121,
      severity: 'critical',
    });
  });

  it('a cleared alarm stays cleared: a late updated (a retried batch) does not resurrect it', () => {
    const cleared = applyAll([
      event('raised'),
      event('cleared', { cleared_at: '2025-10-23T06:30:00.000Z', last_seen: '2025-10-23T06:20:00.000Z' }),
    ]);
    expect(cleared.state).toBe('cleared');
    for (const late of ['updated', 'escalated', 'raised'] as const) {
      const after = applyAlarmEvent(cleared, event(late, { last_seen: '2025-10-23T06:20:00.000Z' }));
      expect(after.state).toBe('cleared');
      expect(after.cleared_at).toBe('2025-10-23T06:30:00.000Z');
    }
  });

  it('a cleared, acknowledged alarm keeps who acknowledged it', () => {
    const alarm = applyAll(
      [event('cleared', { cleared_at: '2025-10-23T06:30:00.000Z' })],
      acknowledged(applyAlarmEvent(undefined, event('raised'))),
    );
    expect(alarm).toMatchObject({ state: 'cleared', acknowledged_by: 'operator-1', acknowledged_at: ACK_AT });
  });

  it('an active alarm never carries a cleared_at', () => {
    const alarm = applyAll([event('raised'), event('updated', { cleared_at: '2025-10-23T06:30:00.000Z' })]);
    expect(alarm.state).toBe('active_unacknowledged');
    expect(alarm.cleared_at).toBeNull();
  });

  it('folds the detector’s own event stream into the expected stored alarm', () => {
    const telemetry = series('temperature_coil', [105, 105, 105, 125, 125, 125, 130, 90, 90, 90]);
    const { events } = flexoDetector().run(undefined, { telemetry });
    expect(events.map((e) => e.type)).toEqual(['raised', 'escalated', 'cleared']);
    const stored = applyAll(events);
    expect(stored).toMatchObject({ state: 'cleared', severity: 'critical', worst_value: 130 });
    // replaying the whole stream (a retried batch) changes nothing
    expect(applyAll(events, stored)).toEqual(stored);
  });
});

describe('acknowledgeAlarm', () => {
  const active = () => applyAlarmEvent(undefined, event('raised'));

  it('moves active_unacknowledged → active_acknowledged with who and when', () => {
    const result = acknowledgeAlarm(active(), 'operator-1', ACK_AT);
    expect(result).toEqual({
      ok: true,
      changed: true,
      alarm: {
        ...active(),
        state: 'active_acknowledged',
        acknowledged_at: ACK_AT,
        acknowledged_by: 'operator-1',
      },
    });
  });

  it('does not modify the alarm it is given', () => {
    const alarm = active();
    const copy = structuredClone(alarm);
    acknowledgeAlarm(alarm, 'operator-1', ACK_AT);
    expect(alarm).toEqual(copy);
  });

  it('acknowledging twice keeps the first acknowledgment', () => {
    const first = acknowledged(active());
    const second = acknowledgeAlarm(first, 'operator-2', '2025-10-23T09:00:00.000Z');
    expect(second).toEqual({ ok: true, changed: false, alarm: first });
  });

  it('refuses to acknowledge a cleared alarm', () => {
    const cleared = applyAlarmEvent(active(), event('cleared', { cleared_at: '2025-10-23T06:30:00.000Z' }));
    expect(acknowledgeAlarm(cleared, 'operator-1', ACK_AT)).toEqual({
      ok: false,
      reason: 'cleared',
      alarm: cleared,
    });
  });

  it('walks the whole lifecycle: unacknowledged → acknowledged → cleared', () => {
    const states: string[] = [];
    let alarm = applyAlarmEvent(undefined, event('raised'));
    states.push(alarm.state);
    alarm = acknowledged(alarm);
    states.push(alarm.state);
    alarm = applyAlarmEvent(alarm, event('cleared', { cleared_at: '2025-10-23T06:30:00.000Z' }));
    states.push(alarm.state);
    expect(states).toEqual(['active_unacknowledged', 'active_acknowledged', 'cleared']);
  });
});
