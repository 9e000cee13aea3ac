import {
  type AckResult,
  type Alarm,
  type AlarmEvent,
  acknowledgeAlarm,
  applyAlarmEvent,
} from '../../core/anomaly/alarm.js';
import type { AlarmPage, AlarmQuery, AnomalyStore } from '../../core/ports.js';
import { alarmCursorSchema, alarmQueryPlan, groupEventsByAlarm, newestFirst } from '../alarm-store-rules.js';
import { decodeCursor, encodeCursor } from '../cursor.js';

/** AnomalyStore in memory, with the DynamoDB store's query order and paging (alarm-store-rules.ts). */
export class MemoryAnomalyStore implements AnomalyStore {
  private readonly alarms = new Map<string, Alarm>();

  async apply(events: readonly AlarmEvent[]): Promise<void> {
    for (const [id, list] of groupEventsByAlarm(events)) {
      let alarm = this.alarms.get(id);
      for (const event of list) alarm = applyAlarmEvent(alarm, event);
      if (alarm !== undefined) this.alarms.set(id, alarm);
    }
  }

  async get(alarmId: string): Promise<Alarm | undefined> {
    return this.alarms.get(alarmId);
  }

  async acknowledge(alarmId: string, by: string, at: string): Promise<AckResult | undefined> {
    const alarm = this.alarms.get(alarmId);
    if (alarm === undefined) return undefined;
    const result = acknowledgeAlarm(alarm, by, at);
    if (result.ok && result.changed) this.alarms.set(alarmId, result.alarm);
    return result;
  }

  async query(query: AlarmQuery): Promise<AlarmPage> {
    const { phases } = alarmQueryPlan(query);
    const cursor =
      query.cursor === undefined ? { p: 0 } : decodeCursor(query.cursor, alarmCursorSchema(phases.length));
    const since = query.since === undefined ? undefined : new Date(query.since).toISOString();
    const items: Alarm[] = [];
    let phase = cursor.p;
    let after = cursor.k;
    while (phase < phases.length && items.length < query.limit) {
      const p = phases[phase] as (typeof phases)[number];
      const candidates = [...this.alarms.values()]
        .filter((a) =>
          p.machine_id !== undefined
            ? a.machine_id === p.machine_id &&
              (p.filterStates === undefined || p.filterStates.includes(a.state))
            : a.state === p.state,
        )
        .filter((a) => since === undefined || a.last_seen >= since)
        .sort(newestFirst);
      // Resume after the last key read, as DynamoDB's ExclusiveStartKey does.
      const key =
        after === undefined
          ? undefined
          : { last_seen: after.last_seen ?? '', alarm_id: after.alarm_id ?? '' };
      const start = key === undefined ? 0 : candidates.findIndex((a) => newestFirst(a, key) > 0);
      const rest = start < 0 ? [] : candidates.slice(start);
      const taken = rest.slice(0, query.limit - items.length);
      items.push(...taken);
      const last = taken[taken.length - 1];
      if (last !== undefined && taken.length < rest.length) {
        after = { alarm_id: last.alarm_id, last_seen: last.last_seen };
        break;
      }
      phase++;
      after = undefined;
    }
    const more = phase < phases.length;
    return {
      items,
      ...(more && { next_cursor: encodeCursor(after === undefined ? { p: phase } : { p: phase, k: after }) }),
    };
  }
}
