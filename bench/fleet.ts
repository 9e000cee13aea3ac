/**
 * The fleet workload the processor, end-to-end and cost sections share: the project's own simulator
 * (simulator/fleet.ts, virtual clock) driving N machines, each publishing on every 5 s tick its
 * telemetry and its production status, as the original did — so "1 message/5 s per machine" of the
 * issue is one device tick, i.e. two MQTT messages. The messages are cut into SQS batches the way the
 * Lambda event source does it: a batch closes when it holds `batchSize` messages or when `windowMs`
 * has passed since its first message, whichever comes first.
 */
import type { SQSEvent } from 'aws-lambda';
import { generateHistory, startFleet } from '../simulator/index.js';
import { type Published, sqsRecord } from '../test/support/sqs.js';

export interface FleetMessage {
  readonly topic: string;
  readonly kind: 'telemetry' | 'production';
  readonly payload: string;
  /** When it was published (the device's clock, live mode): the IoT rule's timestamp(). */
  readonly at: number;
}

export interface FleetOptions {
  readonly machines: number;
  /** Wall time of traffic to produce. */
  readonly durationMs: number;
  /** Between two ticks of a device (default 5000, the simulator's and the original's). */
  readonly intervalMs?: number;
  readonly seed?: number;
  /** Wall time of the first tick (default FLEET_START). */
  readonly startTime?: number;
}

/** A fixed start, so every run replays the same traffic (a weekday morning shift). */
export const FLEET_START = Date.UTC(2025, 9, 23, 6, 0, 0);

/** Traffic of a simulated fleet, in publish order. */
export async function fleetTraffic(options: FleetOptions): Promise<FleetMessage[]> {
  const history = generateHistory({ machines: options.machines, months: 1, from: '2025-10-01', seed: 1 });
  const out: FleetMessage[] = [];
  const fleet = startFleet({
    history,
    clock: 'virtual',
    startTime: options.startTime ?? FLEET_START,
    durationMs: options.durationMs,
    intervalMs: options.intervalMs ?? 5000,
    seed: options.seed ?? 1,
    publish: async () => {},
    onMessage: (m) =>
      out.push({ topic: m.topic, kind: m.kind, payload: m.payload, at: Date.parse(m.message.ts) }),
  });
  await fleet.done;
  return out.sort((a, b) => a.at - b.at);
}

export interface Batch {
  readonly messages: readonly FleetMessage[];
  /** When the event source hands the batch to the function: the handler's clock. */
  readonly closedAt: number;
}

/** Cuts publish-ordered traffic into event-source batches (size or window, whichever comes first). */
export function batchesOf(traffic: readonly FleetMessage[], batchSize: number, windowMs: number): Batch[] {
  const batches: Batch[] = [];
  let current: FleetMessage[] = [];
  let opened = 0;
  for (const m of traffic) {
    if (current.length > 0 && m.at >= opened + windowMs) {
      batches.push({ messages: current, closedAt: opened + windowMs });
      current = [];
    }
    if (current.length === 0) opened = m.at;
    current.push(m);
    if (current.length === batchSize) {
      batches.push({ messages: current, closedAt: m.at });
      current = [];
    }
  }
  if (current.length > 0) batches.push({ messages: current, closedAt: opened + windowMs });
  return batches;
}

/** Consecutive slices of `size` messages (the fixed batch sizes of the per-message timing). */
export function slicesOf(traffic: readonly FleetMessage[], size: number): Batch[] {
  const batches: Batch[] = [];
  for (let i = 0; i + size <= traffic.length; i += size) {
    const messages = traffic.slice(i, i + size);
    batches.push({ messages, closedAt: (messages.at(-1) as FleetMessage).at + 1000 });
  }
  return batches;
}

let recordCounter = 0;

/** The SQS event of a batch: each body as the IoT rule projects it (test/support/sqs.ts, applyRule). */
export function sqsEventOf(batch: Batch): SQSEvent {
  return {
    Records: batch.messages.map((m) => {
      const published: Published = {
        id: `m-${++recordCounter}`,
        kind: m.kind,
        topic: m.topic,
        payload: m.payload,
        receivedAt: m.at,
      };
      return sqsRecord(published);
    }),
  };
}
