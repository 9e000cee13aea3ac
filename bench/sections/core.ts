/**
 * Core throughput: validate + detect + health for telemetry messages arriving as JSON strings, in
 * batches as the processor sees them, against a baseline of bare JSON.parse plus four threshold
 * comparisons on the same strings. Target: core ≥ 45 % of the baseline's throughput.
 */
import { createDetector, type Detector } from '../../lambdas/core/anomaly/engine.js';
import { defaultRules } from '../../lambdas/core/anomaly/rules.js';
import { FLEXO_104_COMPONENTS } from '../../lambdas/core/fmea.js';
import { advanceMachine, type MachineState } from '../../lambdas/core/machine.js';
import type { TelemetryMessage } from '../../lambdas/core/messages.js';
import { FLEXO_104_PROFILE } from '../../lambdas/core/profiles.js';
import { createRandom } from '../../lambdas/core/random.js';
import { validatePayload } from '../../lambdas/core/validate.js';
import { median, type Section } from '../report.js';

const MACHINES = 100;
/** The processor's default SQS batch size (lib/config.ts): ~10 messages per machine per batch. */
const BATCH = 1000;
const TARGET_RATIO = 0.45;
const INTERVAL_MS = 5_000;

interface Workload {
  readonly payloads: string[];
  readonly topicIds: string[];
  readonly now: number;
}

/** Plausible Flexo 104 motor readings with noise, and occasional overheating and vibration episodes. */
function makeWorkload(count: number): Workload {
  const random = createRandom(42);
  const start = Date.UTC(2026, 0, 1);
  const perMachine = Math.ceil(count / MACHINES);
  const payloads: string[] = new Array(count);
  const topicIds: string[] = new Array(count);
  const ids = Array.from({ length: MACHINES }, (_, i) => `FLEXO_${String(i).padStart(3, '0')}`);
  const excursion = ids.map(() => ({ heat: 0, vib: 0 }));
  let n = 0;
  for (let step = 0; step < perMachine && n < count; step++) {
    for (let m = 0; m < MACHINES && n < count; m++) {
      const ex = excursion[m] as { heat: number; vib: number };
      if (ex.heat === 0 && random.next() < 0.0005) ex.heat = 120;
      if (ex.vib === 0 && random.next() < 0.0005) ex.vib = 60;
      const heat = ex.heat > 0 ? 35 * Math.sin((Math.PI * ex.heat--) / 120) : 0;
      const vib = ex.vib-- > 0 ? 2.2 : 0;
      if (ex.vib < 0) ex.vib = 0;
      const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
      const message = {
        machine_id: ids[m],
        ts: new Date(start + step * INTERVAL_MS + m * 37).toISOString(),
        seq: step,
        sensors: {
          temperature_coil: round(72 + heat + random.normal(0, 0.8), 3),
          vibration_rotor: round(1.6 + vib + random.normal(0, 0.12), 4),
          current: round(41 + random.normal(0, 1.2), 3),
          voltage: round(398 + random.normal(0, 2), 3),
          pressure: round(600_000 + random.normal(0, 2500), 2),
          temperature_env: round(29 + random.normal(0, 0.3), 3),
          humidity_env: round(64 + random.normal(0, 1), 3),
        },
      };
      payloads[n] = JSON.stringify(message);
      topicIds[n] = message.machine_id as string;
      n++;
    }
  }
  return { payloads, topicIds, now: start + perMachine * INTERVAL_MS + 60_000 };
}

function runBaseline(w: Workload): number {
  let hits = 0;
  for (const payload of w.payloads) {
    const m = JSON.parse(payload);
    const s = m.sensors;
    if (s.temperature_coil >= 100 || s.vibration_rotor >= 2.8 || s.current > 60.5 || s.pressure < 570_000)
      hits++;
  }
  return hits;
}

interface CoreRun {
  valid: number;
  events: number;
  healthUpdates: number;
}

function runCore(w: Workload): CoreRun {
  const rules = defaultRules(FLEXO_104_PROFILE);
  const detectors = new Map<string, Detector>();
  const states = new Map<string, MachineState>();
  const result: CoreRun = { valid: 0, events: 0, healthUpdates: 0 };
  const { payloads, topicIds, now } = w;
  for (let start = 0; start < payloads.length; start += BATCH) {
    const end = Math.min(start + BATCH, payloads.length);
    const byMachine = new Map<string, TelemetryMessage[]>();
    for (let i = start; i < end; i++) {
      const v = validatePayload('telemetry', payloads[i], { topicMachineId: topicIds[i], now });
      if (!v.ok) continue;
      result.valid++;
      const list = byMachine.get(v.message.machine_id);
      if (list === undefined) byMachine.set(v.message.machine_id, [v.message]);
      else list.push(v.message);
    }
    for (const [machineId, telemetry] of byMachine) {
      let detector = detectors.get(machineId);
      if (detector === undefined) {
        detector = createDetector(machineId, rules, { debounce: FLEXO_104_PROFILE.debounce_readings });
        detectors.set(machineId, detector);
      }
      const r = advanceMachine(states.get(machineId), telemetry, [], {
        detector,
        components: FLEXO_104_COMPONENTS,
        idealRatePpm: FLEXO_104_PROFILE.ideal_rate_ppm,
        now,
      });
      states.set(machineId, r.state);
      result.events += r.events.length;
      if (r.healthChanged) result.healthUpdates++;
    }
  }
  return result;
}

export const coreSection: Section = {
  name: 'core',
  title: 'Core: validate + detect + health per telemetry message vs bare JSON.parse',
  async run({ quick, log }) {
    const count = quick ? 100_000 : 1_000_000;
    log(`generating ${count.toLocaleString('en-US')} messages for ${MACHINES} machines…`);
    const w = makeWorkload(count);
    const avgBytes = w.payloads.reduce((sum, p) => sum + p.length, 0) / w.payloads.length;
    // Warm both paths up (JIT) on a slice, then alternate measured rounds so drift hits both alike.
    const warm = { ...w, payloads: w.payloads.slice(0, 50_000), topicIds: w.topicIds.slice(0, 50_000) };
    runBaseline(warm);
    runCore(warm);
    const baseline: number[] = [];
    const core: number[] = [];
    let last: CoreRun | undefined;
    for (let round = 0; round < 3; round++) {
      let t = performance.now();
      runBaseline(w);
      baseline.push(count / ((performance.now() - t) / 1000));
      t = performance.now();
      last = runCore(w);
      core.push(count / ((performance.now() - t) / 1000));
      log(
        `round ${round + 1}: baseline ${Math.round(baseline.at(-1) ?? 0)} msg/s, core ${Math.round(core.at(-1) ?? 0)} msg/s`,
      );
    }
    const b = median(baseline);
    const c = median(core);
    const ratio = c / b;
    return {
      section: 'core',
      title: coreSection.title,
      setup: {
        messages: count,
        machines: MACHINES,
        batch: BATCH,
        avg_payload_bytes: Math.round(avgBytes),
        rounds: 3,
        valid: last?.valid ?? 0,
        alarm_events: last?.events ?? 0,
        health_recomputes: last?.healthUpdates ?? 0,
      },
      figures: [
        { name: 'baseline: JSON.parse + 4 comparisons', value: Math.round(b), unit: 'msg/s' },
        { name: 'core: validate + detect + health', value: Math.round(c), unit: 'msg/s' },
        { name: 'core per message', value: Math.round((1e9 / c) * 10) / 10 / 1000, unit: 'µs' },
        {
          name: 'core / baseline',
          value: Math.round(ratio * 1000) / 10,
          unit: '%',
          target: `≥ ${TARGET_RATIO * 100} %`,
          pass: ratio >= TARGET_RATIO,
        },
      ],
    };
  },
};
