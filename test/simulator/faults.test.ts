/**
 * Fault injection against its ground truth: inside a labelled window the readings cross the thresholds
 * of the rules the label names; outside every window no reading crosses any threshold, and the core
 * anomaly detector raises alarms exactly for the labelled faults.
 */
import { describe, expect, it } from 'vitest';
import { createDetector } from '../../lambdas/core/anomaly/engine.js';
import { defaultRules } from '../../lambdas/core/anomaly/rules.js';
import type { ProductionMessage, TelemetryMessage } from '../../lambdas/core/messages.js';
import { FLEXO_104_PROFILE } from '../../lambdas/core/profiles.js';
import { SENSOR_NAMES, type SensorName } from '../../lambdas/core/sensors.js';
import { validatePayload } from '../../lambdas/core/validate.js';
import { FAULT_TYPES, type FaultLabel, parseFaultSpec } from '../../simulator/faults.js';
import { type FleetOptions, startFleet } from '../../simulator/fleet.js';
import { generateHistory } from '../../simulator/generator.js';

const START = Date.parse('2025-06-02T06:00:00Z');
const LATEST = Date.parse('2099-12-31T00:00:00Z');
const history = generateHistory({ seed: 1 });

interface Run {
  readonly telemetry: TelemetryMessage[];
  readonly production: ProductionMessage[];
  readonly labels: readonly FaultLabel[];
}

/** Runs a fleet on the virtual clock and collects its messages, validated by the core validator. */
async function run(options: FleetOptions): Promise<Run> {
  const telemetry: TelemetryMessage[] = [];
  const production: ProductionMessage[] = [];
  const fleet = startFleet({
    history,
    clock: 'virtual',
    startTime: START,
    ...options,
    publish: async (topic, payload) => {
      if (topic.endsWith('/telemetry')) {
        const v = validatePayload('telemetry', payload, { now: LATEST });
        if (!v.ok) throw new Error(v.reasons.join('; '));
        telemetry.push(v.message);
      } else {
        const v = validatePayload('production', payload, { now: LATEST });
        if (!v.ok) throw new Error(v.reasons.join('; '));
        production.push(v.message);
      }
    },
  });
  const stats = await fleet.done;
  expect(stats).toMatchObject({ errors: 0, dropped: 0, pending: 0 });
  return { telemetry, production, labels: fleet.labels() };
}

const window = (l: FaultLabel) => [Date.parse(l.start), Date.parse(l.end)] as const;
const within = (l: FaultLabel, ts: number) => ts >= window(l)[0] && ts < window(l)[1];
const values = (msgs: readonly TelemetryMessage[], sensor: SensorName) =>
  msgs.map((m) => m.sensors[sensor]).filter((v): v is number => v !== undefined);
const sigma = (xs: readonly number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
};
/** Longest run of bit-identical consecutive values. */
const longestRepeat = (xs: readonly number[]) => {
  let best = xs.length > 0 ? 1 : 0;
  let n = 1;
  for (let i = 1; i < xs.length; i++) {
    n = xs[i] === xs[i - 1] ? n + 1 : 1;
    best = Math.max(best, n);
  }
  return best;
};
/** Largest rise over any minute, °C/min (readings 5 s apart). */
const fastestRise = (xs: readonly number[]) => {
  let best = Number.NEGATIVE_INFINITY;
  for (let i = 12; i < xs.length; i++) best = Math.max(best, (xs[i] as number) - (xs[i - 12] as number));
  return best;
};
const rollingSigmaMax = (xs: readonly number[]) => {
  let best = 0;
  for (let i = 12; i <= xs.length; i++) best = Math.max(best, sigma(xs.slice(i - 12, i)));
  return best;
};

const EVERY_FAULT = [
  'C_FL104:overheating@10m+10m',
  'C_FL104:bearing_wear@30m+30m',
  'C_FL104:overcurrent@70m+2m',
  'C_FL104:undervoltage@80m+2m',
  'C_FL104:pressure_instability@90m+5m',
  'C_FL104:sensor_dropout/pressure@100m+2m',
  'C_FL104:stuck_value/current@110m+10m',
].join(',');

describe('fault injection and labels', () => {
  const injected = run({
    machines: 1,
    intervalMs: 5000,
    speed: 1,
    durationMs: 150 * 60_000,
    faults: EVERY_FAULT,
  });

  it('labels every injected fault with machine, sensor, category, window and the rules it should trip', async () => {
    const { labels } = await injected;
    expect(labels.map((l) => l.fault)).toEqual([...FAULT_TYPES]);
    expect(labels[0]).toEqual({
      machine_id: 'C_FL104',
      fault: 'overheating',
      sensor: 'temperature_coil',
      category: 'thermal',
      start: '2025-06-02T06:10:00.000Z',
      end: '2025-06-02T06:20:00.000Z',
      source: 'injected',
      rules: ['coil_temp_high', 'coil_temp_rise'],
    });
    expect(labels.map((l) => l.category)).toEqual([
      'thermal',
      'mechanical',
      'electrical',
      'electrical',
      'support_system',
      'sensor',
      'sensor',
    ]);
  });

  it("crosses each label's thresholds inside its window", async () => {
    const { telemetry, labels } = await injected;
    const inside = (l: FaultLabel) => telemetry.filter((m) => within(l, m.ts));
    const byFault = Object.fromEntries(labels.map((l) => [l.fault, inside(l)]));
    const coil = values(byFault.overheating as TelemetryMessage[], 'temperature_coil');
    expect(Math.max(...coil)).toBeGreaterThanOrEqual(120);
    expect(fastestRise(coil)).toBeGreaterThan(5);
    expect(
      Math.max(...values(byFault.bearing_wear as TelemetryMessage[], 'vibration_rotor')),
    ).toBeGreaterThanOrEqual(4.5);
    expect(Math.max(...values(byFault.overcurrent as TelemetryMessage[], 'current'))).toBeGreaterThan(68.75);
    expect(Math.min(...values(byFault.undervoltage as TelemetryMessage[], 'voltage'))).toBeLessThan(360);
    const pressure = values(byFault.pressure_instability as TelemetryMessage[], 'pressure');
    expect(rollingSigmaMax(pressure)).toBeGreaterThan(0.03 * 600_000);
    expect(pressure.some((p) => p < 570_000 || p > 630_000)).toBe(true);
    expect(values(byFault.sensor_dropout as TelemetryMessage[], 'pressure')).toEqual([]);
    expect((byFault.sensor_dropout as TelemetryMessage[]).length).toBeGreaterThanOrEqual(12);
    expect(
      longestRepeat(values(byFault.stuck_value as TelemetryMessage[], 'current')),
    ).toBeGreaterThanOrEqual(60);
  });

  it('stays inside every threshold outside the windows, with live noise on every sensor', async () => {
    const { telemetry, production, labels } = await injected;
    const outside = telemetry.filter((m) => !labels.some((l) => within(l, m.ts)));
    expect(outside.length).toBeGreaterThan(900);
    for (const m of outside) expect(Object.keys(m.sensors).sort()).toEqual([...SENSOR_NAMES].sort());
    const coil = values(outside, 'temperature_coil');
    expect(Math.max(...coil)).toBeLessThan(90);
    expect(Math.min(...coil)).toBeGreaterThan(40);
    expect(Math.max(...values(outside, 'vibration_rotor'))).toBeLessThan(2.8);
    expect(Math.max(...values(outside, 'current'))).toBeLessThanOrEqual(1.1 * 55);
    expect(Math.min(...values(outside, 'voltage'))).toBeGreaterThan(380);
    expect(Math.max(...values(outside, 'voltage'))).toBeLessThan(420);
    const pressure = values(outside, 'pressure');
    expect(Math.min(...pressure)).toBeGreaterThan(570_000);
    expect(Math.max(...pressure)).toBeLessThan(630_000);
    expect(Math.max(...values(outside, 'temperature_env'))).toBeLessThan(40);
    expect(Math.max(...values(outside, 'humidity_env'))).toBeLessThan(85);
    // The first stretch before any fault: the detector's σ, stuck and rate-of-rise rules stay quiet.
    const calm = telemetry.filter((m) => m.ts < START + 10 * 60_000);
    expect(rollingSigmaMax(values(calm, 'pressure'))).toBeLessThan(0.015 * 600_000);
    expect(fastestRise(values(calm, 'temperature_coil'))).toBeLessThan(3);
    for (const sensor of ['vibration_rotor', 'current', 'pressure', 'temperature_coil'] as const) {
      expect(longestRepeat(values(outside, sensor)), sensor).toBeLessThan(10);
    }
    // Running in every shift snapshot, with cumulative counts that never go backwards within a shift.
    for (let i = 1; i < production.length; i++) {
      const [a, b] = [production[i - 1], production[i]] as [ProductionMessage, ProductionMessage];
      if (Math.floor((a.ts - 6 * 3600_000) / 28_800_000) !== Math.floor((b.ts - 6 * 3600_000) / 28_800_000))
        continue;
      expect(b.total_produksi).toBeGreaterThanOrEqual(a.total_produksi);
      expect(b.run_minutes).toBeGreaterThanOrEqual(a.run_minutes);
    }
  });

  it('makes the core detector raise exactly the labelled faults, each within its window', async () => {
    const { telemetry, production, labels } = await injected;
    expect(detectionReport(telemetry, production, labels)).toEqual({ missed: [], outside: [] });
  });

  it("replays the history's own faults, squeezed by a fast replay but still detectable", async () => {
    const { telemetry, production, labels } = await run({
      machines: 1,
      intervalMs: 5000,
      speed: 600,
      durationMs: 12 * 3600_000,
    });
    expect(labels.length).toBeGreaterThanOrEqual(20);
    expect(new Set(labels.map((l) => l.fault)).size).toBeGreaterThanOrEqual(5);
    expect(labels.every((l) => l.source === 'history')).toBe(true);
    expect(detectionReport(telemetry, production, labels)).toEqual({ missed: [], outside: [] });
  });

  it('injects a fault on demand into a running fleet and returns its label', async () => {
    const telemetry: TelemetryMessage[] = [];
    const fleet = startFleet({
      history,
      intervalMs: 20,
      speed: 1,
      publish: async (topic, payload) => {
        const v = validatePayload('telemetry', payload, { now: Date.now() });
        if (topic.endsWith('/telemetry') && v.ok) telemetry.push(v.message);
      },
    });
    const label = await fleet.injectFault('C_FL104', 'overheating', 2000);
    expect(label).toMatchObject({
      machine_id: 'C_FL104',
      fault: 'overheating',
      category: 'thermal',
      source: 'injected',
    });
    await expect(fleet.injectFault('C_FL999', 'overheating')).rejects.toThrow(/no simulated machine C_FL999/);
    await new Promise((resolve) => setTimeout(resolve, 2300));
    await fleet.stop();
    const coil = values(
      telemetry.filter((m) => within(label, m.ts)),
      'temperature_coil',
    );
    expect(Math.max(...coil)).toBeGreaterThanOrEqual(120);
    expect(fleet.labels()).toContainEqual(label);
  });

  it('parses fault specs and refuses malformed ones with the offending item', () => {
    expect(
      parseFaultSpec('C_FL104:overheating@30s+120s, C_FL105:bearing_wear@0s,*:sensor_dropout/pressure@1m+2m'),
    ).toEqual([
      {
        machine: 'C_FL104',
        type: 'overheating',
        sensor: 'temperature_coil',
        atMs: 30_000,
        durationMs: 120_000,
      },
      {
        machine: 'C_FL105',
        type: 'bearing_wear',
        sensor: 'vibration_rotor',
        atMs: 0,
        durationMs: 30 * 60_000,
      },
      { machine: '*', type: 'sensor_dropout', sensor: 'pressure', atMs: 60_000, durationMs: 120_000 },
    ]);
    expect(() => parseFaultSpec('C_FL104:meltdown@1s')).toThrow(
      /"C_FL104:meltdown@1s": unknown type "meltdown"/,
    );
    expect(() => parseFaultSpec('C_FL104 overheating')).toThrow(/is not MACHINE:TYPE/);
    expect(() => parseFaultSpec('C_FL104:overheating/current')).toThrow(/only sensor faults take a sensor/);
    expect(() => parseFaultSpec('C_FL104:overheating@5x')).toThrow(/"5x" is not a duration/);
    expect(() => startFleet({ history, faults: 'C_FL200:overheating', publish: async () => {} })).toThrow(
      /fault for unknown machine C_FL200/,
    );
  });
});

/**
 * Runs the core detector over the messages and compares its alarms with the labels: labels none of
 * whose rules raised an alarm inside the window, and alarms raised outside every window.
 */
function detectionReport(
  telemetry: readonly TelemetryMessage[],
  production: readonly ProductionMessage[],
  labels: readonly FaultLabel[],
): { missed: string[]; outside: string[] } {
  const detector = createDetector('C_FL104', defaultRules(FLEXO_104_PROFILE), {
    debounce: FLEXO_104_PROFILE.debounce_readings,
  });
  const { events } = detector.run(undefined, { telemetry, production });
  const raised = events.filter((e) => e.type === 'raised').map((e) => e.alarm);
  const missed = labels
    .filter((l) => !raised.some((a) => l.rules.includes(a.rule_id) && within(l, Date.parse(a.first_seen))))
    .map((l) => `${l.fault} ${l.start}`);
  const outside = raised
    .filter((a) => !labels.some((l) => within(l, Date.parse(a.first_seen))))
    .map((a) => `${a.rule_id} ${a.first_seen}`);
  return { missed, outside };
}
