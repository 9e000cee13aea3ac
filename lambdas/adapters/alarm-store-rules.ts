/**
 * What every AnomalyStore adapter (DynamoDB, in-memory) must agree on beyond core's alarm semantics:
 * how events are grouped per alarm, when a write is a no-op, and the query order. Queries run in
 * phases: one per machine (newest first, state as a filter), or, without a machine, one per state in
 * lifecycle order (unacknowledged first: what an operator must look at), newest first within each.
 */
import * as z from 'zod';
import { ALARM_STATES, type Alarm, type AlarmEvent, type AlarmState } from '../core/anomaly/alarm.js';
import type { AlarmQuery } from '../core/ports.js';

/** Cleared alarms stay queryable for a year (DynamoDB TTL), then expire. */
export const CLEARED_ALARM_RETENTION_MS = 365 * 24 * 60 * 60 * 1000;

/** Events per alarm id, each list in the order given (first-occurrence order of the ids). */
export function groupEventsByAlarm(events: readonly AlarmEvent[]): Map<string, AlarmEvent[]> {
  const groups = new Map<string, AlarmEvent[]>();
  for (const event of events) {
    const list = groups.get(event.alarm.alarm_id);
    if (list === undefined) groups.set(event.alarm.alarm_id, [event]);
    else list.push(event);
  }
  return groups;
}

/** Field-by-field equality of two alarms (flat objects of primitives). */
export function sameAlarm(a: Alarm, b: Alarm): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if ((a as unknown as Record<string, unknown>)[key] !== (b as unknown as Record<string, unknown>)[key]) {
      return false;
    }
  }
  return true;
}

export type AlarmQueryPhase =
  | { readonly machine_id: string; readonly filterStates?: readonly AlarmState[] }
  | { readonly machine_id?: undefined; readonly state: AlarmState };

export function statesOf(state: AlarmQuery['state']): readonly AlarmState[] | undefined {
  if (state === undefined) return undefined;
  return state === 'active' ? ['active_unacknowledged', 'active_acknowledged'] : [state];
}

export function alarmQueryPlan(query: Pick<AlarmQuery, 'machine_id' | 'state'>): {
  phases: readonly AlarmQueryPhase[];
} {
  const states = statesOf(query.state);
  if (query.machine_id !== undefined) {
    return {
      phases: [{ machine_id: query.machine_id, ...(states !== undefined && { filterStates: states }) }],
    };
  }
  return { phases: (states ?? ALARM_STATES).map((state) => ({ state })) };
}

/** `p`: the phase to continue in; `k`: the last key read in it (absent: start of the phase). */
export function alarmCursorSchema(phases: number) {
  return z.object({
    p: z
      .number()
      .int()
      .min(0)
      .max(phases - 1),
    k: z.record(z.string(), z.string()).optional(),
  });
}

/** Query order within a phase: newest last_seen first, then alarm id (descending) for equal times. */
export function newestFirst(
  a: Pick<Alarm, 'last_seen' | 'alarm_id'>,
  b: Pick<Alarm, 'last_seen' | 'alarm_id'>,
): number {
  if (a.last_seen !== b.last_seen) return a.last_seen < b.last_seen ? 1 : -1;
  return a.alarm_id < b.alarm_id ? 1 : a.alarm_id > b.alarm_id ? -1 : 0;
}
