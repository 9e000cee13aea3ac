/**
 * The API under load: autocannon at a fixed 500 requests/s (coordinated omission corrected) on
 * GET /api/machines and GET /api/machines/C_FL104/telemetry?interval=1m of the local runtime (the real
 * API handler behind its API Gateway translation, dynalite underneath), after a day of C_FL104's
 * telemetry and production at 5 s was stored through the processor. Also each endpoint's throughput
 * unthrottled. Baseline, same run: a bare node:http endpoint answering the same JSON as /api/machines.
 * Target: p99 ≤ 20 ms at 500 requests/s on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingEventPublisher } from '../../lambdas/adapters/memory/publisher.js';
import { startLocalRuntime } from '../../local/runtime.js';
import { fleetTraffic, slicesOf } from '../fleet.js';
import { bareJsonServer, type HttpLoadResult, httpLoad } from '../load/http-load.js';
import { prepare, processorUnderTest, runBatches } from '../processor-workload.js';
import type { Figure, Section } from '../report.js';
import { CLOUD } from './processor.js';

const MACHINE = 'C_FL104';
const RATE = 500;
const P99_TARGET_MS = 20;
const CONNECTIONS = 10;
const DAY_MS = 86_400_000;

export const apiSection: Section = {
  name: 'api',
  title: 'API: p50/p99 latency at 500 req/s and throughput (autocannon) over a day of stored data',
  async run({ quick, log }) {
    const seconds = quick ? 3 : 10;
    const dataDir = mkdtempSync(join(tmpdir(), 'flexotwin-bench-api-'));
    const runtime = await startLocalRuntime({
      dataDir,
      port: 0,
      mqttPort: 0,
      machines: [MACHINE],
      simulator: false,
      trainModel: false,
    });
    const results: Record<string, { fixed: HttpLoadResult; max: HttpLoadResult }> = {};
    let stored = 0;
    try {
      // A day of one machine at 5 s, ending now, through the processor in cloud-sized batches, into the
      // runtime's stores (dynalite, s3rver).
      const day = quick ? DAY_MS / 8 : DAY_MS;
      const traffic = await fleetTraffic({ machines: 1, durationMs: day, startTime: Date.now() - day });
      const batches = prepare(slicesOf(traffic, CLOUD.batchSize));
      const t = performance.now();
      const ports = { ...runtime.stores, publisher: new RecordingEventPublisher() };
      const { failed } = await runBatches(processorUnderTest(ports), batches);
      if (failed > 0) throw new Error(`loading the day failed for ${failed} records`);
      stored = traffic.length;
      log(
        `stored ${stored} messages of ${MACHINE} (${day / 3_600_000} h at 5 s) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
      );

      const machinesPath = '/api/machines';
      const telemetryPath = `/api/machines/${MACHINE}/telemetry?interval=1m`;
      const runtimeBase = runtime.urls.api.replace(/\/api$/, '');
      const body = await (await fetch(`${runtimeBase}${machinesPath}`)).text();
      const bare = await bareJsonServer(body);
      try {
        const endpoints: [string, string][] = [
          ['baseline: bare node:http', bare.url],
          ['local: /api/machines', `${runtimeBase}${machinesPath}`],
          ['local: …/telemetry?interval=1m', `${runtimeBase}${telemetryPath}`],
        ];
        for (const [name, url] of endpoints) {
          const check = await fetch(url);
          if (!check.ok) throw new Error(`${url} answered ${check.status}`);
          await check.arrayBuffer();
          const fixed = await httpLoad({ url, seconds, connections: CONNECTIONS, rate: RATE });
          const max = await httpLoad({ url, seconds: Math.max(2, seconds / 3), connections: CONNECTIONS });
          results[name] = { fixed, max };
          log(
            `${name}: at ${RATE}/s p50 ${fixed.p50Ms} ms p99 ${fixed.p99Ms} ms (${fixed.rps.toFixed(0)} req/s, ${fixed.failures} failed); unthrottled ${max.rps.toFixed(0)} req/s`,
          );
        }
      } finally {
        await bare.close();
      }
    } finally {
      await runtime.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }

    const figures: Figure[] = [];
    for (const [name, r] of Object.entries(results)) {
      const judged = !name.startsWith('baseline');
      const ok = r.fixed.failures === 0 && r.fixed.rps >= 0.95 * RATE;
      figures.push(
        { name: `${name}: p50 at ${RATE}/s`, value: r.fixed.p50Ms, unit: 'ms' },
        {
          name: `${name}: p99 at ${RATE}/s`,
          value: r.fixed.p99Ms,
          unit: 'ms',
          ...(judged && { target: `≤ ${P99_TARGET_MS} ms`, pass: ok && r.fixed.p99Ms <= P99_TARGET_MS }),
        },
        { name: `${name}: served at ${RATE}/s`, value: Math.round(r.fixed.rps), unit: 'req/s' },
        { name: `${name}: unthrottled`, value: Math.round(r.max.rps), unit: 'req/s' },
      );
    }
    return {
      section: 'api',
      title: apiSection.title,
      setup: {
        machine: MACHINE,
        stored_messages: stored,
        rate: RATE,
        connections: CONNECTIONS,
        seconds,
        telemetry: `/api/machines/${MACHINE}/telemetry?interval=1m (default range: the last hour)`,
      },
      figures,
      data: results,
    };
  },
};
