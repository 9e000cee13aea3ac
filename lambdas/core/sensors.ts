/**
 * The seven motor sensors of the anomaly pipeline, their units and the physical ranges a reading must
 * fall in to be believed at all. These ranges are sanity limits (a broken transmitter, a unit mix-up),
 * not alarm thresholds: thresholds live in machine profiles (profiles.ts).
 */
export const SENSOR_NAMES = [
  'temperature_coil',
  'vibration_rotor',
  'current',
  'voltage',
  'pressure',
  'temperature_env',
  'humidity_env',
] as const;

export type SensorName = (typeof SENSOR_NAMES)[number];

export interface SensorSpec {
  readonly label: string;
  readonly unit: string;
  /** Lowest physically plausible value (inclusive). */
  readonly min: number;
  /** Highest physically plausible value (inclusive). */
  readonly max: number;
}

export const SENSORS: Readonly<Record<SensorName, SensorSpec>> = {
  // Insulation classes top out at 180 °C (class H); 250 °C leaves room for a burning winding, not for a typo.
  temperature_coil: { label: 'Coil temperature', unit: '°C', min: -40, max: 250 },
  // RMS velocity; 100 mm/s is far beyond ISO 10816 zone D for any machine group.
  vibration_rotor: { label: 'Rotor vibration', unit: 'mm/s', min: 0, max: 100 },
  current: { label: 'Motor current', unit: 'A', min: 0, max: 10_000 },
  // Up to medium-voltage motors (13.8 kV class).
  voltage: { label: 'Supply voltage', unit: 'V', min: 0, max: 15_000 },
  // Absolute pressure of the compressed-air / vacuum supply: 0 Pa (perfect vacuum) to 100 bar.
  pressure: { label: 'Supply pressure', unit: 'Pa', min: 0, max: 10_000_000 },
  temperature_env: { label: 'Ambient temperature', unit: '°C', min: -50, max: 80 },
  humidity_env: { label: 'Ambient humidity', unit: '%', min: 0, max: 100 },
};

const SENSOR_NAME_SET: ReadonlySet<string> = new Set(SENSOR_NAMES);

export function isSensorName(name: string): name is SensorName {
  return SENSOR_NAME_SET.has(name);
}
