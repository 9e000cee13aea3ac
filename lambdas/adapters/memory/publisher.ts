import type { AlarmEvent } from '../../core/anomaly/alarm.js';
import type { EventPublisher } from '../../core/ports.js';
import { publishedAlarmEvents } from '../events.js';

/** EventPublisher that records what it would publish (the published subset, as the real ones do). */
export class RecordingEventPublisher implements EventPublisher {
  readonly alarms: { machine_id: string; event: AlarmEvent }[] = [];
  readonly shadows = new Map<string, Readonly<Record<string, unknown>>>();

  async publishAlarmEvents(machineId: string, events: readonly AlarmEvent[]): Promise<void> {
    for (const event of publishedAlarmEvents(events)) this.alarms.push({ machine_id: machineId, event });
  }

  async updateHealthShadow(machineId: string, reported: Readonly<Record<string, unknown>>): Promise<void> {
    this.shadows.set(machineId, structuredClone(reported));
  }
}
