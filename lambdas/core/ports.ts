/**
 * Ports: what the handlers need from the outside world, as interfaces. Adapters in lambdas/adapters/
 * implement them for AWS (Timestream, DynamoDB, S3, IoT data plane) and for the local runtime; tests
 * pass real local adapters or in-memory ones. Nothing here does I/O.
 */
import type { AckResult, Alarm, AlarmEvent, AlarmState } from './anomaly/alarm.js';
import type { Component } from './fmea.js';
import type { MachineState } from './machine.js';
import type { MessageKind, ProductionMessage, TelemetryMessage } from './messages.js';

// ---------------------------------------------------------------------------------------------- time series

export interface WriteReport {
  readonly written: number;
  /** Records the store refused (e.g. Timestream RejectedRecords), with its reason: the caller quarantines them. */
  readonly rejected: readonly {
    readonly machine_id: string;
    readonly seq: number;
    readonly reason: string;
  }[];
}

export interface TelemetryQuery {
  readonly machine_id: string;
  /** Epoch ms, inclusive. */
  readonly from: number;
  /** Epoch ms, exclusive. */
  readonly to: number;
  /** Only these sensors; all when absent. */
  readonly sensors?: readonly string[];
  /** Bucket width in ms for avg/min/max aggregation; raw points when absent. */
  readonly interval_ms?: number;
  /** Raw queries: page size and continuation. */
  readonly limit?: number;
  readonly cursor?: string;
}

export interface TelemetryPoint {
  readonly ts: number;
  readonly seq: number;
  readonly sensors: Readonly<Record<string, number>>;
}

export interface SensorAggregate {
  readonly avg: number;
  readonly min: number;
  readonly max: number;
  readonly count: number;
}

export interface TelemetryBucket {
  /** Bucket start, epoch ms. */
  readonly ts: number;
  readonly sensors: Readonly<Record<string, SensorAggregate>>;
}

export type TelemetrySeries =
  | { readonly kind: 'raw'; readonly points: readonly TelemetryPoint[]; readonly next_cursor?: string }
  | {
      readonly kind: 'aggregated';
      readonly interval_ms: number;
      readonly buckets: readonly TelemetryBucket[];
    };

export interface ProductionQuery {
  readonly machine_id: string;
  readonly from: number;
  readonly to: number;
}

export interface TimeSeriesStore {
  /** Idempotent per (machine_id, ts, seq): writing the same reading twice stores it once. */
  writeTelemetry(messages: readonly TelemetryMessage[]): Promise<WriteReport>;
  writeProduction(messages: readonly ProductionMessage[]): Promise<WriteReport>;
  queryTelemetry(query: TelemetryQuery): Promise<TelemetrySeries>;
  queryProduction(query: ProductionQuery): Promise<ProductionMessage[]>;
}

// ---------------------------------------------------------------------------------------------- raw archive

export interface RawBatchObject {
  readonly kind: MessageKind;
  readonly machine_id: string;
  /** Start of the hour (UTC, epoch ms) the records belong to. */
  readonly hour: number;
  /** Derived from the batch's record ids, so a retried batch overwrites its own object. */
  readonly batch_id: string;
  /** One original payload per line (JSONL), as received. */
  readonly lines: readonly string[];
}

export interface QuarantinedMessage {
  readonly record_id: string;
  readonly received_at: number;
  readonly topic: string | null;
  readonly kind: MessageKind | null;
  readonly reasons: readonly string[];
  /** The payload as received (text; base64 if it was not valid UTF-8). */
  readonly payload: string;
}

export interface RawArchive {
  /** Stores one gzip JSONL object; returns its key. */
  putRawBatch(batch: RawBatchObject): Promise<string>;
  /** Stores the batch's refused messages with their reasons; returns the key. */
  putQuarantine(
    batchId: string,
    receivedAt: number,
    messages: readonly QuarantinedMessage[],
  ): Promise<string>;
}

// ---------------------------------------------------------------------------------------------- FMEA components

export type ComponentRatings = Partial<Pick<Component, 'severity' | 'occurrence' | 'detection'>>;

export interface ComponentStore {
  list(): Promise<Component[]>;
  get(name: string): Promise<Component | undefined>;
  /** Updates S/O/D; undefined when no such component. */
  updateRatings(name: string, ratings: ComponentRatings): Promise<Component | undefined>;
  /** Inserts the components that do not exist yet (never overwrites an engineer's edits); returns how many. */
  seed(components: readonly Component[]): Promise<number>;
}

// ---------------------------------------------------------------------------------------------- alarms

export interface AlarmQuery {
  readonly machine_id?: string;
  /** A stored state, or 'active' for both active states. */
  readonly state?: AlarmState | 'active';
  /** Alarms last seen at or after this time (epoch ms). */
  readonly since?: number;
  readonly limit: number;
  readonly cursor?: string;
}

export interface AlarmPage {
  readonly items: Alarm[];
  readonly next_cursor?: string;
}

export interface AnomalyStore {
  /** Applies detector events in order with `applyAlarmEvent` semantics; idempotent. */
  apply(events: readonly AlarmEvent[]): Promise<void>;
  get(alarmId: string): Promise<Alarm | undefined>;
  query(query: AlarmQuery): Promise<AlarmPage>;
  /** undefined when no such alarm. */
  acknowledge(alarmId: string, by: string, at: string): Promise<AckResult | undefined>;
}

// ---------------------------------------------------------------------------------------------- machine state

export interface VersionedMachineState {
  readonly state: MachineState;
  /** Optimistic-concurrency version; 0 is never stored. */
  readonly version: number;
}

/** Another writer saved the machine's state first; the caller retries its batch. */
export class ConcurrentUpdateError extends Error {
  constructor(readonly machineId: string) {
    super(`machine state of ${machineId} was updated concurrently`);
    this.name = 'ConcurrentUpdateError';
  }
}

export interface MachineStateStore {
  get(machineId: string): Promise<VersionedMachineState | undefined>;
  getMany(machineIds: readonly string[]): Promise<Map<string, VersionedMachineState>>;
  /** Saves if the stored version is still `expectedVersion` (undefined: must not exist); returns the new version. */
  put(state: MachineState, expectedVersion: number | undefined): Promise<number>;
  list(): Promise<MachineState[]>;
}

// ---------------------------------------------------------------------------------------------- IoT events

export interface EventPublisher {
  /** Publishes raised/escalated/cleared alarms to flexotwin/{machine_id}/anomalies. */
  publishAlarmEvents(machineId: string, events: readonly AlarmEvent[]): Promise<void>;
  /** Replaces the reported state of the named shadow `health` of the machine's thing. */
  updateHealthShadow(machineId: string, reported: Readonly<Record<string, unknown>>): Promise<void>;
}

// ---------------------------------------------------------------------------------------------- models

export interface StoredModel {
  readonly version: string;
  /** The serialised artifact (see core/forest). */
  readonly body: string;
}

export interface ModelStore {
  latest(): Promise<StoredModel | undefined>;
  put(model: StoredModel): Promise<void>;
}

/**
 * A loaded maintenance-duration model (core/forest builds one from a StoredModel body). The API's
 * POST /api/predict and the health route's auto-triggered prediction use only this.
 */
export interface MaintenancePredictor {
  readonly version: string;
  /** Feature names, in the order the model was trained on. */
  readonly features: readonly string[];
  /** Algorithm, training rows and date range, held-out metrics: shown as `model_info`. */
  readonly info: Readonly<Record<string, unknown>>;
  /** Predicted maintenance duration in hours; throws if a feature is missing. */
  predict(features: Readonly<Record<string, number>>): number;
}

// ---------------------------------------------------------------------------------------------- pagination

/** A continuation token the store did not issue (or that no longer fits the query); the API answers 400. */
export class InvalidCursorError extends Error {
  constructor(message = 'cursor is not valid for this query') {
    super(message);
    this.name = 'InvalidCursorError';
  }
}
