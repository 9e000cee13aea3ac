/**
 * MQTT transport for the simulated devices: one connection per device, the client id being the thing
 * name (what an AWS IoT Core policy with `iot:Connection.Thing.ThingName` expects), QoS 1, and an
 * offline queue so a broker restart loses nothing.
 *
 * The queue is MQTT.js's outgoing store: every QoS 1 publish stays in it until the broker acknowledges
 * it, and everything still in it is resent after a reconnect (test/simulator/publisher.test.ts restarts
 * a broker mid-run to prove it). MQTT.js reconnects at a fixed period; we reconnect ourselves instead,
 * with exponential backoff and jitter, handing the client its own stores so the queue survives.
 * At-least-once: a message whose acknowledgement was lost is sent again; consumers dedupe on
 * (machine_id, seq).
 */
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { deviceTopicOf } from '../lambdas/core/ingest-rules.js';

export interface MqttTarget {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883 (the default) or mqtts://host:8883. */
  readonly url?: string;
  /** AWS IoT Core data endpoint (xxxxxxxx-ats.iot.<region>.amazonaws.com): MQTT over TLS on port 8883. */
  readonly endpoint?: string;
  /** PEM files of the device certificate, its key and the CA; `{machine_id}` in a path is the thing name. */
  readonly cert?: string;
  readonly key?: string;
  readonly ca?: string;
  /** Client id of a device (default: the machine id, i.e. the thing name). */
  readonly clientId?: (machineId: string) => string;
  /**
   * Unacknowledged messages per device before new ones are dropped (counted, never silent). MQTT packet
   * ids are 16-bit, so the queue must stay below 65535 per connection.
   */
  readonly maxQueuePerDevice?: number;
  /** Reconnect backoff: first delay, doubled per failed attempt up to the maximum (± jitter). */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  readonly connectTimeoutMs?: number;
}

export const DEFAULT_BROKER = 'mqtt://127.0.0.1:1883';
const NEVER_MS = 2_147_483_647;

/** A message refused because the device's offline queue is full. */
export class QueueFullError extends Error {
  constructor(machineId: string, limit: number) {
    super(
      `${machineId}: ${limit} messages await acknowledgement; dropping new ones until the broker is back`,
    );
    this.name = 'QueueFullError';
  }
}

export interface DeviceConnectionEvent {
  readonly machineId: string;
  /** connected: (re)connected; offline: a connection was lost (once per outage); reconnecting: an attempt. */
  readonly event: 'connected' | 'offline' | 'reconnecting' | 'error';
  readonly detail?: string;
}

export interface MqttPublisher {
  /** Publishes with QoS 1; resolves when the broker acknowledged the message. */
  publish(topic: string, payload: string): Promise<void>;
  /** True once every device connected (at least once), false if `timeoutMs` passed first. */
  waitConnected(timeoutMs: number): Promise<boolean>;
  /** Devices connected right now. */
  connected(): number;
  /** Messages awaiting acknowledgement, all devices. */
  queued(): number;
  readonly reconnects: () => number;
  /** Closes every connection; `force` drops what is still queued. */
  close(force?: boolean): Promise<void>;
}

function readPem(path: string | undefined, machineId: string): Buffer | undefined {
  return path === undefined ? undefined : readFileSync(path.replaceAll('{machine_id}', machineId));
}

/** Machine id from a device topic, flexotwin/{machine_id}/…, also when published for Basic Ingest. */
function machineOf(topic: string): string | undefined {
  return deviceTopicOf(topic).split('/')[1];
}

export function createMqttPublisher(
  machineIds: readonly string[],
  target: MqttTarget = {},
  onEvent: (e: DeviceConnectionEvent) => void = () => {},
): MqttPublisher {
  if (target.endpoint !== undefined && target.url !== undefined) {
    throw new Error('give either a broker URL or an IoT Core endpoint, not both');
  }
  if (target.endpoint !== undefined && (target.cert === undefined || target.key === undefined)) {
    throw new Error(
      'AWS IoT Core needs the device certificate and key (--cert, --key; --ca for the Amazon root CA)',
    );
  }
  const url =
    target.endpoint !== undefined ? `mqtts://${target.endpoint}:8883` : (target.url ?? DEFAULT_BROKER);
  if (!/^(mqtts?|tcp|ssl|wss?):\/\/[^/]+/.test(url)) {
    throw new Error(`"${url}" is not a broker URL (e.g. mqtt://127.0.0.1:1883 or mqtts://host:8883)`);
  }
  const maxQueue = target.maxQueuePerDevice ?? 20_000;
  const minDelay = target.reconnectMinMs ?? 500;
  const maxDelay = target.reconnectMaxMs ?? 30_000;
  let reconnects = 0;
  let closing = false;

  interface Device {
    readonly client: MqttClient;
    queued: number;
    everConnected: boolean;
    attempts: number;
    timer: NodeJS.Timeout | undefined;
  }
  const devices = new Map<string, Device>();
  const waiters = new Set<() => void>();

  // Every device's options first: a missing certificate fails before any connection is opened.
  const deviceOptions = machineIds.map((machineId): [string, IClientOptions] => [
    machineId,
    {
      clientId: target.clientId?.(machineId) ?? machineId,
      clean: true,
      protocolVersion: 4,
      keepalive: 30,
      connectTimeout: target.connectTimeoutMs ?? 10_000,
      // Our own backoff reconnects (below); MQTT.js's fixed-period timer is pushed out of the way.
      reconnectPeriod: NEVER_MS,
      queueQoSZero: false,
      cert: readPem(target.cert, machineId),
      key: readPem(target.key, machineId),
      ca: readPem(target.ca, machineId),
    },
  ]);
  for (const [machineId, options] of deviceOptions) {
    const client = mqtt.connect(url, options);
    const device: Device = { client, queued: 0, everConnected: false, attempts: 0, timer: undefined };
    devices.set(machineId, device);
    client.on('connect', () => {
      device.attempts = 0;
      device.everConnected = true;
      onEvent({ machineId, event: 'connected' });
      for (const wake of waiters) wake();
    });
    client.on('error', (error) => onEvent({ machineId, event: 'error', detail: error.message }));
    client.on('close', () => {
      if (closing || device.timer !== undefined) return;
      // 'offline' once per outage (a failed reconnect closes again: that is an 'error', not news).
      if (device.attempts === 0) onEvent({ machineId, event: 'offline' });
      const delay = Math.min(maxDelay, minDelay * 2 ** device.attempts) * (0.5 + Math.random() / 2);
      device.attempts++;
      device.timer = setTimeout(() => {
        device.timer = undefined;
        if (closing) return;
        reconnects++;
        onEvent({ machineId, event: 'reconnecting', detail: `attempt ${device.attempts}` });
        // The same stores: what was queued while offline is sent once connected.
        client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
      }, delay);
    });
  }

  const allConnected = () => [...devices.values()].every((d) => d.everConnected);

  return {
    publish(topic, payload) {
      const machineId = machineOf(topic) ?? '';
      const device = devices.get(machineId);
      if (device === undefined) return Promise.reject(new Error(`no device connection for topic ${topic}`));
      if (device.queued >= maxQueue) return Promise.reject(new QueueFullError(machineId, maxQueue));
      device.queued++;
      return new Promise((resolve, reject) => {
        device.client.publish(topic, payload, { qos: 1 }, (error) => {
          device.queued--;
          if (error) reject(error);
          else resolve();
        });
      });
    },
    waitConnected(timeoutMs) {
      if (allConnected()) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (ok: boolean) => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(ok);
        };
        const check = () => {
          if (allConnected()) done(true);
        };
        const timer = setTimeout(() => done(false), timeoutMs);
        waiters.add(check);
      });
    },
    connected: () => [...devices.values()].filter((d) => d.client.connected).length,
    queued: () => [...devices.values()].reduce((sum, d) => sum + d.queued, 0),
    reconnects: () => reconnects,
    async close(force = false) {
      closing = true;
      await Promise.all(
        [...devices.values()].map((d) => {
          clearTimeout(d.timer);
          return d.client.endAsync(force || !d.client.connected);
        }),
      );
    },
  };
}
