/**
 * The main-drive motor of a Flexo 104 and its seven sensors (DESIGN.md §3), as a small physical model
 * advanced in time steps of any size (5 s live, 5 min in the history generator):
 *
 * - current: no-load (magnetising) current plus a part proportional to production speed, raised by
 *   bearing friction, by a mechanical overload, and by a supply sag (constant-power load: I ∝ 1/V);
 * - voltage: the supply (400 V with a slow grid drift) less the cable drop under load;
 * - coil temperature: a two-node thermal model. The frame follows ambient plus copper losses (∝ I²)
 *   with a 35 min time constant; the winding sits above the frame by a share of the losses with a
 *   3 min time constant; an overheating fault adds a hot spot on top;
 * - vibration: rotor RMS velocity grows with bearing wear and speed; a bearing fault ramps it up;
 * - pressure: the compressed-air regulator's set point with slow drift and sensor noise;
 * - ambient temperature and humidity: the hall climate (environment.ts) plus sensor noise.
 *
 * Every live reading carries noise (no sensor repeats a value 60 times, which is the core's "stuck"
 * rule), and normal operation stays well inside every alarm threshold of the core rule table, while
 * each fault crosses the thresholds of its own rules (see faults.ts and test/simulator/faults.test.ts).
 */

import { FLEXO_104_PROFILE } from '../lambdas/core/profiles.js';
import type { Random } from '../lambdas/core/random.js';
import type { SensorName } from '../lambdas/core/sensors.js';
import type { Climate } from './environment.js';
import { FAULTS, type FaultType, type FaultWindow, faultIntensity, faultLagMs } from './faults.js';
import { streamFor } from './seeds.js';
import { MINUTE_MS } from './time.js';

export type SensorReadings = Partial<Record<SensorName, number>>;

/** Nameplate and installation differences between sister machines. */
export interface MachineTraits {
  /** Magnetising current of the motor running unloaded, A. */
  readonly noLoadCurrentA: number;
  /** Current added at full nameplate production speed, A. */
  readonly loadCurrentA: number;
  /** Rotor RMS velocity of a healthy, fresh bearing at standstill speed, mm/s. */
  readonly vibrationBase: number;
  readonly pressureSetpointPa: number;
  /** Cooling quality: > 1 runs warmer (fan cowl, mounting). */
  readonly thermalFactor: number;
  /** Supply voltage at this machine's terminal box relative to 399 V. */
  readonly voltageOffsetV: number;
}

export const NOMINAL_TRAITS: MachineTraits = {
  noLoadCurrentA: 14,
  loadCurrentA: 30,
  vibrationBase: 1.2,
  pressureSetpointPa: FLEXO_104_PROFILE.pressure_nominal_pa,
  thermalFactor: 1,
  voltageOffsetV: 0,
};

/** The reference machine (index 0, C_FL104) is nominal; sister machines differ a little. */
export function machineTraits(seed: number, index: number): MachineTraits {
  if (index === 0) return NOMINAL_TRAITS;
  const r = streamFor(seed, 'traits', index);
  const spread = (x: number, sd: number, limit: number) =>
    x + Math.max(-limit, Math.min(limit, r.normal(0, sd)));
  return {
    noLoadCurrentA: spread(14, 0.6, 1.5),
    loadCurrentA: spread(30, 1, 2.5),
    vibrationBase: spread(1.2, 0.08, 0.2),
    pressureSetpointPa: Math.round(spread(600_000, 1500, 4000)),
    thermalFactor: spread(1, 0.03, 0.08),
    voltageOffsetV: spread(0, 0.8, 2),
  };
}

/** What the rest of the plant imposes on the motor during a step. */
export interface MotorConditions {
  readonly running: boolean;
  /** Production speed as a fraction of nameplate (a shift's performance rate / 100). */
  readonly speed: number;
  readonly climate: Climate;
  /** Bearing wear 0 (new) .. 1 (due for replacement): grows with running hours until maintenance. */
  readonly bearingWear: number;
}

const RATED_CURRENT_A = FLEXO_104_PROFILE.rated_current_a;
const SUPPLY_V = 399;
const NOMINAL_V = FLEXO_104_PROFILE.nominal_voltage_v;
/** Cable and transformer drop, V per A. */
const DROP_V_PER_A = 0.06;
/** Steady-state frame rise over ambient at rated current, K; winding over frame, K. */
const FRAME_RISE_K = 50;
const WINDING_RISE_K = 18;
const FRAME_TAU_MS = 35 * MINUTE_MS;
const WINDING_TAU_MS = 3 * MINUTE_MS;

/** How far each fault pushes its sensor at full intensity. */
const EFFECT = {
  hotSpotK: 75,
  bearingVibration: 3.9,
  overloadA: 29,
  sagV: 50,
  pressureSagPa: 15_000,
  pressureSwingPa: 30_000,
} as const;

/** Slow random drift: an Ornstein–Uhlenbeck process sampled exactly for any step. */
function drift(x: number, dtMs: number, tauMs: number, sd: number, r: Random): number {
  const keep = Math.exp(-dtMs / tauMs);
  return x * keep + sd * Math.sqrt(1 - keep * keep) * r.normal();
}

/** First-order lag towards `target` over a step, exact for any step size. */
function lag(x: number, target: number, dtMs: number, tauMs: number): number {
  return target + (x - target) * Math.exp(-dtMs / tauMs);
}

const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Whether a fault that keeps the motor running is active at `t` (the machine then reports Running). */
export function faultKeepsRunning(faults: readonly FaultWindow[], t: number): boolean {
  return faults.some((f) => FAULTS[f.type].keepsRunning && t >= f.start && t < f.end);
}

export class MotorModel {
  private frameC = Number.NaN;
  private windingK = 0;
  private hotSpotK = 0;
  private hotSpotTauMs = WINDING_TAU_MS;
  private loadDrift = 0;
  private gridDriftV = 0;
  private pressureDriftPa = 0;
  /** Frozen values of stuck sensors, by the fault window that froze them. */
  private readonly frozen = new Map<FaultWindow, number>();

  constructor(
    private readonly traits: MachineTraits,
    private readonly random: Random,
  ) {}

  /** Advances the motor by `dtMs` to time `t` and returns the readings of that instant. */
  step(t: number, dtMs: number, conditions: MotorConditions, faults: readonly FaultWindow[]): SensorReadings {
    const r = this.random;
    const tr = this.traits;
    const p: Record<FaultType, number> = {
      overheating: 0,
      bearing_wear: 0,
      overcurrent: 0,
      undervoltage: 0,
      pressure_instability: 0,
      sensor_dropout: 0,
      stuck_value: 0,
    };
    for (const f of faults) {
      p[f.type] = Math.max(p[f.type], faultIntensity(f, t));
      if (f.type === 'overheating' && t >= f.start && t < f.end)
        this.hotSpotTauMs = faultLagMs(f, WINDING_TAU_MS);
    }

    this.loadDrift = drift(this.loadDrift, dtMs, 10 * MINUTE_MS, 0.02, r);
    this.gridDriftV = drift(this.gridDriftV, dtMs, 30 * MINUTE_MS, 1.5, r);
    this.pressureDriftPa = drift(this.pressureDriftPa, dtMs, 10 * MINUTE_MS, 2500, r);

    const { running, speed, climate, bearingWear } = conditions;
    const supplyV = SUPPLY_V + tr.voltageOffsetV + this.gridDriftV - EFFECT.sagV * p.undervoltage;
    let current: number;
    if (running) {
      const friction = 1 + 0.04 * bearingWear + 0.05 * p.bearing_wear;
      const load = tr.loadCurrentA * speed * (1 + this.loadDrift) * friction * (NOMINAL_V / supplyV);
      current = tr.noLoadCurrentA + load + EFFECT.overloadA * p.overcurrent + r.normal(0, 0.45);
    } else {
      // A stopped drive still shows the control circuit's small, noisy draw.
      current = Math.max(0.02, r.normal(0.35, 0.12));
    }
    const voltage = supplyV - DROP_V_PER_A * current + r.normal(0, 0.6);

    const losses = running ? (current / RATED_CURRENT_A) ** 2 * tr.thermalFactor : 0;
    const frameTarget = climate.temperatureC + FRAME_RISE_K * losses;
    if (Number.isNaN(this.frameC)) {
      // Start in thermal equilibrium: a machine that has been in this state for a while.
      this.frameC = frameTarget;
      this.windingK = WINDING_RISE_K * losses;
    }
    this.frameC = lag(this.frameC, frameTarget, dtMs, FRAME_TAU_MS);
    this.windingK = lag(this.windingK, WINDING_RISE_K * losses, dtMs, WINDING_TAU_MS);
    // Lost cooling heats the winding far less when the motor stands still.
    const hotSpotTarget = EFFECT.hotSpotK * p.overheating * (running ? 1 : 0.3);
    this.hotSpotK = lag(this.hotSpotK, hotSpotTarget, dtMs, this.hotSpotTauMs);
    const coil = this.frameC + this.windingK + this.hotSpotK + r.normal(0, 0.15);

    const vibration = running
      ? tr.vibrationBase * (1 + 0.45 * bearingWear) +
        0.15 * speed +
        EFFECT.bearingVibration * p.bearing_wear +
        0.3 * p.overcurrent +
        r.normal(0, 0.05 + 0.12 * p.bearing_wear)
      : Math.max(0.01, r.normal(0.12, 0.02));

    const swing = p.pressure_instability;
    const pressure =
      tr.pressureSetpointPa +
      this.pressureDriftPa -
      EFFECT.pressureSagPa * swing +
      r.normal(0, 2500 + EFFECT.pressureSwingPa * swing);

    const readings: SensorReadings = {
      temperature_coil: round(coil, 2),
      vibration_rotor: round(Math.max(0, vibration), 3),
      current: round(current, 2),
      voltage: round(voltage, 2),
      pressure: Math.round(Math.max(0, pressure)),
      temperature_env: round(climate.temperatureC + r.normal(0, 0.1), 2),
      humidity_env: round(Math.min(100, Math.max(0, climate.humidityPct + r.normal(0, 0.3))), 2),
    };
    this.applySensorFaults(readings, faults, t);
    return readings;
  }

  private applySensorFaults(readings: SensorReadings, faults: readonly FaultWindow[], t: number): void {
    for (const f of faults) {
      const active = t >= f.start && t < f.end;
      if (f.type === 'sensor_dropout' && active) delete readings[f.sensor];
      if (f.type === 'stuck_value') {
        if (!active) {
          this.frozen.delete(f);
          continue;
        }
        const value = this.frozen.get(f) ?? readings[f.sensor];
        if (value === undefined) continue;
        this.frozen.set(f, value);
        readings[f.sensor] = value;
      }
    }
  }
}
