/**
 * EventPublisher for the local runtime: the same topics and payloads as in AWS, through any MQTT publish
 * function (the in-process aedes broker, or an mqtt.js client). There is no shadow service locally, so
 * the shadow document is published, retained, on the named shadow's update topic: a dashboard that
 * subscribes gets the latest twin state at once.
 */
import type { AlarmEvent } from '../../core/anomaly/alarm.js';
import { topics } from '../../core/ingest-rules.js';
import type { EventPublisher } from '../../core/ports.js';
import {
  alarmEventPayload,
  publishedAlarmEvents,
  shadowUpdatePayload,
  shadowUpdateTopic,
} from '../events.js';

export interface PublishOptions {
  readonly qos: 0 | 1;
  readonly retain: boolean;
}

export type PublishFunction = (topic: string, payload: Buffer, options: PublishOptions) => Promise<void>;

/** The part of an aedes broker we use (structural, so this module does not import aedes). */
export interface AedesLike {
  publish(
    packet: { cmd: 'publish'; topic: string; payload: Buffer; qos: 0 | 1; retain: boolean; dup: boolean },
    callback: (error?: Error | null) => void,
  ): void;
}

/** A publish function over an aedes broker instance. */
export function aedesPublish(broker: AedesLike): PublishFunction {
  return (topic, payload, { qos, retain }) =>
    new Promise((resolve, reject) => {
      broker.publish({ cmd: 'publish', topic, payload, qos, retain, dup: false }, (error) =>
        error ? reject(error) : resolve(),
      );
    });
}

export class MqttEventPublisher implements EventPublisher {
  constructor(private readonly publish: PublishFunction) {}

  async publishAlarmEvents(machineId: string, events: readonly AlarmEvent[]): Promise<void> {
    for (const event of publishedAlarmEvents(events)) {
      await this.publish(topics.anomalies(machineId), Buffer.from(alarmEventPayload(event)), {
        qos: 1,
        retain: false,
      });
    }
  }

  async updateHealthShadow(machineId: string, reported: Readonly<Record<string, unknown>>): Promise<void> {
    await this.publish(shadowUpdateTopic(machineId), Buffer.from(shadowUpdatePayload(reported)), {
      qos: 1,
      retain: true,
    });
  }
}
