/**
 * One machine's digital-twin state and the pure step that advances it with a batch of its messages:
 * detection, the current shift's OEE, the alarms of the last 24 h and the health summary. The processor
 * loads the state, calls `advanceMachine`, and saves the result; the same step runs in the benchmark.
 *
 * Health is recomputed only when one of its inputs changed (alarms, OEE, the 24 h window, the FMEA
 * table), because it is fifteen component evaluations and most batches change none of them.
 */
import type { AlarmEvent } from './anomaly/alarm.js';
import { type Detector, type DetectorState, initialDetectorState } from './anomaly/engine.js';
import type { Severity } from './anomaly/rules.js';
import { type Component, DYNAMIC_RPN_WINDOW_MS, rpn } from './fmea.js';
import { type AlarmForHealth, type MachineHealth, machineHealth } from './health.js';
import type { MachineStatus, ProductionMessage, TelemetryMessage } from './messages.js';
import { computeShiftOee, type Oee, type ProductionSnapshot, shiftStart } from './oee.js';

/** What health needs to remember of an alarm for 24 h after it cleared. */
export interface RecentAlarm extends AlarmForHealth {
  alarm_id: string;
  severity: Severity;
  /** Epoch ms it cleared (null while active): the 24 h window is checked without parsing dates. */
  cleared_ms: number | null;
}

export interface MachineState {
  machine_id: string;
  detector: DetectorState;
  status: MachineStatus | null;
  /** The newest production snapshot and the shift it belongs to. */
  shift: (ProductionSnapshot & { shift_start: number; status: MachineStatus; seq: number }) | null;
  oee: Oee | null;
  /** Newest telemetry reading (epoch ms) and its values. */
  last_telemetry: { ts: number; seq: number; sensors: Record<string, number> } | null;
  /** Epoch ms of the newest message of either kind. */
  last_seen: number;
  recent_alarms: RecentAlarm[];
  health: MachineHealth | null;
  /** RPNs of the FMEA table the health was computed with; a change to S/O/D forces a recompute. */
  health_rpn_key: string;
  counters: { telemetry: number; production: number };
}

export interface AdvanceContext {
  readonly detector: Detector;
  readonly components: readonly Component[];
  readonly idealRatePpm: number;
  /** Wall clock, epoch ms: the 24 h window of the dynamic RPN ends here. */
  readonly now: number;
  readonly shiftOffsetHours?: number;
}

export interface AdvanceResult {
  readonly state: MachineState;
  readonly events: AlarmEvent[];
  readonly healthChanged: boolean;
  readonly processed: { telemetry: number; production: number };
  readonly skipped: number;
}

export function initialMachineState(machineId: string): MachineState {
  return {
    machine_id: machineId,
    detector: initialDetectorState(machineId),
    status: null,
    shift: null,
    oee: null,
    last_telemetry: null,
    last_seen: 0,
    recent_alarms: [],
    health: null,
    health_rpn_key: '',
    counters: { telemetry: 0, production: 0 },
  };
}

const rpnKeys = new WeakMap<readonly Component[], string>();

/** A fingerprint of the table's RPNs, cached per table (a new table is a new array). */
function rpnKey(components: readonly Component[]): string {
  let key = rpnKeys.get(components);
  if (key === undefined) {
    key = components.map((c) => `${c.component_name}:${rpn(c)}`).join(',');
    rpnKeys.set(components, key);
  }
  return key;
}

/** Folds alarm events into the 24 h list and drops what fell out of the window. Returns whether it changed. */
export function foldRecentAlarms(recent: RecentAlarm[], events: readonly AlarmEvent[], now: number): boolean {
  if (events.length === 0 && recent.length === 0) return false;
  let changed = false;
  for (const { type, alarm } of events) {
    if (type === 'updated') continue;
    const entry: RecentAlarm = {
      alarm_id: alarm.alarm_id,
      sensor: alarm.sensor,
      severity: alarm.severity,
      category: alarm.category,
      state: type === 'cleared' ? 'cleared' : 'active_unacknowledged',
      last_seen: alarm.last_seen,
      cleared_at: alarm.cleared_at,
      cleared_ms: alarm.cleared_at === null ? null : Date.parse(alarm.cleared_at),
    };
    const i = recent.findIndex((r) => r.alarm_id === alarm.alarm_id);
    if (i >= 0) recent[i] = entry;
    else recent.push(entry);
    changed = true;
  }
  const since = now - DYNAMIC_RPN_WINDOW_MS;
  for (let i = recent.length - 1; i >= 0; i--) {
    const cleared = (recent[i] as RecentAlarm).cleared_ms;
    if (cleared !== null && cleared < since) {
      recent.splice(i, 1);
      changed = true;
    }
  }
  return changed;
}

/**
 * Advances `state` (mutated and returned; pass a freshly loaded copy) with one batch of this machine's
 * validated messages. Idempotent: the same batch applied twice changes nothing the second time.
 */
export function advanceMachine(
  stateIn: MachineState | undefined,
  telemetry: readonly TelemetryMessage[],
  production: readonly ProductionMessage[],
  ctx: AdvanceContext,
): AdvanceResult {
  const state = stateIn ?? initialMachineState(machineIdOf(telemetry, production));
  const detection = ctx.detector.run(state.detector, { telemetry, production });
  state.detector = detection.state;
  state.status = detection.state.status;

  let processedProduction = 0;
  let oeeChanged = false;
  // In (ts, seq) order, as the detector reads them: a shuffled batch must count and keep the same snapshots.
  const snapshots =
    production.length < 2 ? production : [...production].sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  for (const m of snapshots) {
    const current = state.shift;
    if (current !== null && (m.ts < current.ts || (m.ts === current.ts && m.seq <= current.seq))) continue;
    processedProduction++;
    state.shift = {
      ts: m.ts,
      seq: m.seq,
      status: m.status,
      shift_start: shiftStart(m.ts, ctx.shiftOffsetHours),
      total_produksi: m.total_produksi,
      produk_cacat: m.produk_cacat,
      planned_minutes: m.planned_minutes,
      run_minutes: m.run_minutes,
      ...(m.ideal_rate_ppm !== undefined && { ideal_rate_ppm: m.ideal_rate_ppm }),
      ...(m.availability_rate !== undefined && { availability_rate: m.availability_rate }),
      ...(m.performance_rate !== undefined && { performance_rate: m.performance_rate }),
      ...(m.quality_rate !== undefined && { quality_rate: m.quality_rate }),
    };
    oeeChanged = true;
  }
  if (oeeChanged && state.shift !== null) state.oee = computeShiftOee(state.shift, ctx.idealRatePpm);

  if (detection.processed > 0) {
    let newest: TelemetryMessage | undefined;
    for (const m of telemetry) {
      if (newest === undefined || m.ts > newest.ts || (m.ts === newest.ts && m.seq > newest.seq)) newest = m;
    }
    const last = state.last_telemetry;
    if (
      newest !== undefined &&
      (last === null || newest.ts > last.ts || (newest.ts === last.ts && newest.seq > last.seq))
    ) {
      state.last_telemetry = { ts: newest.ts, seq: newest.seq, sensors: newest.sensors };
    }
  }
  state.last_seen = Math.max(state.last_seen, state.last_telemetry?.ts ?? 0, state.shift?.ts ?? 0);
  state.counters.telemetry += detection.processed;
  state.counters.production += processedProduction;

  const alarmsChanged = foldRecentAlarms(state.recent_alarms, detection.events, ctx.now);
  const key = rpnKey(ctx.components);
  const healthChanged = alarmsChanged || oeeChanged || state.health === null || key !== state.health_rpn_key;
  if (healthChanged) {
    state.health = machineHealth(ctx.components, state.oee, state.recent_alarms, ctx.now);
    state.health_rpn_key = key;
  }
  return {
    state,
    events: detection.events,
    healthChanged,
    processed: { telemetry: detection.processed, production: processedProduction },
    skipped: detection.skipped,
  };
}

function machineIdOf(
  telemetry: readonly TelemetryMessage[],
  production: readonly ProductionMessage[],
): string {
  const first = telemetry[0] ?? production[0];
  if (first === undefined) throw new Error('advanceMachine needs a state or at least one message');
  return first.machine_id;
}
