/**
 * Detection rules as data. `defaultRules(profile)` turns the table of DESIGN.md §4 into concrete rules
 * for one machine; a plant can replace or extend the list (it is plain JSON) without code changes.
 */
import type { MachineStatus } from '../messages.js';
import { ISO_10816_3_ZONES, type MachineProfile } from '../profiles.js';
import { SENSORS, type SensorName } from '../sensors.js';

export const ANOMALY_CATEGORIES = [
  'thermal',
  'mechanical',
  'electrical',
  'support_system',
  'environment',
  'sensor',
] as const;
export type AnomalyCategory = (typeof ANOMALY_CATEGORIES)[number];

export const SEVERITIES = ['warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

interface RuleBase {
  /** Stable identifier, [a-z0-9_]; part of every alarm id. */
  readonly id: string;
  readonly category: AnomalyCategory;
  readonly sensor: SensorName;
  readonly component: string;
  /** Why these numbers: the standard or the physics behind them. */
  readonly basis: string;
  /** Readings needed to raise and to clear; the profile's default when absent. */
  readonly debounce?: number;
  /** Only evaluated while the machine reports this status; otherwise the condition counts as normal. */
  readonly while_status?: MachineStatus;
}

/** value ≥ threshold (inclusive) or > threshold (exclusive) is a violation. */
export interface AboveRule extends RuleBase {
  readonly kind: 'above';
  readonly warning?: number;
  readonly critical?: number;
  readonly inclusive: boolean;
  /** Clears once the value is back below (lowest threshold − hysteresis). */
  readonly hysteresis: number;
}

export interface BelowRule extends RuleBase {
  readonly kind: 'below';
  readonly warning?: number;
  readonly critical?: number;
  readonly inclusive: boolean;
  readonly hysteresis: number;
}

/** Outside [low, high] is a violation; the critical band is the wider one. */
export interface OutsideRule extends RuleBase {
  readonly kind: 'outside';
  readonly warning?: readonly [number, number];
  readonly critical?: readonly [number, number];
  readonly hysteresis: number;
}

/** Rise per minute over a trailing window is a violation above `warning` (falling is never one). */
export interface RateOfRiseRule extends RuleBase {
  readonly kind: 'rate_of_rise';
  readonly warning: number;
  readonly critical?: number;
  readonly window_ms: number;
  readonly hysteresis: number;
}

/** Standard deviation of the last `window` readings above `warning` is a violation. */
export interface RollingStdRule extends RuleBase {
  readonly kind: 'rolling_std';
  readonly warning: number;
  readonly critical?: number;
  readonly window: number;
  readonly hysteresis: number;
}

/** The same value, bit for bit, `window` readings in a row: a frozen transmitter or a stuck gateway. */
export interface StuckRule extends RuleBase {
  readonly kind: 'stuck';
  readonly window: number;
}

/** A sensor that had been reporting is absent from `window` messages in a row. */
export interface MissingRule extends RuleBase {
  readonly kind: 'missing';
  readonly window: number;
}

export type RuleSpec =
  | AboveRule
  | BelowRule
  | OutsideRule
  | RateOfRiseRule
  | RollingStdRule
  | StuckRule
  | MissingRule;

const pct = (base: number, fraction: number) => Math.round(base * fraction * 1000) / 1000;

export function defaultRules(profile: MachineProfile): RuleSpec[] {
  const component = profile.sensor_components;
  const zones = ISO_10816_3_ZONES[profile.vibration_class];
  const rated = profile.rated_current_a;
  const volts = profile.nominal_voltage_v;
  const bar = profile.pressure_nominal_pa;
  const rules: RuleSpec[] = [
    {
      id: 'coil_temp_high',
      kind: 'above',
      category: 'thermal',
      sensor: 'temperature_coil',
      component: component.temperature_coil,
      warning: profile.coil_temp_warning_c,
      critical: profile.coil_temp_critical_c,
      inclusive: true,
      hysteresis: 3,
      basis: 'Class F insulation (155 °C) less hot-spot allowance; every +10 °C halves insulation life',
    },
    {
      id: 'coil_temp_rise',
      kind: 'rate_of_rise',
      category: 'thermal',
      sensor: 'temperature_coil',
      component: component.temperature_coil,
      warning: profile.coil_temp_rise_c_per_min,
      window_ms: 60_000,
      hysteresis: 1,
      basis:
        'A winding warming faster than 5 °C/min is overloaded or has lost cooling, before any limit is hit',
    },
    {
      id: 'vibration_high',
      kind: 'above',
      category: 'mechanical',
      sensor: 'vibration_rotor',
      component: component.vibration_rotor,
      warning: zones.bc,
      critical: zones.cd,
      inclusive: true,
      hysteresis: pct(zones.bc, 0.05),
      basis: `ISO 10816-3 ${profile.vibration_class.replace('_', ' ')}: zone C from ${zones.bc} mm/s, zone D from ${zones.cd} mm/s`,
    },
    {
      id: 'current_high',
      kind: 'above',
      category: 'electrical',
      sensor: 'current',
      component: component.current,
      warning: pct(rated, 1.1),
      critical: pct(rated, 1.25),
      inclusive: false,
      hysteresis: pct(rated, 0.02),
      basis: `Rated current ${rated} A: > 110 % is sustained overload, > 125 % trips a class 10 overload relay`,
    },
    {
      id: 'current_low_running',
      kind: 'below',
      category: 'electrical',
      sensor: 'current',
      component: component.current,
      critical: pct(rated, 0.2),
      inclusive: false,
      hysteresis: pct(rated, 0.02),
      while_status: 'Running',
      basis: 'Under 20 % of rated current while the line runs: broken coupling or belt, or a lost phase',
    },
    {
      id: 'voltage_deviation',
      kind: 'outside',
      category: 'electrical',
      sensor: 'voltage',
      component: component.voltage,
      warning: [pct(volts, 0.95), pct(volts, 1.05)],
      critical: [pct(volts, 0.9), pct(volts, 1.1)],
      hysteresis: pct(volts, 0.01),
      basis: 'IEC 60034-1: zone A ±5 % of rated voltage, zone B ±10 %',
    },
    {
      id: 'pressure_out_of_band',
      kind: 'outside',
      category: 'support_system',
      sensor: 'pressure',
      component: component.pressure,
      warning: profile.pressure_band_pa,
      critical: [pct(bar, 0.8), pct(bar, 1.2)],
      hysteresis: pct(bar, 0.01),
      basis: `Air supply set to ${bar} Pa; band from the machine profile, ±20 % starves or overloads the actuators`,
    },
    {
      id: 'pressure_unstable',
      kind: 'rolling_std',
      category: 'support_system',
      sensor: 'pressure',
      component: component.pressure,
      warning: pct(bar, 0.03),
      window: 12,
      hysteresis: pct(bar, 0.005),
      basis:
        'Rolling σ over 12 readings above 3 % of set point: a hunting regulator, a leak or a failing compressor',
    },
    {
      id: 'ambient_temp_high',
      kind: 'above',
      category: 'environment',
      sensor: 'temperature_env',
      component: component.temperature_env,
      warning: profile.ambient_temp_warning_c,
      inclusive: false,
      hysteresis: 1,
      basis: 'IEC 60034-1 rates motors for ≤ 40 °C ambient; above it the motor must be derated',
    },
    {
      id: 'humidity_high',
      kind: 'above',
      category: 'environment',
      sensor: 'humidity_env',
      component: component.humidity_env,
      warning: profile.humidity_warning_pct,
      inclusive: false,
      hysteresis: 2,
      basis: 'Above 85 % RH condensation forms on cold windings and board; ink dries slowly',
    },
  ];
  // Data-quality rules on the sensors whose readings always carry noise: identical values mean a frozen
  // transmitter. Ambient sensors are left out: at 0.1 resolution they legitimately repeat for minutes.
  for (const sensor of ['vibration_rotor', 'current', 'pressure', 'temperature_coil'] as const) {
    rules.push({
      id: `${sensor}_stuck`,
      kind: 'stuck',
      category: 'sensor',
      sensor,
      component: component[sensor],
      window: 60,
      debounce: 1,
      basis: `${SENSORS[sensor].label} identical for 60 readings in a row: a live signal always carries noise`,
    });
  }
  for (const sensor of ['temperature_coil', 'vibration_rotor', 'current', 'voltage', 'pressure'] as const) {
    rules.push({
      id: `${sensor}_missing`,
      kind: 'missing',
      category: 'sensor',
      sensor,
      component: component[sensor],
      window: 12,
      debounce: 1,
      basis: `${SENSORS[sensor].label} absent from 12 messages in a row after it had been reporting: sensor or wiring dropout`,
    });
  }
  return rules;
}
