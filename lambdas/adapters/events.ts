/**
 * What the processor tells the outside world, defined once for both publishers (IoT data plane in AWS,
 * the in-process MQTT broker locally): which alarm events are published, their payload, and the shadow
 * document. Payloads carry no publish time, so a retried batch publishes byte-identical messages that
 * subscribers can de-duplicate by (alarm_id, type).
 */
import type { AlarmEvent, AlarmEventType } from '../core/anomaly/alarm.js';
import { HEALTH_SHADOW } from '../core/ingest-rules.js';

/** 'updated' (a still-active alarm's latest value) is stored, not published: it would flood subscribers. */
export const PUBLISHED_ALARM_EVENTS: ReadonlySet<AlarmEventType> = new Set([
  'raised',
  'escalated',
  'cleared',
]);

export function publishedAlarmEvents(events: readonly AlarmEvent[]): AlarmEvent[] {
  return events.filter((e) => PUBLISHED_ALARM_EVENTS.has(e.type));
}

/** The message on flexotwin/{machine_id}/anomalies. */
export function alarmEventPayload(event: AlarmEvent): string {
  return JSON.stringify({ type: event.type, alarm: event.alarm });
}

/** The shadow update document that replaces the reported state. */
export function shadowUpdatePayload(reported: Readonly<Record<string, unknown>>): string {
  return JSON.stringify({ state: { reported } });
}

/** The MQTT topic of a named-shadow update (what IoT Core's shadow service listens on). */
export function shadowUpdateTopic(machineId: string, shadowName = HEALTH_SHADOW): string {
  return `$aws/things/${machineId}/shadow/name/${shadowName}/update`;
}
