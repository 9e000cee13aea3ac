/**
 * End-to-end local throughput: device messages published with MQTT.js (QoS 1, in a worker thread) to
 * the local runtime (local/runtime.ts: aedes + rules engine + journaled queue with the cloud batch size
 * and window + the real processor + dynalite/s3rver + the real API), at increasing load, 10 s per step,
 * until the queue no longer drains. Latency is publish → queryable: probe machines are polled through
 * GET /api/machines/{id}/telemetry until each of their readings appears.
 *
 * Baseline, same run: a bare aedes broker of its own, the same load generator (same payloads, QoS 1)
 * as fast as it acknowledges, one QoS 1 subscriber. Targets: sustained end-to-end ≥ 25 % of the bare
 * broker's throughput, with p99 publish → queryable ≤ 2 × the batching window (the cloud's, 10 s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRuntime } from '../../local/runtime.js';
import { machineIds } from '../../simulator/history.js';
import { bareBrokerThroughput, runLoad } from '../load/mqtt-load.js';
import type { Figure, Section } from '../report.js';
import { CLOUD } from './processor.js';

const MACHINES = machineIds(100);
const PROBES = MACHINES.slice(0, 4);
const CONNECTIONS = 10;
const STEP_SECONDS = 10;
const RATIO_TARGET = 0.25;
const POLL_MS = 250;

export interface StepResult {
  readonly offered: number;
  /** Acknowledged by the broker per second of publishing. */
  readonly achieved: number;
  readonly sustained: boolean;
  readonly why?: string;
  readonly maxDepth: number;
  /** Publish → queryable, ms, over the probe machines' telemetry. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly samples: number;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted.length === 0
    ? Number.POSITIVE_INFINITY
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);

export const e2eSection: Section = {
  name: 'e2e',
  title: 'End-to-end local throughput: MQTT publish (QoS 1) → queryable through the API, vs bare aedes',
  async run({ quick, log }) {
    const windowMs = CLOUD.batchWindowSeconds * 1000;
    let seqBase = Date.now() * 10;
    log(`bare aedes: ${CONNECTIONS} connections, QoS 1, as fast as acknowledged…`);
    const bare = await bareBrokerThroughput({
      machines: MACHINES,
      connections: CONNECTIONS,
      seconds: quick ? 3 : 5,
      inflight: 100,
      firstSeq: seqBase,
    });
    log(`bare aedes: ${bare.delivered.toFixed(0)} msg/s delivered to the subscriber`);

    const dataDir = mkdtempSync(join(tmpdir(), 'flexotwin-bench-e2e-'));
    const runtime = await startLocalRuntime({
      dataDir,
      port: 0,
      mqttPort: 0,
      machines: [PROBES[0] as string],
      simulator: false,
      trainModel: false,
      batchWindowMs: windowMs,
    });
    const steps: StepResult[] = [];
    try {
      const rates = quick ? [200, 800] : [300, 600, 1000, 1500, 2250, 3400, 5000];
      for (const offered of rates) {
        seqBase += 10_000_000;
        const step = await runStep(runtime, offered, seqBase, windowMs);
        steps.push(step);
        log(
          `${offered} msg/s offered: ${step.achieved.toFixed(0)} acknowledged/s, max queue depth ${step.maxDepth}, publish→queryable p50 ${(step.p50Ms / 1000).toFixed(1)} s p99 ${(step.p99Ms / 1000).toFixed(1)} s (${step.samples} probe readings): ${step.sustained ? 'sustained' : `not sustained (${step.why})`}`,
        );
        if (!step.sustained) break;
      }
    } finally {
      await runtime.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }

    const sustained = steps.filter((s) => s.sustained);
    const best = sustained.at(-1);
    const e2e = best?.achieved ?? 0;
    const ratio = e2e / bare.delivered;
    const figures: Figure[] = [
      { name: 'baseline: bare aedes pub/sub (QoS 1)', value: Math.round(bare.delivered), unit: 'msg/s' },
      { name: 'end-to-end, highest sustained step', value: Math.round(e2e), unit: 'msg/s' },
      {
        name: 'end-to-end / bare broker',
        value: Math.round(ratio * 1000) / 10,
        unit: '%',
        target: `≥ ${RATIO_TARGET * 100} %`,
        pass: ratio >= RATIO_TARGET,
      },
      {
        name: 'publish → queryable p50 (at that step)',
        value: Math.round((best?.p50Ms ?? Number.NaN) / 100) / 10,
        unit: 's',
      },
      {
        name: 'publish → queryable p99 (at that step)',
        value: Math.round((best?.p99Ms ?? Number.NaN) / 100) / 10,
        unit: 's',
        target: `≤ ${(2 * windowMs) / 1000} s (2 × window)`,
        pass: best !== undefined && best.p99Ms <= 2 * windowMs,
      },
    ];
    return {
      section: 'e2e',
      title: e2eSection.title,
      setup: {
        machines: MACHINES.length,
        connections: CONNECTIONS,
        step_s: STEP_SECONDS,
        window_s: windowMs / 1000,
        batch_size: CLOUD.batchSize,
        probes: PROBES.length,
        steps: steps.map((s) => `${s.offered}${s.sustained ? '' : '✗'}`).join(' → '),
      },
      figures,
      data: { bare, steps },
    };
  },
};

type Runtime = Awaited<ReturnType<typeof startLocalRuntime>>;

async function runStep(
  runtime: Runtime,
  offered: number,
  firstSeq: number,
  windowMs: number,
): Promise<StepResult> {
  const seen = new Map<string, Map<number, number>>(PROBES.map((p) => [p, new Map()]));
  const from = new Date(Date.now() - 1000).toISOString();
  let maxDepth = 0;
  let polling = true;
  const poll = async () => {
    while (polling) {
      const started = Date.now();
      maxDepth = Math.max(maxDepth, runtime.stats().queue.depth);
      await Promise.all(
        PROBES.map(async (machine) => {
          const to = new Date(Date.now() + 60_000).toISOString();
          const url = `${runtime.urls.api}/machines/${machine}/telemetry?from=${from}&to=${to}&limit=10000`;
          const response = await fetch(url);
          if (!response.ok) return;
          const body = (await response.json()) as { points?: { ts: string; seq: number }[] };
          const now = Date.now();
          const mine = seen.get(machine) as Map<number, number>;
          for (const p of body.points ?? []) {
            if (p.seq > firstSeq && !mine.has(p.seq)) mine.set(p.seq, now - Date.parse(p.ts));
          }
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, POLL_MS - (Date.now() - started))));
    }
  };
  const poller = poll();
  const load = await runLoad({
    url: runtime.urls.mqtt,
    machines: MACHINES,
    connections: CONNECTIONS,
    rate: offered,
    seconds: STEP_SECONDS,
    inflight: 0,
    firstSeq,
  });
  const expected = (m: string) => load.telemetryByMachine[m] ?? 0;
  const allSeen = () => PROBES.every((m) => (seen.get(m)?.size ?? 0) >= expected(m));
  // Drained: the queue is empty and every probe reading is queryable — within 2 windows of the last publish.
  const deadline = load.endedAt + 2 * windowMs + 2000;
  while (Date.now() < deadline && !(runtime.stats().queue.depth === 0 && allSeen())) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const drained = runtime.stats().queue.depth === 0 && allSeen();
  polling = false;
  await poller;
  // A reading never seen counts as infinitely late.
  const latencies: number[] = [];
  for (const m of PROBES) {
    const got = [...(seen.get(m)?.values() ?? [])];
    latencies.push(...got, ...Array(Math.max(0, expected(m) - got.length)).fill(Number.POSITIVE_INFINITY));
  }
  latencies.sort((a, b) => a - b);
  const seconds = Math.max(0.001, (load.endedAt - load.startedAt) / 1000);
  const achieved = load.acked / seconds;
  const kept = achieved >= 0.95 * offered;
  return {
    offered,
    achieved,
    sustained: drained && kept,
    ...(!drained
      ? { why: 'the queue did not drain within 2 windows' }
      : !kept
        ? { why: `the broker acknowledged only ${achieved.toFixed(0)} msg/s` }
        : {}),
    maxDepth,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    samples: latencies.length,
  };
}
