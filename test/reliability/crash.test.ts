/**
 * `flexotwin local` SIGKILLed *while the processor is in the middle of a batch*, then started again:
 * the interrupted batch is delivered again, as it was, and every message is processed once.
 *
 * A device publishes 1,000 readings of 250 machines (a fifth of them overheating, which raises alarms)
 * to the CLI running with batches of 1,000: one batch, which takes the processor seconds. The process
 * is killed once the journal shows the batch received and not deleted and the raw archive already has
 * some of its objects on disk — some machines committed, others not. After the restart, with the
 * queue drained by a SIGINT: every reading once in the time series and once in the raw archive, and
 * exactly the alarms the core detector raises from these readings, each once, in the state it gives.
 * (test/e2e/local-cli.test.ts kills the CLI with messages queued, before any processing.)
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../lambdas/core/anomaly/alarm.js';
import { createDetector } from '../../lambdas/core/anomaly/engine.js';
import { defaultRules } from '../../lambdas/core/anomaly/rules.js';
import type { TelemetryMessage } from '../../lambdas/core/messages.js';
import { machineProfile } from '../../lambdas/shared/config.js';
import {
  bannerUrls,
  connect,
  headlessLocalArgs,
  spawnLocal,
  startTestRuntime,
  telemetry,
  tempDir,
  until,
} from '../e2e/support.js';
import {
  expectExactlyOnce,
  rawReadingCounts,
  readingKey,
  report,
  storedReadingCounts,
  tally,
} from './support.js';

const MACHINES = Array.from({ length: 250 }, (_, i) => `CRASH_${String(i).padStart(3, '0')}`);
const READINGS = 4;
const overheating = (machineIndex: number) => machineIndex % 5 === 0;

const children: ChildProcess[] = [];
let dir: string | undefined;
afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function local(args: string[]) {
  const cli = spawnLocal(args, children);
  return { ...cli, mqtt: () => bannerUrls(cli.output.stdout)?.mqtt };
}

/** The ops of the queue journal, in order. */
function journalOps(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { op: string }).op);
}

/** Raw-archive objects s3rver has written to disk so far. */
function rawObjectsOnDisk(data: string): number {
  const root = join(data, 's3', 'flexotwin-raw', 'raw');
  if (!existsSync(root)) return 0;
  return readdirSync(root, { recursive: true }).filter((f) => String(f).endsWith('._S3rver_object')).length;
}

describe('SIGKILL during processing', () => {
  it('delivers the interrupted batch again after a restart and processes every message once', async () => {
    const started = Date.now();
    dir = await tempDir('crash');
    const common = headlessLocalArgs(dir);
    const journal = join(dir, 'queue', 'ingest.jsonl');

    // One batch of exactly 1,000, dispatched when the last message arrives.
    const first = local([
      ...common,
      '--batch-size',
      String(MACHINES.length * READINGS),
      '--batch-window',
      '10m',
    ]);
    const url = await until(first.mqtt, 45_000, `the first banner (${first.output.stderr})`);
    const device = await connect(url, 'crash-device');
    const T = Date.now() - 10 * 60_000;
    const sent: TelemetryMessage[] = [];
    const publishes: Promise<unknown>[] = [];
    for (let r = 1; r <= READINGS; r++)
      MACHINES.forEach((machine, m) => {
        const message = telemetry(machine, r, T + r * 1000, overheating(m) ? { temperature_coil: 125 } : {});
        sent.push(message);
        publishes.push(
          device.publishAsync(`flexotwin/${machine}/telemetry`, JSON.stringify(message), { qos: 1 }),
        );
      });
    await Promise.all(publishes);
    await device.endAsync(true);

    // Killed mid-batch: received, not deleted, some of its raw objects already written.
    const inBatch = () => {
      const ops = journalOps(journal);
      return ops.includes('receive') && !ops.includes('delete');
    };
    await until(
      () => (inBatch() && rawObjectsOnDisk(dir as string) >= 25) || undefined,
      30_000,
      'the batch half done',
    );
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const rawAtKill = rawObjectsOnDisk(dir);
    expect(inBatch()).toBe(true);
    expect(rawAtKill).toBeLessThan(MACHINES.length);

    const second = local([...common, '--batch-window', '200ms']);
    await until(second.mqtt, 45_000, `the second banner (${second.output.stderr})`);
    expect(second.output.stdout).toMatch(
      new RegExp(
        `\\[QUEUE\\] Recovered ${sent.length} message\\(s\\) from the last run \\(1 batch\\(es\\) interrupted mid-processing, delivered again first\\)`,
      ),
    );
    // A graceful stop processes everything queued before it exits.
    second.child.kill('SIGINT');
    expect(await second.exited, second.output.stderr).toBe(0);
    expect(second.output.stdout).toMatch(
      /\[SUMMARY\] \d+ message\(s\) processed in this run; 0 left in the queue/,
    );

    // What it left, read through an in-process runtime on the same data directory.
    const after = await startTestRuntime(dir, { trainModel: false });
    try {
      expect(after.recovery).toMatchObject({ pending: 0, deadLetters: 0 });
      const expected = sent.map((m) => readingKey(m.machine_id, 'telemetry', m.seq, m.ts as number));
      const stored = new Map<string, number>();
      for (const machine of MACHINES)
        for (const [k, n] of await storedReadingCounts(after, machine, T, T + 60_000)) stored.set(k, n);
      expectExactlyOnce(tally(expected, stored), 'time series');
      const raw = await rawReadingCounts(after, new Set(MACHINES));
      expectExactlyOnce(tally(expected, raw.counts), 'raw archive');

      // The alarms the core detector raises from the same readings in one pass, each once, as it leaves them.
      const want = new Map<string, Partial<Alarm>>();
      MACHINES.forEach((machine) => {
        const { profile } = machineProfile(after.config, machine);
        const detector = createDetector(machine, defaultRules(profile), {
          debounce: profile.debounce_readings,
        });
        const events = detector.run(undefined, {
          telemetry: sent.filter((m) => m.machine_id === machine),
        }).events;
        for (const e of events)
          want.set(e.alarm.alarm_id, {
            ...e.alarm,
            state: e.type === 'cleared' ? 'cleared' : 'active_unacknowledged',
          });
      });
      const items = (
        await after.clients.dynamodb.send(new ScanCommand({ TableName: after.config.ANOMALIES_TABLE }))
      ).Items as Alarm[];
      expect(items.map((a) => a.alarm_id).sort()).toEqual([...want.keys()].sort());
      for (const item of items) expect(item).toMatchObject(want.get(item.alarm_id) as Partial<Alarm>);
      expect(want.size).toBeGreaterThanOrEqual(MACHINES.filter((_, i) => overheating(i)).length);

      report('SIGKILL during processing', {
        messages: sent.length,
        machines: MACHINES.length,
        rawObjectsWrittenBeforeKill: rawAtKill,
        rawObjectsAfter: raw.objects,
        alarms: items.length,
        lost: 0,
        duplicatesStored: 0,
        seconds: (Date.now() - started) / 1000,
      });
    } finally {
      await after.stop();
    }
  }, 150_000);
});
