/**
 * One SQS batch, end to end. The outcome is decided per record before anything is reported, so the
 * handler can hand Powertools exactly the records that must come back.
 *
 * Per machine, the writes happen in an order that makes a crash or failure at any point safe to retry:
 *
 *   1. the raw archive — one object per kind and hour, its key derived from the records it holds;
 *   2. time series and alarms (in parallel) — idempotent (keys per reading, per alarm). After the raw
 *      archive, so a reading in the time series is always in the raw archive too;
 *   3. alarm events published (MQTT/IoT) — at-least-once: a retry republishes identical messages;
 *   4. the machine state saved, conditional on the version read — the commit point. Its watermark marks
 *      the readings as detected, so only after everything above is stored;
 *   5. the shadow updated — a "latest value" document; a failure is logged and healed by the next batch.
 *
 * A failure before the commit fails all of that machine's records (SQS redelivers them; detection
 * re-runs from the saved state and yields the same alarms with the same ids). A concurrent writer (the
 * conditional put fails) is handled the same way. A batch delivered twice finds every reading behind
 * the watermark: the state is not written again, nothing is published or counted twice.
 *
 * A reading behind what the state has taken in (the detector's watermark, the latest production
 * snapshot) is a redelivery — SQS again, or an MQTT QoS 1 resend after a lost PUBACK, in a batch of
 * another shape whose raw object has another key — or a late reading. The time series tells them
 * apart (by 2. above, a reading in it is archived): redeliveries are counted as duplicates and written
 * nowhere again; late readings are archived and stored like the others.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as Unit } from '@aws-lambda-powertools/metrics/types';
import type { SQSRecord } from 'aws-lambda';
import { batchIdOf, hourStart } from '../../adapters/s3/layout.js';
import { MAX_RAW_LIMIT } from '../../adapters/time-series-query.js';
import type { AlarmEvent } from '../../core/anomaly/alarm.js';
import { createDetector, type Detector } from '../../core/anomaly/engine.js';
import { defaultRules } from '../../core/anomaly/rules.js';
import type { Component } from '../../core/fmea.js';
import { advanceMachine, type MachineState } from '../../core/machine.js';
import type { MessageKind, ProductionMessage, TelemetryMessage } from '../../core/messages.js';
import {
  type AnomalyStore,
  ConcurrentUpdateError,
  type EventPublisher,
  type MachineStateStore,
  type QuarantinedMessage,
  type RawArchive,
  type TimeSeriesStore,
  type VersionedMachineState,
  type WriteReport,
} from '../../core/ports.js';
import type { MachineProfile } from '../../core/profiles.js';
import { mapLimit } from '../../shared/async.js';
import { type Accepted, decodeRecords } from './decode.js';

export interface ProcessorStores {
  readonly timeSeries: TimeSeriesStore;
  readonly rawArchive: RawArchive;
  readonly anomalies: AnomalyStore;
  readonly machineStates: MachineStateStore;
  readonly publisher: EventPublisher;
}

export interface BatchContext extends ProcessorStores {
  readonly components: () => Promise<readonly Component[]>;
  readonly profileOf: (machineId: string) => {
    profile: MachineProfile;
    shiftOffsetHours: number | undefined;
  };
  readonly detectorOf: (machineId: string) => Detector;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export interface BatchOutcome {
  /** Records SQS must redeliver, with why. */
  readonly failed: Map<string, Error>;
  readonly counts: {
    readonly records: number;
    readonly accepted: number;
    readonly duplicates: number;
    readonly quarantined: number;
    readonly machines: number;
    readonly committed: number;
  };
}

/** Machines processed at once (each is a handful of sequential I/O steps). */
const MACHINE_CONCURRENCY = 8;

/** One detector per machine per container: rules are compiled once, profiles do not change at run time. */
export function detectorCache(profileOf: BatchContext['profileOf']): (machineId: string) => Detector {
  const detectors = new Map<string, Detector>();
  return (machineId) => {
    let detector = detectors.get(machineId);
    if (detector === undefined) {
      const { profile } = profileOf(machineId);
      detector = createDetector(machineId, defaultRules(profile), { debounce: profile.debounce_readings });
      detectors.set(machineId, detector);
    }
    return detector;
  };
}

interface MachineGroup {
  readonly machineId: string;
  readonly items: Accepted[];
}

interface MachineResult {
  readonly machineId: string;
  readonly ok: boolean;
  readonly error?: Error;
  /** Readings already stored by an earlier delivery: written nowhere again, counted as duplicates. */
  readonly redelivered: number;
  /** Readings the time-series store refused (quarantined with the store's reason). */
  readonly rejected: QuarantinedMessage[];
  readonly events: readonly AlarmEvent[];
  readonly state?: MachineState;
  /** Whether the batch changed the stored state (false for a batch already processed). */
  readonly changed: boolean;
  /** Messages newly taken into the twin state (a redelivered one is not counted again). */
  readonly processed: { readonly telemetry: number; readonly production: number };
  readonly committedAt?: number;
}

export async function processBatch(records: readonly SQSRecord[], ctx: BatchContext): Promise<BatchOutcome> {
  const now = ctx.clock();
  const decoded = decodeRecords(records, now);
  const failed = new Map<string, Error>();

  const groups = new Map<string, MachineGroup>();
  for (const item of decoded.accepted) {
    const id = item.message.machine_id;
    let group = groups.get(id);
    if (group === undefined) {
      group = { machineId: id, items: [] };
      groups.set(id, group);
    }
    group.items.push(item);
  }

  let results: MachineResult[] = [];
  if (groups.size > 0) {
    try {
      const [components, states] = await Promise.all([
        ctx.components(),
        ctx.machineStates.getMany([...groups.keys()]),
      ]);
      results = await mapLimit([...groups.values()], MACHINE_CONCURRENCY, (group) =>
        processMachine(group, states.get(group.machineId), components, now, ctx),
      );
    } catch (error) {
      // Loading what every machine needs failed: every accepted record comes back.
      const cause = asError(error);
      ctx.logger.error('batch setup failed; all accepted records will be retried', { error: cause });
      for (const item of decoded.accepted) failed.set(item.recordId, cause);
    }
  }

  const recordsOf = (machineId: string) => groups.get(machineId)?.items ?? [];
  for (const r of results) {
    if (!r.ok)
      for (const item of recordsOf(r.machineId)) failed.set(item.recordId, r.error ?? new Error('failed'));
  }

  const quarantined = [...decoded.quarantined, ...results.flatMap((r) => (r.ok ? r.rejected : []))];
  // Counted once stored: records whose quarantine write fails come back and are counted then.
  let quarantinedStored = quarantined.length;
  if (quarantined.length > 0) {
    const batchId = batchIdOf(quarantined.map((q) => q.record_id));
    try {
      await ctx.rawArchive.putQuarantine(batchId, now, quarantined);
    } catch (error) {
      const cause = asError(error);
      ctx.logger.error('quarantine write failed; the quarantined records will be retried', { error: cause });
      for (const q of quarantined) failed.set(q.record_id, cause);
      quarantinedStored = 0;
    }
  }
  // A duplicate stands or falls with the record it duplicates.
  for (const [duplicate, original] of decoded.duplicates) {
    const cause = failed.get(original);
    if (cause !== undefined) failed.set(duplicate, cause);
  }

  const redelivered = results.reduce((n, r) => n + (r.ok ? r.redelivered : 0), 0);
  emitMetrics(ctx, results, groups, quarantinedStored, decoded.duplicates.size + redelivered, failed);
  return {
    failed,
    counts: {
      records: records.length,
      accepted: decoded.accepted.length,
      duplicates: decoded.duplicates.size + redelivered,
      quarantined: quarantinedStored,
      machines: groups.size,
      committed: results.filter((r) => r.ok).length,
    },
  };
}

async function processMachine(
  group: MachineGroup,
  loaded: VersionedMachineState | undefined,
  components: readonly Component[],
  now: number,
  ctx: BatchContext,
): Promise<MachineResult> {
  const { machineId, items } = group;
  const telemetry: TelemetryMessage[] = [];
  const production: ProductionMessage[] = [];
  for (const item of items) {
    if (item.kind === 'telemetry') telemetry.push(item.message);
    else production.push(item.message);
  }
  // Before advanceMachine, which moves the loaded state on.
  const behind = items.filter((i) => isBehind(i, loaded?.state));
  // A reading after the state's marks is taken in (its counter moves), so the state changes for sure.
  // Only when every reading is behind (a redelivery, or late readings) can it stay the same: then, and
  // only then, a snapshot tells (serialising a state costs more than detecting a machine's batch).
  const before =
    loaded !== undefined && behind.length === items.length ? JSON.stringify(loaded.state) : undefined;
  try {
    const stored = await storedAlready(ctx.timeSeries, machineId, behind);
    const fresh = stored.size === 0 ? items : items.filter((i) => !stored.has(readingId(i)));
    const { profile, shiftOffsetHours } = ctx.profileOf(machineId);
    const result = advanceMachine(loaded?.state, telemetry, production, {
      detector: ctx.detectorOf(machineId),
      components,
      idealRatePpm: profile.ideal_rate_ppm,
      now,
      ...(shiftOffsetHours !== undefined && { shiftOffsetHours }),
    });

    await settleAll(rawObjects(machineId, fresh).map((o) => ctx.rawArchive.putRawBatch(o)));
    const [telemetryReport, productionReport] = await settleAll([
      ctx.timeSeries.writeTelemetry(fresh === items ? telemetry : messagesOf(fresh, 'telemetry')),
      ctx.timeSeries.writeProduction(fresh === items ? production : messagesOf(fresh, 'production')),
      ...(result.events.length > 0 ? [ctx.anomalies.apply(result.events)] : []),
    ]);
    if (result.events.length > 0) await ctx.publisher.publishAlarmEvents(machineId, result.events);

    const changed = before === undefined || JSON.stringify(result.state) !== before;
    if (changed) await ctx.machineStates.put(result.state, loaded?.version);
    const committedAt = ctx.clock();

    if (result.processed.telemetry + result.processed.production > 0 || result.events.length > 0) {
      try {
        await ctx.publisher.updateHealthShadow(machineId, shadowDocument(result.state));
      } catch (error) {
        ctx.logger.warn('shadow update failed; the next batch of this machine repairs it', {
          machine_id: machineId,
          error: asError(error),
        });
        ctx.metrics.addMetric('ShadowUpdatesFailed', MetricUnit.Count, 1);
      }
    }
    return {
      machineId,
      ok: true,
      redelivered: items.length - fresh.length,
      rejected: [
        ...quarantineRejected(items, 'telemetry', telemetryReport as WriteReport),
        ...quarantineRejected(items, 'production', productionReport as WriteReport),
      ],
      events: changed ? result.events : [],
      state: result.state,
      changed,
      processed: result.processed,
      committedAt,
    };
  } catch (error) {
    const cause = asError(error);
    if (cause instanceof ConcurrentUpdateError) {
      ctx.logger.warn('machine state changed concurrently; its records will be retried', {
        machine_id: machineId,
      });
      ctx.metrics.addMetric('ConcurrentUpdates', MetricUnit.Count, 1);
    } else {
      ctx.logger.error('machine failed; its records will be retried', {
        machine_id: machineId,
        error: cause,
      });
    }
    return {
      machineId,
      ok: false,
      redelivered: 0,
      error: cause,
      rejected: [],
      events: [],
      changed: false,
      processed: { telemetry: 0, production: 0 },
    };
  }
}

const readingId = (i: Accepted) => `${i.kind}|${i.message.ts}|${i.message.seq}`;

/** Whether the state has taken in a reading at or after this one (so this one is no longer detected). */
function isBehind(item: Accepted, state: MachineState | undefined): boolean {
  if (state === undefined) return false;
  const { ts, seq } = item.message;
  const mark =
    item.kind === 'telemetry'
      ? { ts: state.detector.watermark_ts, seq: state.detector.watermark_seq }
      : state.shift;
  return mark !== null && (ts < mark.ts || (ts === mark.ts && seq <= mark.seq));
}

/** Which of these readings the time series holds (read over their time range; they are few, if any). */
async function storedAlready(
  store: TimeSeriesStore,
  machineId: string,
  behind: readonly Accepted[],
): Promise<ReadonlySet<string>> {
  const found = new Set<string>();
  for (const kind of ['telemetry', 'production'] as const) {
    const of = behind.filter((i) => i.kind === kind);
    if (of.length === 0) continue;
    const from = of.reduce((t, i) => Math.min(t, i.message.ts), Number.POSITIVE_INFINITY);
    const to = of.reduce((t, i) => Math.max(t, i.message.ts), 0) + 1;
    const add = (p: { ts: number; seq: number }) => found.add(`${kind}|${p.ts}|${p.seq}`);
    if (kind === 'production') {
      for (const p of await store.queryProduction({ machine_id: machineId, from, to })) add(p);
      continue;
    }
    let cursor: string | undefined;
    do {
      const page = await store.queryTelemetry({
        machine_id: machineId,
        from,
        to,
        limit: MAX_RAW_LIMIT,
        ...(cursor === undefined ? {} : { cursor }),
      });
      if (page.kind === 'raw') for (const p of page.points) add(p);
      cursor = page.kind === 'raw' ? page.next_cursor : undefined;
    } while (cursor !== undefined);
  }
  return found;
}

function messagesOf(items: readonly Accepted[], kind: 'telemetry'): TelemetryMessage[];
function messagesOf(items: readonly Accepted[], kind: 'production'): ProductionMessage[];
function messagesOf(items: readonly Accepted[], kind: MessageKind) {
  return items.filter((i) => i.kind === kind).map((i) => i.message);
}

/** Awaits every promise (so none is left running), then throws the first failure if any. */
async function settleAll(promises: readonly Promise<unknown>[]): Promise<unknown[]> {
  const settled = await Promise.allSettled(promises);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value);
}

/** One raw object per (kind, hour) of this machine's records, lines in (ts, seq) order. */
function rawObjects(machineId: string, items: readonly Accepted[]) {
  const objects = new Map<string, { kind: MessageKind; hour: number; items: Accepted[] }>();
  for (const item of items) {
    const hour = hourStart(item.message.ts);
    const key = `${item.kind}|${hour}`;
    const o = objects.get(key);
    if (o === undefined) objects.set(key, { kind: item.kind, hour, items: [item] });
    else o.items.push(item);
  }
  return [...objects.values()].map(({ kind, hour, items: list }) => {
    const sorted = [...list].sort(
      (a, b) =>
        a.message.ts - b.message.ts || a.message.seq - b.message.seq || (a.recordId < b.recordId ? -1 : 1),
    );
    return {
      kind,
      machine_id: machineId,
      hour,
      batch_id: batchIdOf(sorted.map((i) => i.recordId)),
      lines: sorted.map((i) => i.text),
    };
  });
}

function quarantineRejected(
  items: readonly Accepted[],
  kind: MessageKind,
  report: WriteReport,
): QuarantinedMessage[] {
  if (report.rejected.length === 0) return [];
  return report.rejected.flatMap((r) =>
    items
      .filter((i) => i.kind === kind && i.message.seq === r.seq && i.message.machine_id === r.machine_id)
      .map((i) => ({
        record_id: i.recordId,
        received_at: i.receivedAt,
        topic: i.topic,
        kind,
        reasons: [r.reason],
        payload: i.text,
      })),
  );
}

/** The reported state of the named shadow `health`: what a dashboard or a device needs at a glance. */
export function shadowDocument(state: MachineState): Record<string, unknown> {
  return {
    machine_id: state.machine_id,
    status: state.status,
    last_seen: state.last_seen > 0 ? new Date(state.last_seen).toISOString() : null,
    health:
      state.health === null
        ? null
        : {
            health_index: state.health.health_index,
            status: state.health.status,
            color: state.health.color,
            worst_component: state.health.worst_component,
            components: state.health.components.map((c) => ({
              component_name: c.component_name,
              health_index: c.health_index,
              status: c.status,
            })),
          },
    oee:
      state.oee === null
        ? null
        : {
            availability: state.oee.availability,
            performance: state.oee.performance,
            quality: state.oee.quality,
            oee: state.oee.oee,
          },
    active_alarms: state.recent_alarms
      .filter((a) => a.state !== 'cleared')
      .map((a) => ({ alarm_id: a.alarm_id, sensor: a.sensor, category: a.category, severity: a.severity })),
    last_telemetry: state.last_telemetry,
  };
}

/**
 * One single-metric instance per Metrics, for as long as the container lives: each addMetric publishes
 * its document and clears the dimensions, so reusing it emits exactly what a fresh one per metric would —
 * without constructing a Metrics (environment reads, a Console) per metric, or per batch, which cost more
 * than a small batch's detection itself (npm run bench, processor section).
 */
const singleMetrics = new WeakMap<Metrics, Metrics>();

function singleMetricOf(metrics: Metrics): Metrics {
  let one = singleMetrics.get(metrics);
  if (one === undefined) {
    one = metrics.singleMetric();
    singleMetrics.set(metrics, one);
  }
  return one;
}

function emitMetrics(
  ctx: BatchContext,
  results: readonly MachineResult[],
  groups: ReadonlyMap<string, MachineGroup>,
  quarantined: number,
  duplicates: number,
  failed: ReadonlyMap<string, Error>,
): void {
  const { metrics } = ctx;
  const single = (name: string, unit: Unit, value: number, dimensions: Record<string, string>) => {
    const one = singleMetricOf(metrics);
    for (const [k, v] of Object.entries(dimensions)) one.addDimension(k, v);
    one.addMetric(name, unit, value);
  };
  const byKind: Record<MessageKind, number> = { telemetry: 0, production: 0 };
  for (const r of results) {
    byKind.telemetry += r.processed.telemetry;
    byKind.production += r.processed.production;
  }
  for (const kind of ['telemetry', 'production'] as const) {
    if (byKind[kind] > 0) single('Messages', MetricUnit.Count, byKind[kind], { kind });
  }
  metrics.addMetric('MessagesQuarantined', MetricUnit.Count, quarantined);
  metrics.addMetric('MessagesDuplicate', MetricUnit.Count, duplicates);
  metrics.addMetric('RecordsFailed', MetricUnit.Count, failed.size);

  // Counted once: a machine's events count only when its state (the watermark) was committed.
  const anomalies = new Map<string, number>();
  for (const r of results) {
    let raised = 0;
    for (const e of r.events) {
      if (e.type !== 'raised' && e.type !== 'escalated') continue;
      const key = `${e.alarm.category}|${e.alarm.severity}`;
      anomalies.set(key, (anomalies.get(key) ?? 0) + 1);
      raised++;
    }
    // The same count per machine, for the dashboard's "anomalies by machine".
    if (raised > 0) single('AnomaliesByMachine', MetricUnit.Count, raised, { machine_id: r.machineId });
  }
  for (const [key, n] of anomalies) {
    const [category = '', severity = ''] = key.split('|');
    single('Anomalies', MetricUnit.Count, n, { category, severity });
  }

  // The worst machine's health per component, fleet-wide: fifteen metrics for the whole fleet, not
  // fifteen per machine ($0.30 each a month: more than a device's messages cost, docs/PERFORMANCE.md §6),
  // one value each per batch. The dashboard's 5-minute minimum over every invocation's values is the
  // fleet's worst. Which machine it is, and every machine's components: the components table, the API,
  // the "health" shadow.
  const worstComponent = new Map<string, number>();
  for (const r of results) {
    if (!r.ok || !r.changed || r.committedAt === undefined) continue;
    for (const item of groups.get(r.machineId)?.items ?? []) {
      metrics.addMetric(
        'ProcessingLatency',
        MetricUnit.Milliseconds,
        Math.max(0, r.committedAt - item.receivedAt),
      );
    }
    const health = r.state?.health;
    if (health == null) continue;
    // Every committed batch reports its machine's health, changed or not: the "health critical" alarm
    // needs a steady signal while the machine reports (silence is the ingest-stalled alarm's concern).
    single('HealthIndex', MetricUnit.NoUnit, health.health_index, { machine_id: r.machineId });
    // Changed or not, like HealthIndex: a worst machine whose health holds steady must stay the minimum.
    for (const c of health.components) {
      const worst = worstComponent.get(c.component_name);
      if (worst === undefined || c.health_index < worst) worstComponent.set(c.component_name, c.health_index);
    }
  }
  for (const [component, value] of worstComponent)
    single('ComponentHealthIndex', MetricUnit.NoUnit, value, { component });
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
