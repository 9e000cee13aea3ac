/**
 * The faults the simulator can put into a machine, what each one does to which sensor, and the
 * ground-truth labels it writes for them, so detection can be scored against what really happened.
 *
 * A fault acts through an intensity p(t) ∈ [0, 1] over its window [start, end): a linear ramp up, a
 * hold and (for faults that go away by themselves) a ramp down, so the readings are back to normal
 * when the window ends. Ramps scale with the window but are capped, so a two-minute demo fault still
 * crosses its thresholds and a two-hour one still rises as fast as the real failure would.
 */
import { type AnomalyCategory, defaultRules, type RuleSpec } from '../lambdas/core/anomaly/rules.js';
import { FLEXO_104_PROFILE } from '../lambdas/core/profiles.js';
import { isSensorName, SENSOR_NAMES, type SensorName } from '../lambdas/core/sensors.js';
import { formatDuration, MINUTE_MS, parseDuration } from './time.js';

export const FAULT_TYPES = [
  'overheating',
  'bearing_wear',
  'overcurrent',
  'undervoltage',
  'pressure_instability',
  'sensor_dropout',
  'stuck_value',
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

interface Ramp {
  /** Share of the window the ramp takes … */
  readonly fraction: number;
  /** … but never longer than this. */
  readonly maxMs: number;
}

export interface FaultDefinition {
  readonly description: string;
  readonly category: AnomalyCategory;
  /** The sensor the fault shows on (sensor faults: the default one; any sensor may be chosen). */
  readonly sensor: SensorName;
  /** Kinds of the core rules (anomaly/rules.ts) on that sensor that the fault is built to trip. */
  readonly ruleKinds: readonly RuleSpec['kind'][];
  readonly defaultDurationMs: number;
  readonly rampUp: Ramp;
  /** Absent: the effect stops at once at the end (a part replaced, a sensor reconnected). */
  readonly rampDown?: Ramp;
  /**
   * The motor keeps running while the fault lasts, even through a stop the history has at that time
   * (the machine then reports Running): short motor faults show only on a running motor, and an
   * injected one must show whenever it is injected.
   */
  readonly keepsRunning: boolean;
  /**
   * Readings the fault must span for its rules to fire (debounce, σ window, stuck/missing windows):
   * a replayed history fault is stretched to at least this many ticks when a fast replay squeezes it.
   */
  readonly minReadings: number;
}

export const FAULTS: Readonly<Record<FaultType, FaultDefinition>> = {
  overheating: {
    description: 'winding overheating: cooling lost (clogged fan cowl, failed fan) under load',
    category: 'thermal',
    sensor: 'temperature_coil',
    ruleKinds: ['above', 'rate_of_rise'],
    defaultDurationMs: 10 * MINUTE_MS,
    rampUp: { fraction: 0.35, maxMs: 8 * MINUTE_MS },
    rampDown: { fraction: 0.3, maxMs: 15 * MINUTE_MS },
    keepsRunning: true,
    minReadings: 24,
  },
  bearing_wear: {
    description: 'rolling-bearing wear: vibration ramps up until the bearing is replaced',
    category: 'mechanical',
    sensor: 'vibration_rotor',
    ruleKinds: ['above'],
    defaultDurationMs: 30 * MINUTE_MS,
    rampUp: { fraction: 0.7, maxMs: Number.POSITIVE_INFINITY },
    keepsRunning: false,
    minReadings: 24,
  },
  overcurrent: {
    description: 'mechanical overload (jammed feeder, board pile-up): current above rated',
    category: 'electrical',
    sensor: 'current',
    ruleKinds: ['above'],
    defaultDurationMs: 2 * MINUTE_MS,
    rampUp: { fraction: 0.1, maxMs: MINUTE_MS },
    rampDown: { fraction: 0.1, maxMs: MINUTE_MS },
    keepsRunning: true,
    minReadings: 24,
  },
  undervoltage: {
    description: 'supply sag (grid dip, loose terminal): voltage below the IEC 60034-1 zones',
    category: 'electrical',
    sensor: 'voltage',
    ruleKinds: ['outside'],
    defaultDurationMs: 2 * MINUTE_MS,
    rampUp: { fraction: 0.1, maxMs: MINUTE_MS },
    rampDown: { fraction: 0.1, maxMs: MINUTE_MS },
    keepsRunning: false,
    minReadings: 24,
  },
  pressure_instability: {
    description: 'hunting air-pressure regulator or leak: pressure swings and sags',
    category: 'support_system',
    sensor: 'pressure',
    ruleKinds: ['outside', 'rolling_std'],
    defaultDurationMs: 5 * MINUTE_MS,
    rampUp: { fraction: 0.2, maxMs: 5 * MINUTE_MS },
    rampDown: { fraction: 0.1, maxMs: 2 * MINUTE_MS },
    keepsRunning: false,
    minReadings: 24,
  },
  sensor_dropout: {
    description: 'sensor or wiring dropout: the reading is missing from the messages',
    category: 'sensor',
    sensor: 'vibration_rotor',
    ruleKinds: ['missing'],
    defaultDurationMs: 2 * MINUTE_MS,
    rampUp: { fraction: 0, maxMs: 0 },
    keepsRunning: false,
    minReadings: 18,
  },
  stuck_value: {
    description: 'frozen transmitter: the same value, bit for bit, reading after reading',
    category: 'sensor',
    sensor: 'current',
    ruleKinds: ['stuck'],
    defaultDurationMs: 10 * MINUTE_MS,
    rampUp: { fraction: 0, maxMs: 0 },
    keepsRunning: false,
    minReadings: 72,
  },
};

export function isFaultType(name: string): name is FaultType {
  return (FAULT_TYPES as readonly string[]).includes(name);
}

/** Ground truth for one fault: what, where, when. Written one JSON object per line. */
export interface FaultLabel {
  readonly machine_id: string;
  readonly fault: FaultType;
  readonly sensor: SensorName;
  readonly category: AnomalyCategory;
  /** ISO-8601 UTC, on the messages' own clock (ts). */
  readonly start: string;
  readonly end: string;
  /** Where the fault came from: the replayed history or an injection (--faults, injectFault). */
  readonly source: 'history' | 'injected';
  /** Ids of the core rules the fault is built to trip. */
  readonly rules: readonly string[];
}

const RULES = defaultRules(FLEXO_104_PROFILE);

/** Ids of the default rules a fault of `type` on `sensor` should trip. */
export function expectedRules(type: FaultType, sensor: SensorName): string[] {
  const kinds = FAULTS[type].ruleKinds;
  return RULES.filter((r) => r.sensor === sensor && kinds.includes(r.kind)).map((r) => r.id);
}

export function makeLabel(
  machineId: string,
  type: FaultType,
  sensor: SensorName,
  start: number,
  end: number,
  source: FaultLabel['source'],
): FaultLabel {
  return {
    machine_id: machineId,
    fault: type,
    sensor,
    category: FAULTS[type].category,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    source,
    rules: expectedRules(type, sensor),
  };
}

/** A fault placed on a timeline (epoch ms, on whichever clock the caller runs). */
export interface FaultWindow {
  readonly type: FaultType;
  readonly sensor: SensorName;
  readonly start: number;
  readonly end: number;
}

/** Intensity 0..1 of a fault at time `t`; 0 outside its window. */
export function faultIntensity(fault: FaultWindow, t: number): number {
  if (t < fault.start || t >= fault.end) return 0;
  const length = fault.end - fault.start;
  const def = FAULTS[fault.type];
  const up = Math.min(def.rampUp.fraction * length, def.rampUp.maxMs);
  const down = def.rampDown === undefined ? 0 : Math.min(def.rampDown.fraction * length, def.rampDown.maxMs);
  const since = t - fault.start;
  const left = fault.end - t;
  if (since < up) return since / up;
  if (left < down) return left / down;
  return 1;
}

/**
 * Lag of a fault's physical effect (the hot spot of an overheating winding): the winding's own time
 * constant, compressed for short windows so the effect has come and gone within the window.
 */
export function faultLagMs(fault: FaultWindow, physicalMs: number): number {
  return Math.min(physicalMs, (fault.end - fault.start) / 15);
}

/** One fault of a --faults spec: machine ("*" for all), type, sensor, offset and duration. */
export interface FaultInjection {
  readonly machine: string;
  readonly type: FaultType;
  readonly sensor: SensorName;
  /** From the start of the run, on the wall clock of the run. */
  readonly atMs: number;
  readonly durationMs: number;
}

/** The sensor a fault of `type` shows on, checked: only sensor faults may name another one. */
export function faultSensor(type: FaultType, sensor?: string): SensorName {
  if (sensor === undefined) return FAULTS[type].sensor;
  if (!isSensorName(sensor)) {
    throw new Error(`unknown sensor "${sensor}" (one of ${SENSOR_NAMES.join(', ')})`);
  }
  if (FAULTS[type].category !== 'sensor' && sensor !== FAULTS[type].sensor) {
    throw new Error(`${type} always shows on ${FAULTS[type].sensor}; only sensor faults take a sensor`);
  }
  return sensor;
}

/**
 * Parses a fault spec: comma-separated `MACHINE:TYPE[/SENSOR][@OFFSET][+DURATION]`, e.g.
 * `C_FL104:overheating@30s+120s,C_FL105:bearing_wear@0s,*:sensor_dropout/pressure@1m+2m`.
 * MACHINE `*` means every machine; OFFSET defaults to 0s, DURATION to the fault type's default.
 */
export function parseFaultSpec(spec: string): FaultInjection[] {
  const out: FaultInjection[] = [];
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const match =
      /^([A-Za-z0-9:_-]+|\*):([a-z_]+)(?:\/([a-z_]+))?(?:@([0-9.a-z]+))?(?:\+([0-9.a-z]+))?$/.exec(item);
    if (match === null) {
      throw new Error(
        `fault "${item}" is not MACHINE:TYPE[/SENSOR][@OFFSET][+DURATION] (e.g. C_FL104:overheating@30s+120s)`,
      );
    }
    const [, machine, type, sensor, at, duration] = match as unknown as [
      string,
      string,
      string,
      string | undefined,
      string | undefined,
      string | undefined,
    ];
    if (!isFaultType(type)) {
      throw new Error(`fault "${item}": unknown type "${type}" (one of ${FAULT_TYPES.join(', ')})`);
    }
    try {
      const durationMs = duration === undefined ? FAULTS[type].defaultDurationMs : parseDuration(duration);
      if (durationMs <= 0) throw new Error('the duration must be positive');
      out.push({
        machine,
        type,
        sensor: faultSensor(type, sensor),
        atMs: at === undefined ? 0 : parseDuration(at),
        durationMs,
      });
    } catch (error) {
      throw new Error(`fault "${item}": ${(error as Error).message}`);
    }
  }
  return out;
}

/** The spec form of an injection (inverse of parseFaultSpec for one item). */
export function formatFaultInjection(f: FaultInjection): string {
  const sensor = f.sensor === FAULTS[f.type].sensor ? '' : `/${f.sensor}`;
  return `${f.machine}:${f.type}${sensor}@${formatDuration(f.atMs)}+${formatDuration(f.durationMs)}`;
}
