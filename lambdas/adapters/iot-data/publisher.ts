/**
 * EventPublisher over the AWS IoT data plane: alarm events are published (QoS 1) to
 * flexotwin/{machine_id}/anomalies, the twin state goes to the named shadow `health` of the machine's thing.
 */
import {
  type IoTDataPlaneClient,
  PublishCommand,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import type { AlarmEvent } from '../../core/anomaly/alarm.js';
import { HEALTH_SHADOW, topics } from '../../core/ingest-rules.js';
import type { EventPublisher } from '../../core/ports.js';
import { alarmEventPayload, publishedAlarmEvents, shadowUpdatePayload } from '../events.js';

const encoder = new TextEncoder();

export class IotDataEventPublisher implements EventPublisher {
  constructor(private readonly iot: IoTDataPlaneClient) {}

  async publishAlarmEvents(machineId: string, events: readonly AlarmEvent[]): Promise<void> {
    // In order, one at a time: subscribers see raised before cleared.
    for (const event of publishedAlarmEvents(events)) {
      await this.iot.send(
        new PublishCommand({
          topic: topics.anomalies(machineId),
          qos: 1,
          payload: encoder.encode(alarmEventPayload(event)),
          contentType: 'application/json',
        }),
      );
    }
  }

  async updateHealthShadow(machineId: string, reported: Readonly<Record<string, unknown>>): Promise<void> {
    await this.iot.send(
      new UpdateThingShadowCommand({
        thingName: machineId,
        shadowName: HEALTH_SHADOW,
        payload: encoder.encode(shadowUpdatePayload(reported)),
      }),
    );
  }
}
