/**
 * Simulated devices: one per machine, each with its own `seq` counter (strictly increasing across its
 * telemetry and production messages). A device is ticked by the fleet (fleet.ts) with three times:
 * the message time `ts`, and the stretch of history (hPrev, h] the tick covers. It turns them into the
 * messages of DESIGN.md §3:
 *
 * - ModelDevice replays shift reports: the history says whether the machine runs, how fast and what
 *   it produces; the motor model (motor.ts) turns that into sensor readings; faults from the history's
 *   labels or injected on demand act on the motor and are labelled on the message clock.
 * - RecordDevice replays recorded flat sensor records (JSONL) as telemetry, spacing preserved.
 */

import { topics } from '../lambdas/core/ingest-rules.js';
import type { MachineStatus } from '../lambdas/core/messages.js';
import { shiftStart } from '../lambdas/core/oee.js';
import { FLEXO_104_PROFILE } from '../lambdas/core/profiles.js';
import type { Random } from '../lambdas/core/random.js';
import { climateAt } from './environment.js';
import { FAULTS, type FaultLabel, type FaultType, type FaultWindow, makeLabel } from './faults.js';
import type { HistoryRow } from './history.js';
import type { SensorRecord } from './import-jsonl.js';
import { faultKeepsRunning, MotorModel, machineTraits, type SensorReadings } from './motor.js';
import { streamFor } from './seeds.js';
import { HOUR_MS, MINUTE_MS, SHIFT_MINUTES } from './time.js';
import { type Accumulated, MachineTimeline, subtract, TYPICAL_SPEED } from './timeline.js';

export interface TelemetryPayload {
  readonly machine_id: string;
  readonly ts: string;
  readonly seq: number;
  readonly sensors: SensorReadings;
}

export interface ProductionPayload {
  readonly machine_id: string;
  readonly ts: string;
  readonly seq: number;
  readonly status: MachineStatus;
  readonly total_produksi: number;
  readonly produk_cacat: number;
  readonly planned_minutes: number;
  readonly run_minutes: number;
  readonly ideal_rate_ppm: number;
  readonly availability_rate?: number;
  readonly performance_rate?: number;
  readonly quality_rate?: number;
  readonly downtime_reason: string | null;
}

export type OutgoingMessage =
  | {
      readonly kind: 'telemetry';
      readonly topic: string;
      readonly payload: string;
      readonly message: TelemetryPayload;
    }
  | {
      readonly kind: 'production';
      readonly topic: string;
      readonly payload: string;
      readonly message: ProductionPayload;
    };

export interface TickContext {
  /** Message time of this tick (epoch ms). */
  readonly ts: number;
  /** The stretch of history this tick covers: (hPrev, h]. */
  readonly hPrev: number;
  readonly h: number;
  /** Message-clock milliseconds per history millisecond (1 with --history-time, 1/speed live). */
  readonly tsPerHistory: number;
  /** Message-clock time between two ticks of a device. */
  readonly tickTs: number;
  /** Whether the history repeats past its end (live mode), or ends (history time). */
  readonly loop: boolean;
}

export interface MachineSource {
  readonly machineId: string;
  /** The history this source replays: [start, end) on the history clock. */
  readonly start: number;
  readonly end: number;
  tick(ctx: TickContext): OutgoingMessage[];
}

const IDEAL_PPM = FLEXO_104_PROFILE.ideal_rate_ppm;
/** Readings between two replayed history faults: enough for an alarm to clear (debounce 3) and settle. */
const SETTLE_READINGS = 6;
const round2 = (x: number) => Math.round(x * 100) / 100;

function telemetry(machineId: string, ts: number, seq: number, sensors: SensorReadings): OutgoingMessage {
  const message: TelemetryPayload = { machine_id: machineId, ts: new Date(ts).toISOString(), seq, sensors };
  return { kind: 'telemetry', topic: topics.telemetry(machineId), payload: JSON.stringify(message), message };
}

/** The shift so far as the device reports it: cumulative since the start of the shift containing `ts`. */
interface ShiftCounters extends Accumulated {
  shift: number;
}

export interface ModelDeviceOptions {
  readonly machineId: string;
  /** Index in the fleet (0 = C_FL104): picks the machine's traits. */
  readonly index: number;
  readonly seed: number;
  /** This machine's shift rows and fault labels (history clock). */
  readonly rows: readonly HistoryRow[];
  readonly labels: readonly FaultLabel[];
  readonly firstSeq: number;
  readonly onLabel: (label: FaultLabel) => void;
}

export class ModelDevice implements MachineSource {
  readonly machineId: string;
  readonly start: number;
  readonly end: number;
  private readonly timeline: MachineTimeline;
  private readonly motor: MotorModel;
  private readonly random: Random;
  private readonly bearingWear: number;
  private readonly seed: number;
  private seq: number;
  private lastTs: number | undefined;
  private counters: ShiftCounters | undefined;
  /** Faults on the message clock, the latest of them still able to act. */
  private faults: FaultWindow[] = [];
  private readonly pending: {
    type: FaultType;
    sensor: FaultWindow['sensor'];
    durationTs: number;
    resolve: (l: FaultLabel) => void;
  }[] = [];
  /** History labels as [start, end) on the history clock, sorted by start; the next one to activate. */
  private readonly historyFaults: { label: FaultLabel; start: number; end: number }[];
  private next = 0;
  private lap: number | undefined;
  /** When the last history fault's effects are over, on the message clock. */
  private historyFaultsClearAt = Number.NEGATIVE_INFINITY;
  private readonly onLabel: (label: FaultLabel) => void;

  constructor(options: ModelDeviceOptions) {
    this.machineId = options.machineId;
    this.seed = options.seed;
    this.timeline = new MachineTimeline(options.rows, options.labels);
    this.start = this.timeline.start;
    this.end = this.timeline.end;
    this.motor = new MotorModel(
      machineTraits(options.seed, options.index),
      streamFor(options.seed, 'live-motor', options.index),
    );
    this.random = streamFor(options.seed, 'live-production', options.index);
    this.bearingWear = 0.1 + 0.3 * streamFor(options.seed, 'live-wear', options.index).next();
    this.seq = options.firstSeq;
    this.onLabel = options.onLabel;
    this.historyFaults = options.labels
      .map((label) => ({ label, start: Date.parse(label.start), end: Date.parse(label.end) }))
      .sort((a, b) => a.start - b.start);
  }

  /** Queues a fault to start at the device's next tick and last `durationTs` on the message clock. */
  inject(type: FaultType, sensor: FaultWindow['sensor'], durationTs: number): Promise<FaultLabel> {
    return new Promise((resolve) => this.pending.push({ type, sensor, durationTs, resolve }));
  }

  tick(ctx: TickContext): OutgoingMessage[] {
    const { ts, h } = ctx;
    const dt = this.lastTs === undefined ? 0 : ts - this.lastTs;
    this.lastTs = ts;
    this.activateFaults(ctx);
    this.faults = this.faults.filter((f) => f.end > ts - HOUR_MS);

    const moment = this.timeline.momentAt(h);
    const forced = faultKeepsRunning(this.faults, ts);
    const status: MachineStatus = forced ? 'Running' : moment.status;
    const readings = this.motor.step(
      ts,
      dt,
      {
        running: status === 'Running',
        speed: moment.speed > 0 ? moment.speed : TYPICAL_SPEED,
        climate: climateAt(this.seed, h),
        bearingWear: this.bearingWear,
      },
      this.faults,
    );
    const out: OutgoingMessage[] = [telemetry(this.machineId, ts, this.seq++, readings)];

    this.count(ctx);
    const c = this.counters as ShiftCounters;
    const planned = round2(c.planned);
    const run = round2(Math.min(c.run, c.planned));
    const total = Math.floor(c.total);
    const defects = Math.min(total, Math.floor(c.defects));
    const production: ProductionPayload = {
      machine_id: this.machineId,
      ts: new Date(ts).toISOString(),
      seq: this.seq++,
      status,
      total_produksi: total,
      produk_cacat: defects,
      planned_minutes: planned,
      run_minutes: run,
      ideal_rate_ppm: IDEAL_PPM,
      ...(planned > 0 ? { availability_rate: round2((run / planned) * 100) } : {}),
      ...(run > 0 ? { performance_rate: round2(Math.min(100, (total / (IDEAL_PPM * run)) * 100)) } : {}),
      ...(total > 0 ? { quality_rate: round2(((total - defects) / total) * 100) } : {}),
      downtime_reason: status === 'Running' ? null : moment.reason,
    };
    out.push({
      kind: 'production',
      topic: topics.production(this.machineId),
      payload: JSON.stringify(production),
      message: production,
    });
    return out;
  }

  /**
   * Advances the shift counters by what the history accumulated over (hPrev, h], scaled to the message
   * clock, with ±5 % noise on pieces (±20 % on defects) as the original varied its published rates.
   * A new shift on the message clock starts from zero; the very first tick starts as if the device had
   * been reporting since its shift began.
   */
  private count(ctx: TickContext): void {
    const { ts, h, hPrev, tsPerHistory } = ctx;
    const shift = shiftStart(ts);
    const c = this.counters;
    if (c === undefined || c.shift !== shift) {
      const since = (ts - shift) / tsPerHistory;
      const back = subtract(this.timeline.accumulatedAt(h), this.timeline.accumulatedAt(h - since));
      this.counters = {
        shift,
        planned: Math.min(SHIFT_MINUTES, back.planned * tsPerHistory),
        run: back.run * tsPerHistory,
        total: back.total * tsPerHistory,
        defects: back.defects * tsPerHistory,
      };
      return;
    }
    const d = subtract(this.timeline.accumulatedAt(h), this.timeline.accumulatedAt(hPrev));
    const r = this.random;
    c.planned = Math.min(SHIFT_MINUTES, c.planned + d.planned * tsPerHistory);
    c.run = Math.min(c.planned, c.run + d.run * tsPerHistory);
    c.total = Math.min(
      IDEAL_PPM * c.run,
      c.total + d.total * tsPerHistory * Math.max(0, 1 + r.normal(0, 0.05)),
    );
    c.defects = Math.min(c.total, c.defects + d.defects * tsPerHistory * Math.max(0, 1 + r.normal(0, 0.2)));
  }

  /** Starts injected faults and the history's faults whose windows the tick has reached. */
  private activateFaults(ctx: TickContext): void {
    const { ts, h, hPrev, tsPerHistory } = ctx;
    for (const p of this.pending.splice(0)) {
      const fault: FaultWindow = {
        type: p.type,
        sensor: p.sensor,
        start: ts,
        end: ts + p.durationTs,
      };
      this.faults.push(fault);
      const label = makeLabel(this.machineId, fault.type, fault.sensor, fault.start, fault.end, 'injected');
      this.onLabel(label);
      p.resolve(label);
    }
    if (this.historyFaults.length === 0) return;
    const period = this.timeline.end - this.timeline.start;
    this.lap ??= this.timeline.fold(hPrev).lap;
    for (;;) {
      const f = this.historyFaults[this.next];
      if (f === undefined) {
        this.next = 0;
        this.lap++;
        continue;
      }
      const start = f.start + this.lap * period;
      if (start >= h) break;
      const end = f.end + this.lap * period;
      this.next++;
      if (end <= hPrev) continue;
      const toTs = (x: number) => Math.round(ts + (x - h) * tsPerHistory);
      // A fast replay squeezes history faults: each still lasts long enough for the detector to see it,
      // and starts only once the previous one has been over for a few readings, so they stay apart.
      const from = Math.max(toTs(start), this.historyFaultsClearAt);
      const to = Math.max(toTs(end), Math.max(ts, from) + FAULTS[f.label.fault].minReadings * ctx.tickTs);
      this.historyFaultsClearAt = to + SETTLE_READINGS * ctx.tickTs;
      const fault: FaultWindow = {
        type: f.label.fault,
        sensor: f.label.sensor,
        start: from,
        end: to,
      };
      this.faults.push(fault);
      this.onLabel(makeLabel(this.machineId, fault.type, fault.sensor, fault.start, fault.end, 'history'));
    }
  }
}

/** Index of the first record with ts > t (records sorted by ts). */
function firstAfter(records: readonly SensorRecord[], t: number): number {
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((records[mid] as SensorRecord).ts <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Replays recorded flat sensor records of one machine as telemetry. */
export class RecordDevice implements MachineSource {
  readonly start: number;
  readonly end: number;
  private seq: number;

  constructor(
    readonly machineId: string,
    private readonly records: readonly SensorRecord[],
    firstSeq: number,
  ) {
    if (records.length === 0) throw new Error(`no sensor records for ${machineId}`);
    this.start = (records[0] as SensorRecord).ts;
    const last = (records[records.length - 1] as SensorRecord).ts;
    // One typical spacing after the last record, so a lap does not repeat its last instant.
    const spacing = records.length > 1 ? (last - this.start) / (records.length - 1) : MINUTE_MS;
    this.end = last + Math.max(1, Math.round(spacing));
    this.seq = firstSeq;
  }

  tick(ctx: TickContext): OutgoingMessage[] {
    const { ts, h, hPrev, tsPerHistory } = ctx;
    const period = this.end - this.start;
    const out: OutgoingMessage[] = [];
    const firstLap = ctx.loop ? Math.floor((hPrev - this.start) / period) : 0;
    const lastLap = ctx.loop ? Math.floor((h - this.start) / period) : 0;
    for (let lap = firstLap; lap <= lastLap; lap++) {
      const from = hPrev - lap * period;
      const to = h - lap * period;
      for (let i = firstAfter(this.records, from); i < this.records.length; i++) {
        const record = this.records[i] as SensorRecord;
        if (record.ts > to) break;
        const at = Math.round(ts + (record.ts + lap * period - h) * tsPerHistory);
        out.push(telemetry(this.machineId, at, this.seq++, record.sensors));
      }
    }
    return out;
  }
}
