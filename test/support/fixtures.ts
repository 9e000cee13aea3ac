/** Small builders of domain values for adapter and handler tests. */
import type { AlarmEvent, AlarmEventType, AlarmFacts } from '../../lambdas/core/anomaly/alarm.js';
import type { ProductionMessage, TelemetryMessage } from '../../lambdas/core/messages.js';

export const T0 = Date.parse('2025-10-23T10:30:00.000Z');

export const NORMAL_SENSORS = {
  temperature_coil: 72.4,
  vibration_rotor: 2.1,
  current: 41.2,
  voltage: 398,
  pressure: 601_000,
  temperature_env: 29.1,
  humidity_env: 64,
} as const;

export function telemetry(
  seq: number,
  overrides: Partial<TelemetryMessage> & { sensors?: Record<string, number> } = {},
): TelemetryMessage {
  return {
    machine_id: 'C_FL104',
    ts: T0 + seq * 1000,
    seq,
    sensors: { ...NORMAL_SENSORS },
    ...overrides,
  };
}

export function production(seq: number, overrides: Partial<ProductionMessage> = {}): ProductionMessage {
  return {
    machine_id: 'C_FL104',
    ts: T0 + seq * 5000,
    seq,
    status: 'Running',
    total_produksi: 4500,
    produk_cacat: 180,
    planned_minutes: 480,
    run_minutes: 410,
    ...overrides,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

export function alarmFacts(overrides: Partial<AlarmFacts> = {}): AlarmFacts {
  const first = T0;
  const machine = overrides.machine_id ?? 'C_FL104';
  return {
    alarm_id: `${machine}.coil_temp_high.${first}`,
    machine_id: machine,
    rule_id: 'coil_temp_high',
    category: 'thermal',
    sensor: 'temperature_coil',
    component: 'Main Drive Motor',
    severity: 'warning',
    value: 104.2,
    worst_value: 104.2,
    threshold: 100,
    unit: '°C',
    message: 'Coil temperature 104.2 °C ≥ warning limit 100 °C',
    first_seen: iso(first),
    last_seen: iso(first + 2000),
    raised_at: iso(first + 2000),
    cleared_at: null,
    ...overrides,
  };
}

export function alarmEvent(type: AlarmEventType, overrides: Partial<AlarmFacts> = {}): AlarmEvent {
  return { type, alarm: alarmFacts(overrides) };
}
