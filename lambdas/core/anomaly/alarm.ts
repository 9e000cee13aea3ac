/**
 * Alarms and their lifecycle (DESIGN.md §4): active-unacknowledged → active-acknowledged → cleared.
 * The detector knows the facts of an alarm (values, times, severity); only the store knows whether an
 * operator acknowledged it. `applyAlarmEvent` is the one definition of how an event changes a stored
 * alarm, so every store adapter (DynamoDB, in-memory) merges the same way.
 */
import type { AnomalyCategory, Severity } from './rules.js';

export const ALARM_STATES = ['active_unacknowledged', 'active_acknowledged', 'cleared'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

/** What the detector knows about an alarm. Times are ISO-8601 (UTC), values in `unit`. */
export interface AlarmFacts {
  readonly alarm_id: string;
  readonly machine_id: string;
  readonly rule_id: string;
  readonly category: AnomalyCategory;
  readonly sensor: string;
  readonly component: string;
  readonly severity: Severity;
  /** The latest value that violated the rule. */
  readonly value: number;
  /** The furthest value from normal seen while the alarm was active. */
  readonly worst_value: number;
  /** The threshold of the current severity that the value crossed. */
  readonly threshold: number;
  readonly unit: string;
  readonly message: string;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly raised_at: string;
  readonly cleared_at: string | null;
}

export interface Alarm extends AlarmFacts {
  readonly state: AlarmState;
  readonly acknowledged_at: string | null;
  readonly acknowledged_by: string | null;
}

export const ALARM_EVENT_TYPES = ['raised', 'escalated', 'updated', 'cleared'] as const;
export type AlarmEventType = (typeof ALARM_EVENT_TYPES)[number];

export interface AlarmEvent {
  readonly type: AlarmEventType;
  readonly alarm: AlarmFacts;
}

/** The stored alarm after `event`; idempotent (applying the same event twice changes nothing more). */
export function applyAlarmEvent(existing: Alarm | undefined, event: AlarmEvent): Alarm {
  const facts = event.alarm;
  if (existing === undefined) {
    return {
      ...facts,
      state: event.type === 'cleared' ? 'cleared' : 'active_unacknowledged',
      acknowledged_at: null,
      acknowledged_by: null,
    };
  }
  // A cleared alarm stays cleared: a late 'updated' from a retried batch must not resurrect it.
  const state: AlarmState = event.type === 'cleared' ? 'cleared' : existing.state;
  return {
    ...existing,
    ...facts,
    cleared_at: state === 'cleared' ? (facts.cleared_at ?? existing.cleared_at) : null,
    state,
  };
}

export type AckResult =
  | { ok: true; alarm: Alarm; changed: boolean }
  | { ok: false; reason: 'cleared'; alarm: Alarm };

/**
 * Acknowledges an active alarm. Acknowledging twice keeps the first acknowledgment (idempotent);
 * a cleared alarm can no longer be acknowledged.
 */
export function acknowledgeAlarm(alarm: Alarm, by: string, at: string): AckResult {
  if (alarm.state === 'cleared') return { ok: false, reason: 'cleared', alarm };
  if (alarm.state === 'active_acknowledged') return { ok: true, alarm, changed: false };
  return {
    ok: true,
    changed: true,
    alarm: { ...alarm, state: 'active_acknowledged', acknowledged_at: at, acknowledged_by: by },
  };
}
