/**
 * The anomaly detector: explainable rules (rules.ts) with debounce and hysteresis, run over a machine's
 * readings in time order. Its memory between invocations is a plain JSON value (DetectorState) that the
 * processor loads and saves with the machine's state, so a Lambda can die between two batches.
 *
 * Order safety: readings are sorted by time; repeats of a reading (same ts and seq) are dropped;
 * readings at or before the state's watermark (already processed, or arriving too late to be judged in
 * order) are skipped. Re-running the same batch on the saved state therefore changes nothing.
 */
import type { MachineStatus, ProductionMessage, TelemetryMessage } from '../messages.js';
import { SENSORS } from '../sensors.js';
import type { AlarmEvent, AlarmFacts } from './alarm.js';
import type { RuleSpec, Severity } from './rules.js';

/**
 * Per-rule memory. Short keys: this is stored for every machine on every batch. Every rule state has
 * the same fields in the same order (kind-specific memory lives in `m`), so the hot loop sees one shape.
 */
export interface RuleState {
  /** Consecutive violating readings (warning or worse). */
  n: number;
  /** Consecutive critical readings. */
  nc: number;
  /** Consecutive readings back inside the hysteresis margin while active. */
  ok: number;
  /** Time of the first reading of the current violating run (epoch ms). */
  first: number;
  active: ActiveAlarm | null;
  /** What the rule's kind remembers between readings; null for threshold rules. */
  m: RateMemory | SigmaMemory | StuckMemory | MissingMemory | null;
}

/** Trailing window of a rate rule: times and values from index `s` on, oldest first. */
export interface RateMemory {
  t: number[];
  x: number[];
  /** First live index: points before it have left the window (compacted now and then, not per reading). */
  s: number;
}

/** The last `window` values of a σ rule as a ring: once full, `i` is the next slot to overwrite. */
export interface SigmaMemory {
  x: number[];
  i: number;
}

/** The last value of a stuck rule and how many times in a row it came. */
export interface StuckMemory {
  last: number;
  same: number;
}

/** Whether the sensor ever reported, and in how many messages in a row it has been absent. */
export interface MissingMemory {
  seen: boolean;
  absent: number;
}

export interface ActiveAlarm {
  id: string;
  severity: Severity;
  first_seen: number;
  raised_at: number;
  last_seen: number;
  value: number;
  worst: number;
  threshold: number;
}

export interface DetectorState {
  v: 1;
  machine_id: string;
  /** The newest reading processed: (ts, seq). Anything not after it is skipped. */
  watermark_ts: number;
  watermark_seq: number;
  /** Latest production status, for rules that only apply while Running. */
  status: MachineStatus | null;
  status_ts: number;
  rules: Record<string, RuleState>;
}

export interface DetectionInput {
  readonly telemetry: readonly TelemetryMessage[];
  readonly production?: readonly ProductionMessage[];
}

export interface DetectionResult {
  /** The same object that was passed in (updated), or a new one when none was. */
  readonly state: DetectorState;
  /** In order of occurrence; at most one 'updated' per alarm per run, after its other events. */
  readonly events: AlarmEvent[];
  readonly processed: number;
  /** Duplicates within the input plus readings at or before the watermark. */
  readonly skipped: number;
}

export interface DetectorOptions {
  /** Default readings to raise and to clear, for rules without their own. */
  readonly debounce: number;
}

/** Levels as small integers: violations compare ≥ WARNING. */
const UNKNOWN = 0;
const HOLD = 1;
const NORMAL = 2;
const WARNING = 3;
const CRITICAL = 4;

/** The judged quantity and the crossed threshold of the last evaluation (scratch, never shared). */
const out = { value: 0, threshold: 0 };

const RATE_MAX_SPAN_FACTOR = 5;
const RATE_COMPACT_AFTER = 32;

export function initialDetectorState(machineId: string): DetectorState {
  return {
    v: 1,
    machine_id: machineId,
    watermark_ts: 0,
    watermark_seq: -1,
    status: null,
    status_ts: 0,
    rules: {},
  };
}

function newRuleState(): RuleState {
  return { n: 0, nc: 0, ok: 0, first: 0, active: null, m: null };
}

const BAND = 0;
const RATE = 1;
const SIGMA = 2;
const STUCK = 3;
const MISSING = 4;

const INF = Number.POSITIVE_INFINITY;

/**
 * A rule in one uniform shape, so the hot loop is monomorphic: above, below and outside rules are all
 * bands (absent limits are ±∞); rate and σ rules judge their derived quantity against the high side.
 * A class, not object literals: every instance gets the same hidden class, whatever the rule's kind.
 */
class CompiledRule {
  readonly id: string;
  readonly kind: number;
  readonly critLow: number;
  readonly critHigh: number;
  readonly warnLow: number;
  readonly warnHigh: number;
  /** Whether reaching a limit (not only passing it) violates, per side. */
  readonly inclusiveLow: boolean;
  readonly inclusiveHigh: boolean;
  /** Normal (counts towards clearing) iff clearLow ≤ value ≤ clearHigh. */
  readonly clearLow: number;
  readonly clearHigh: number;
  /** Rate: window in ms; σ, stuck, missing: window in readings. */
  readonly window: number;
  readonly requiredStatus: MachineStatus | null;
  readonly debounce: number;
  readonly unit: string;
  /** 'below' rules get worse as the value falls; everything else as it rises or leaves the band. */
  readonly worseIsLower: boolean;

  constructor(
    readonly spec: RuleSpec,
    /** Index into the per-reading value array (one lookup per sensor, not per rule). */
    readonly sensorIndex: number,
    defaultDebounce: number,
  ) {
    this.id = spec.id;
    this.requiredStatus = spec.while_status ?? null;
    this.debounce = spec.debounce ?? defaultDebounce;
    this.unit = unitOf(spec);
    this.worseIsLower = spec.kind === 'below';
    let kind = BAND;
    let critLow = -INF;
    let critHigh = INF;
    let warnLow = -INF;
    let warnHigh = INF;
    let clearLow = -INF;
    let clearHigh = INF;
    let inclusiveLow = false;
    let inclusiveHigh = false;
    let window = 0;
    switch (spec.kind) {
      case 'above':
        critHigh = spec.critical ?? INF;
        warnHigh = spec.warning ?? INF;
        inclusiveHigh = spec.inclusive;
        clearHigh = Math.min(warnHigh, critHigh) - spec.hysteresis;
        break;
      case 'below':
        critLow = spec.critical ?? -INF;
        warnLow = spec.warning ?? -INF;
        inclusiveLow = spec.inclusive;
        clearLow = Math.max(warnLow, critLow) + spec.hysteresis;
        break;
      case 'outside':
        [critLow, critHigh] = spec.critical ?? [-INF, INF];
        [warnLow, warnHigh] = spec.warning ?? [critLow, critHigh];
        clearLow = warnLow + spec.hysteresis;
        clearHigh = warnHigh - spec.hysteresis;
        break;
      case 'rate_of_rise':
      case 'rolling_std':
        kind = spec.kind === 'rate_of_rise' ? RATE : SIGMA;
        critHigh = spec.critical ?? INF;
        warnHigh = spec.warning;
        clearHigh = spec.warning - spec.hysteresis;
        window = spec.kind === 'rate_of_rise' ? spec.window_ms : spec.window;
        break;
      case 'stuck':
      case 'missing':
        kind = spec.kind === 'stuck' ? STUCK : MISSING;
        window = spec.window;
        break;
    }
    this.kind = kind;
    this.critLow = critLow;
    this.critHigh = critHigh;
    this.warnLow = warnLow;
    this.warnHigh = warnHigh;
    this.inclusiveLow = inclusiveLow;
    this.inclusiveHigh = inclusiveHigh;
    this.clearLow = clearLow;
    this.clearHigh = clearHigh;
    this.window = window;
  }
}

/** Judges a value against the rule's band; leaves the value and the crossed limit in `out`. */
function judgeBand(r: CompiledRule, v: number): number {
  out.value = v;
  if (r.inclusiveHigh ? v >= r.critHigh : v > r.critHigh) {
    out.threshold = r.critHigh;
    return CRITICAL;
  }
  if (r.inclusiveLow ? v <= r.critLow : v < r.critLow) {
    out.threshold = r.critLow;
    return CRITICAL;
  }
  if (r.inclusiveHigh ? v >= r.warnHigh : v > r.warnHigh) {
    out.threshold = r.warnHigh;
    return WARNING;
  }
  if (r.inclusiveLow ? v <= r.warnLow : v < r.warnLow) {
    out.threshold = r.warnLow;
    return WARNING;
  }
  return v >= r.clearLow && v <= r.clearHigh ? NORMAL : HOLD;
}

/** Rise per minute over the trailing window, or UNKNOWN while the window does not span enough time. */
function judgeRate(r: CompiledRule, rs: RuleState, v: number, ts: number): number {
  if (rs.m === null) rs.m = { t: [], x: [], s: 0 };
  const memory = rs.m as RateMemory;
  const { t, x } = memory;
  t.push(ts);
  x.push(v);
  // Keep the newest point at or before the window start, so the span covers the whole window.
  const start = ts - r.window;
  let s = memory.s;
  while (s + 1 < t.length && (t[s + 1] as number) <= start) s++;
  // Shifting per reading makes V8 reallocate the arrays; drop the dead prefix in bulk instead.
  if (s >= RATE_COMPACT_AFTER) {
    t.splice(0, s);
    x.splice(0, s);
    s = 0;
  }
  memory.s = s;
  const span = ts - (t[s] as number);
  if (span < r.window / 2 || span > r.window * RATE_MAX_SPAN_FACTOR) return UNKNOWN;
  return judgeBand(r, ((v - (x[s] as number)) / span) * 60_000);
}

/** Population σ of the last `window` readings, or UNKNOWN until the window is full. */
function judgeSigma(r: CompiledRule, rs: RuleState, v: number): number {
  if (rs.m === null) rs.m = { x: [], i: 0 };
  const memory = rs.m as SigmaMemory;
  const x = memory.x;
  const size = r.window;
  if (x.length < size) {
    x.push(v);
    if (x.length < size) return UNKNOWN;
  } else {
    x[memory.i] = v;
    memory.i = (memory.i + 1) % size;
  }
  let mean = 0;
  for (let i = 0; i < size; i++) mean += x[i] as number;
  mean /= size;
  let variance = 0;
  for (let i = 0; i < size; i++) {
    const d = (x[i] as number) - mean;
    variance += d * d;
  }
  return judgeBand(r, Math.sqrt(variance / size));
}

function judgeStuck(r: CompiledRule, rs: RuleState, v: number): number {
  if (rs.m === null) rs.m = { last: v, same: 0 };
  const memory = rs.m as StuckMemory;
  const same = memory.last === v ? memory.same + 1 : 1;
  memory.same = same;
  memory.last = v;
  out.value = same;
  out.threshold = r.window;
  return same >= r.window ? WARNING : NORMAL;
}

function judgeMissing(r: CompiledRule, rs: RuleState, v: number): number {
  if (rs.m === null) rs.m = { seen: false, absent: 0 };
  const memory = rs.m as MissingMemory;
  out.threshold = r.window;
  if (!Number.isNaN(v)) {
    memory.seen = true;
    memory.absent = 0;
    out.value = 0;
    return NORMAL;
  }
  if (!memory.seen) return UNKNOWN;
  const absent = memory.absent + 1;
  memory.absent = absent;
  out.value = absent;
  return absent >= r.window ? WARNING : HOLD;
}

/** Judges one reading (NaN: the sensor is absent) against one rule, updating the rule's memory. */
function judge(r: CompiledRule, rs: RuleState, v: number, ts: number, status: MachineStatus | null): number {
  // Outside its status the condition does not apply: it counts as normal, so an active alarm clears.
  if (r.requiredStatus !== null && status !== r.requiredStatus) {
    out.value = Number.isNaN(v) ? 0 : v;
    out.threshold = 0;
    return NORMAL;
  }
  if (r.kind === MISSING) return judgeMissing(r, rs, v);
  if (Number.isNaN(v)) return UNKNOWN;
  switch (r.kind) {
    case BAND:
      return judgeBand(r, v);
    case RATE:
      return judgeRate(r, rs, v, ts);
    case SIGMA:
      return judgeSigma(r, rs, v);
    default:
      return judgeStuck(r, rs, v);
  }
}

function unitOf(rule: RuleSpec): string {
  const unit = SENSORS[rule.sensor].unit;
  switch (rule.kind) {
    case 'rate_of_rise':
      return `${unit}/min`;
    case 'rolling_std':
      return `${unit} (σ)`;
    case 'stuck':
      return 'readings';
    case 'missing':
      return 'messages';
    default:
      return unit;
  }
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

const format = (value: number) =>
  Math.abs(value) >= 1000 ? Math.round(value).toString() : String(Math.round(value * 100) / 100);

function describe(
  rule: RuleSpec,
  severity: Severity,
  value: number,
  threshold: number,
  unit: string,
): string {
  const label = SENSORS[rule.sensor].label;
  switch (rule.kind) {
    case 'above':
      return `${label} ${format(value)} ${unit} ${rule.inclusive ? '≥' : '>'} ${severity} limit ${format(threshold)} ${unit}`;
    case 'below':
      return `${label} ${format(value)} ${unit} ${rule.inclusive ? '≤' : '<'} ${severity} limit ${format(threshold)} ${unit}`;
    case 'outside':
      return `${label} ${format(value)} ${unit} outside the ${severity} band (limit ${format(threshold)} ${unit})`;
    case 'rate_of_rise':
      return `${label} rising ${format(value)} ${unit}, above ${format(threshold)} ${unit}`;
    case 'rolling_std':
      return `${label} unstable: σ ${format(value)} ${unit} above ${format(threshold)}`;
    case 'stuck':
      return `${label} frozen: identical for ${value} readings`;
    case 'missing':
      return `${label} missing from ${value} messages in a row`;
  }
}

export interface Detector {
  readonly rules: readonly RuleSpec[];
  run(state: DetectorState | undefined, input: DetectionInput): DetectionResult;
}

const byTimeThenSeq = (a: { ts: number; seq: number }, b: { ts: number; seq: number }) =>
  a.ts - b.ts || a.seq - b.seq;

function isStrictlyOrdered(list: readonly { ts: number; seq: number }[]): boolean {
  for (let i = 1; i < list.length; i++) {
    if (
      byTimeThenSeq(list[i - 1] as { ts: number; seq: number }, list[i] as { ts: number; seq: number }) >= 0
    ) {
      return false;
    }
  }
  return true;
}

/**
 * The list sorted by (ts, seq) without repeats of the same (ts, seq); the input is not modified and,
 * in the common case of an already ordered batch, is returned as is. A repeated seq with a *newer* ts
 * is not a duplicate (a device that restarted and reset its counter) and the watermark orders the rest.
 */
function ordered<T extends { ts: number; seq: number }>(list: readonly T[]): readonly T[] {
  if (list.length < 2 || isStrictlyOrdered(list)) return list;
  const sorted = [...list].sort(byTimeThenSeq);
  const unique: T[] = [sorted[0] as T];
  for (let i = 1; i < sorted.length; i++) {
    const m = sorted[i] as T;
    const previous = unique[unique.length - 1] as T;
    if (m.ts !== previous.ts || m.seq !== previous.seq) unique.push(m);
  }
  return unique;
}

const NO_EVENTS: AlarmEvent[] = [];

export function createDetector(
  machineId: string,
  rules: readonly RuleSpec[],
  options: DetectorOptions,
): Detector {
  const ids = new Set<string>();
  for (const rule of rules) {
    if (!/^[a-z0-9_]{1,64}$/.test(rule.id)) throw new Error(`rule id "${rule.id}" must be 1–64 of [a-z0-9_]`);
    if (ids.has(rule.id)) throw new Error(`rule id "${rule.id}" is used twice`);
    ids.add(rule.id);
  }
  const sensorNames = [...new Set(rules.map((r) => r.sensor))];
  const compiled = rules.map(
    (spec) => new CompiledRule(spec, sensorNames.indexOf(spec.sensor), options.debounce),
  );
  const count = compiled.length;
  // Scratch reused across runs (a run is synchronous, so it is never shared).
  const states: RuleState[] = new Array(count);
  const touched = new Uint8Array(count);
  // Unboxed doubles, NaN for an absent sensor: a tagged array would box every reading in a HeapNumber.
  const values = new Float64Array(sensorNames.length);

  function facts(rule: CompiledRule, a: ActiveAlarm, clearedAt: number | null): AlarmFacts {
    const { spec } = rule;
    return {
      alarm_id: a.id,
      machine_id: machineId,
      rule_id: spec.id,
      category: spec.category,
      sensor: spec.sensor,
      component: spec.component,
      severity: a.severity,
      // Readings carry at most three decimals; derived values (rates, σ) are published to the same.
      value: round3(a.value),
      worst_value: round3(a.worst),
      threshold: a.threshold,
      unit: rule.unit,
      // Worded on the worst value (the one that earned the severity), with the latest beside it when it
      // differs: "… 124 °C ≥ critical limit 120 °C (latest 101 °C)" stays true as the alarm recovers.
      message:
        describe(spec, a.severity, a.worst, a.threshold, rule.unit) +
        (a.value !== a.worst && spec.kind !== 'stuck' && spec.kind !== 'missing'
          ? ` (latest ${format(a.value)} ${rule.unit})`
          : ''),
      first_seen: new Date(a.first_seen).toISOString(),
      last_seen: new Date(a.last_seen).toISOString(),
      raised_at: new Date(a.raised_at).toISOString(),
      cleared_at: clearedAt === null ? null : new Date(clearedAt).toISOString(),
    };
  }

  function step(state: DetectorState, m: TelemetryMessage, events: AlarmEvent[]): void {
    const { ts, sensors } = m;
    const status = state.status;
    for (let s = 0; s < sensorNames.length; s++) values[s] = sensors[sensorNames[s] as string] ?? Number.NaN;
    for (let i = 0; i < count; i++) {
      const rule = compiled[i] as CompiledRule;
      const rs = states[i] as RuleState;
      const v = values[rule.sensorIndex] as number;
      const active = rs.active;
      // The common case, a threshold rule at rest and a reading well inside its band, changes nothing.
      if (rule.kind === BAND && rs.n === 0 && active === null && v >= rule.clearLow && v <= rule.clearHigh)
        continue;
      const level = judge(rule, rs, v, ts, status);
      if (level === UNKNOWN) continue;
      if (level >= WARNING) {
        rs.ok = 0;
        if (rs.n === 0) rs.first = ts;
        rs.n++;
        rs.nc = level === CRITICAL ? rs.nc + 1 : 0;
        if (active !== null) {
          active.last_seen = ts;
          active.value = out.value;
          if (rule.worseIsLower ? out.value < active.worst : out.value > active.worst)
            active.worst = out.value;
          if (active.severity === 'warning' && rs.nc >= rule.debounce) {
            active.severity = 'critical';
            active.threshold = out.threshold;
            events.push({ type: 'escalated', alarm: facts(rule, active, null) });
          }
          touched[i] = 1;
        } else if (rs.n >= rule.debounce) {
          const raised: ActiveAlarm = {
            id: `${machineId}.${rule.id}.${rs.first}`,
            severity: rs.nc >= rule.debounce ? 'critical' : 'warning',
            first_seen: rs.first,
            raised_at: ts,
            last_seen: ts,
            value: out.value,
            worst: out.value,
            threshold: out.threshold,
          };
          rs.active = raised;
          touched[i] = 0;
          events.push({ type: 'raised', alarm: facts(rule, raised, null) });
        }
      } else if (level === NORMAL) {
        rs.n = 0;
        rs.nc = 0;
        if (active !== null && ++rs.ok >= rule.debounce) {
          rs.ok = 0;
          rs.active = null;
          touched[i] = 0;
          events.push({ type: 'cleared', alarm: facts(rule, active, ts) });
        }
      } else {
        rs.n = 0;
        rs.nc = 0;
        rs.ok = 0;
      }
    }
  }

  return {
    rules,
    run(stateIn, input) {
      const state = stateIn ?? initialDetectorState(machineId);
      if (state.machine_id !== machineId) {
        throw new Error(`detector for ${machineId} was given the state of ${state.machine_id}`);
      }
      for (const m of input.telemetry) {
        if (m.machine_id !== machineId)
          throw new Error(`detector for ${machineId} was given ${m.machine_id}`);
      }
      for (const m of input.production ?? []) {
        if (m.machine_id !== machineId)
          throw new Error(`detector for ${machineId} was given ${m.machine_id}`);
      }
      for (let i = 0; i < count; i++) {
        const id = (compiled[i] as CompiledRule).id;
        let rs = state.rules[id];
        if (rs === undefined) {
          rs = newRuleState();
          state.rules[id] = rs;
        }
        states[i] = rs;
      }
      touched.fill(0);
      const telemetry = ordered(input.telemetry);
      const production = ordered(input.production ?? []);
      let skipped =
        input.telemetry.length - telemetry.length + (input.production?.length ?? 0) - production.length;
      let processed = 0;
      let events = NO_EVENTS;
      // Merge the two kinds in time order; at equal times a status change applies first.
      let p = 0;
      for (const m of telemetry) {
        while (p < production.length && (production[p] as ProductionMessage).ts <= m.ts) {
          applyStatus(state, production[p++] as ProductionMessage);
        }
        if (m.ts < state.watermark_ts || (m.ts === state.watermark_ts && m.seq <= state.watermark_seq)) {
          skipped++;
          continue;
        }
        state.watermark_ts = m.ts;
        state.watermark_seq = m.seq;
        processed++;
        if (events === NO_EVENTS) events = [];
        step(state, m, events);
      }
      while (p < production.length) applyStatus(state, production[p++] as ProductionMessage);
      for (let i = 0; i < count; i++) {
        const active = (states[i] as RuleState).active;
        if (touched[i] === 1 && active !== null) {
          events.push({ type: 'updated', alarm: facts(compiled[i] as CompiledRule, active, null) });
        }
      }
      return { state, events: events.length === 0 ? [] : events, processed, skipped };
    },
  };
}

/** Production status only feeds rule applicability; the newest wins. */
function applyStatus(state: DetectorState, m: ProductionMessage): void {
  if (m.ts >= state.status_ts) {
    state.status = m.status;
    state.status_ts = m.ts;
  }
}
