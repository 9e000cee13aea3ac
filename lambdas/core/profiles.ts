/**
 * Machine profiles: the nameplate and installation facts that turn the generic rule table of
 * DESIGN.md §4 into concrete thresholds for one machine. Profiles are data (JSON-serialisable);
 * a plant overrides them per machine without touching code.
 */
import type { SensorName } from './sensors.js';

/** ISO 10816-3 machine groups and foundation types. */
export const VIBRATION_CLASSES = [
  'group1_rigid',
  'group1_flexible',
  'group2_rigid',
  'group2_flexible',
] as const;
export type VibrationClass = (typeof VIBRATION_CLASSES)[number];

/**
 * ISO 10816-3 zone boundaries, RMS velocity in mm/s. Group 1: 300 kW–50 MW; group 2: 15–300 kW.
 * A/B: newly commissioned; B/C: unrestricted long-term operation ends (warning);
 * C/D: vibration severe enough to damage the machine (critical).
 */
export const ISO_10816_3_ZONES: Readonly<Record<VibrationClass, { ab: number; bc: number; cd: number }>> = {
  group1_rigid: { ab: 2.3, bc: 4.5, cd: 7.1 },
  group1_flexible: { ab: 3.5, bc: 7.1, cd: 11.0 },
  group2_rigid: { ab: 1.4, bc: 2.8, cd: 4.5 },
  group2_flexible: { ab: 2.3, bc: 4.5, cd: 7.1 },
};

export interface MachineProfile {
  readonly machine_type: string;
  /** Motor nameplate full-load current. */
  readonly rated_current_a: number;
  /** Supply voltage the motor is rated for (line-to-line). */
  readonly nominal_voltage_v: number;
  /** Set point of the compressed-air supply. */
  readonly pressure_nominal_pa: number;
  /** Normal operating band of the supply; outside it is a warning. */
  readonly pressure_band_pa: readonly [number, number];
  readonly vibration_class: VibrationClass;
  /** Coil temperature warning/critical: class F insulation (155 °C) less a margin for hot-spot gradient. */
  readonly coil_temp_warning_c: number;
  readonly coil_temp_critical_c: number;
  readonly coil_temp_rise_c_per_min: number;
  readonly ambient_temp_warning_c: number;
  readonly humidity_warning_pct: number;
  /** Ideal (nameplate) production rate, pieces per minute; used when a message carries none. */
  readonly ideal_rate_ppm: number;
  /** Consecutive readings a condition must hold to raise, and to clear. */
  readonly debounce_readings: number;
  /** The component each sensor's alarms are filed against. */
  readonly sensor_components: Readonly<Record<SensorName, string>>;
}

/**
 * C_FL104 and its sister machines: a Flexo 104 folder-gluer with a 30 kW, 400 V main drive
 * (full-load ≈ 55 A), compressed air at 6 bar absolute, motor on a rigid base (ISO 10816-3 group 2).
 */
export const FLEXO_104_PROFILE: MachineProfile = {
  machine_type: 'Flexo 104',
  rated_current_a: 55,
  nominal_voltage_v: 400,
  pressure_nominal_pa: 600_000,
  pressure_band_pa: [570_000, 630_000],
  vibration_class: 'group2_rigid',
  coil_temp_warning_c: 100,
  coil_temp_critical_c: 120,
  coil_temp_rise_c_per_min: 5,
  ambient_temp_warning_c: 40,
  humidity_warning_pct: 85,
  ideal_rate_ppm: 12.5,
  debounce_readings: 3,
  sensor_components: {
    temperature_coil: 'Main Drive Motor',
    vibration_rotor: 'Main Drive Motor',
    current: 'Main Drive Motor',
    voltage: 'Main Drive Motor',
    // The air supply loads the chambered doctor blades and throws the print cylinders on and off.
    pressure: 'Printing Unit',
    // Ambient heat and humidity act first on ink drying.
    temperature_env: 'Dryer',
    humidity_env: 'Dryer',
  },
};

/** A profile with per-machine overrides applied (shallow; nested maps are replaced whole). */
export function resolveProfile(
  overrides: Partial<MachineProfile> = {},
  base = FLEXO_104_PROFILE,
): MachineProfile {
  return { ...base, ...overrides };
}
