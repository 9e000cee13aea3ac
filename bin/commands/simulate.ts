/**
 * `flexotwin simulate`: the device simulator. PHASE 1 loads (or generates) the history and prints its
 * statistics, PHASE 2 connects one MQTT client per device (or opens the dry-run file), PHASE 3 publishes
 * telemetry and production messages until the duration is over or Ctrl-C, then prints a summary.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { publishTopic } from '../../lambdas/core/ingest-rules.js';
import type { ProductionPayload } from '../../simulator/device.js';
import {
  FAULT_TYPES,
  type FaultLabel,
  formatFaultInjection,
  parseFaultSpec,
} from '../../simulator/faults.js';
import { type FleetHandle, type FleetStats, startFleet } from '../../simulator/fleet.js';
import { DEFAULT_HISTORY, generateHistory } from '../../simulator/generator.js';
import type { History } from '../../simulator/history.js';
import type { SensorRecording } from '../../simulator/import-jsonl.js';
import { createJsonlSink, type JsonlSink } from '../../simulator/jsonl-sink.js';
import { describeHistory, loadHistory } from '../../simulator/load-history.js';
import { createMqttPublisher, DEFAULT_BROKER, type MqttPublisher } from '../../simulator/mqtt.js';
import { formatStats, machineStats, phaseBanner } from '../../simulator/stats.js';
import { formatDuration } from '../../simulator/time.js';
import { describe, duration, positiveNumber, utcOffset, wholeNumber } from './simulator-options.js';

interface Options {
  broker?: string;
  endpoint?: string;
  cert?: string;
  key?: string;
  ca?: string;
  machines?: number;
  interval: number;
  speed: number;
  duration?: number;
  seed: number;
  faults?: string;
  history?: string;
  mapping?: string;
  utcOffset?: number;
  historyTime?: boolean;
  historyStart?: string;
  dryRun?: boolean;
  out?: string;
  labels?: string;
  quiet?: boolean;
  basicIngest?: boolean;
}

const CONNECT_WAIT_MS = 10_000;
const DATA_EVERY_MS = 5_000;
const PROGRESS_EVERY_MS = 500;

const FAULT_HELP = `
Fault spec (--faults): comma-separated MACHINE:TYPE[/SENSOR][@OFFSET][+DURATION]
  MACHINE   a machine id, or * for every machine
  TYPE      ${FAULT_TYPES.join(', ')}
  SENSOR    for sensor_dropout / stuck_value: which sensor (default vibration_rotor / current)
  OFFSET    when it starts, from the start of the run (wall clock; default 0s)
  DURATION  how long it lasts (default per type); durations like 500ms, 30s, 2m, 1h30m
  e.g. --faults 'C_FL104:overheating@30s+120s,C_FL105:bearing_wear@0s,*:sensor_dropout/pressure@1m+2m'

Examples:
  npx flexotwin simulate                                   # C_FL104 → mqtt://127.0.0.1:1883 every 5 s
  npx flexotwin simulate --dry-run --out /tmp/s.jsonl --machines 3 --duration 60s --speed 60
  npx flexotwin simulate --history /tmp/h --machines 20 --interval 1s --speed 600
  npx flexotwin simulate --endpoint xxxx-ats.iot.eu-west-1.amazonaws.com \\
      --cert 'certs/{machine_id}/certificate.pem.crt' --key 'certs/{machine_id}/private.pem.key' \\
      --ca certs/AmazonRootCA1.pem

Live mode (default) stamps messages with the current time while the history supplies the values and
events; --history-time keeps the history's own timestamps (and ends with the history). A dry run uses a
virtual clock: it writes the messages of --duration at once, without waiting.`;

export function register(program: Command): void {
  program
    .command('simulate')
    .description('publish simulated device telemetry and production status over MQTT (or to a file)')
    .option('--broker <url>', `MQTT broker URL (default ${DEFAULT_BROKER})`)
    .option(
      '--endpoint <host>',
      'AWS IoT Core data endpoint: MQTT over TLS on port 8883, client id = thing name',
    )
    .option('--cert <file>', 'device certificate (PEM); {machine_id} in the path is replaced per device')
    .option('--key <file>', 'device private key (PEM); {machine_id} is replaced per device')
    .option('--ca <file>', 'CA certificate (PEM), e.g. AmazonRootCA1.pem')
    .option(
      '--machines <n>',
      'machines to simulate: C_FL104, C_FL105, … (default: 1, or all of --history)',
      wholeNumber(1, 10_000),
    )
    .addOption(
      new Option('--interval <duration>', 'time between two messages of a device')
        .argParser(duration)
        .default(5000, '5s'),
    )
    .option('--speed <k>', 'replay the history k× faster than real time', positiveNumber, 1)
    .option(
      '--duration <duration>',
      'stop after this long (default: until Ctrl-C; required with --dry-run)',
      duration,
    )
    .option(
      '--seed <n>',
      'seed of the generated history and of the sensor noise',
      wholeNumber(0, 2 ** 32 - 1),
      DEFAULT_HISTORY.seed,
    )
    .option('--faults <spec>', 'faults to inject (format below)')
    .option(
      '--history <path>',
      'replay a folder of CSV reports or a .jsonl file of sensor records instead of generating',
    )
    .option(
      '--mapping <file>',
      'column mapping of the CSV reports (default: mapping.json in the folder, if any)',
    )
    .option(
      '--utc-offset <offset>',
      'zone of .jsonl timestamps that carry none, e.g. +07:00 (default UTC)',
      utcOffset,
    )
    .option('--history-time', "stamp messages with the history's own time instead of the current time")
    .option(
      '--history-start <time>',
      'where in the history to start (YYYY-MM-DD or ISO time; default its beginning)',
    )
    .option('--dry-run', 'publish nothing: write {topic, payload} lines to --out')
    .option('--out <file>', 'dry-run output file (JSON lines)')
    .option(
      '--labels <file>',
      'write the ground-truth labels of the faults (JSON lines; dry run default: <out>.labels.jsonl)',
    )
    .option('--quiet', 'no [DATA] lines, no progress line')
    .option(
      '--basic-ingest',
      "publish to the ingest rules' Basic Ingest topics ($aws/rules/<rule>/…), for stacks deployed with -c basicIngest=true",
    )
    .addHelpText('after', FAULT_HELP)
    .action(async (options: Options) => {
      try {
        await simulate(options);
      } catch (error) {
        console.error(`\nflexotwin simulate: ${describe(error)}`);
        process.exitCode = 1;
      }
    });
}

async function simulate(options: Options): Promise<void> {
  // Refuse contradictions before doing any work.
  if (options.dryRun && options.out === undefined) throw new Error('--dry-run needs --out FILE.jsonl');
  if (!options.dryRun && options.out !== undefined) throw new Error('--out is for --dry-run');
  if (options.dryRun && options.duration === undefined && !options.historyTime) {
    throw new Error('--dry-run needs --duration (or --history-time, which ends with the history)');
  }
  if (options.broker !== undefined && options.endpoint !== undefined)
    throw new Error('give --broker or --endpoint, not both');
  const faults = options.faults === undefined ? [] : parseFaultSpec(options.faults);
  const historyStart =
    options.historyStart === undefined
      ? undefined
      : Date.parse(
          /^\d{4}-\d{2}-\d{2}$/.test(options.historyStart)
            ? `${options.historyStart}T06:00:00Z`
            : options.historyStart,
        );
  if (historyStart !== undefined && Number.isNaN(historyStart))
    throw new Error(`--history-start "${options.historyStart}" is not a time`);

  process.stdout.write(`${phaseBanner(1, 'DATA ANALYSIS & INITIALIZATION')}\n`);
  let history: History | SensorRecording;
  if (options.history !== undefined) {
    const loaded = await loadHistory(options.history, {
      ...(options.mapping === undefined ? {} : { mapping: options.mapping }),
      ...(options.utcOffset === undefined ? {} : { utcOffsetMinutes: options.utcOffset }),
    });
    process.stdout.write(`${describeHistory(loaded, options.history)}\n`);
    history = loaded.kind === 'reports' ? loaded.history : loaded.recording;
  } else {
    const machines = options.machines ?? 1;
    process.stdout.write(
      `[INFO] No --history: generating ${DEFAULT_HISTORY.months} months from ${DEFAULT_HISTORY.from} for ${machines} machine(s), seed ${options.seed}\n`,
    );
    const generated = generateHistory({ machines, seed: options.seed });
    process.stdout.write(`${formatStats(machineStats(generated.rows, 'C_FL104'))}\n`);
    history = generated;
  }

  process.stdout.write(`\n${phaseBanner(2, options.dryRun ? 'DRY RUN (NO BROKER)' : 'MQTT CONNECTION')}\n`);
  const labelsPath =
    options.labels ??
    (options.dryRun ? `${(options.out as string).replace(/\.jsonl$/i, '')}.labels.jsonl` : undefined);
  if (labelsPath !== undefined) await writeFile(labelsPath, '');
  let sink: JsonlSink | undefined;
  let mqtt: MqttPublisher | undefined;
  let fleet: FleetHandle | undefined;
  let lastData = 0;
  const offline = new Set<string>();
  const lastError = new Map<string, string | undefined>();
  const machineList = machinesOf(history, options.machines);
  const progress = createProgress(
    options.quiet === true,
    () => fleet?.stats(),
    () => mqtt,
    machineList.length,
  );
  if (options.dryRun) {
    sink = await createJsonlSink(options.out as string);
    process.stdout.write(`[DRY-RUN] Writing {topic, payload} lines to ${options.out}\n`);
  } else {
    const target = options.endpoint ?? options.broker ?? DEFAULT_BROKER;
    process.stdout.write(
      `[MQTT] Attempting to connect to ${target} as ${machineList.length} device(s) (client id = thing name)\n`,
    );
    mqtt = createMqttPublisher(
      machineList,
      {
        ...(options.endpoint === undefined
          ? { url: options.broker ?? DEFAULT_BROKER }
          : { endpoint: options.endpoint }),
        ...(options.cert === undefined ? {} : { cert: options.cert }),
        ...(options.key === undefined ? {} : { key: options.key }),
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      },
      (e) => {
        // One line per outage and device, and each distinct error once, not every failed retry.
        if (e.event === 'offline') {
          offline.add(e.machineId);
          progress.note(
            `[MQTT] ${e.machineId}: connection lost; queueing messages, reconnecting with backoff`,
          );
        } else if (e.event === 'error' && lastError.get(e.machineId) !== e.detail) {
          lastError.set(e.machineId, e.detail);
          progress.note(`[MQTT] ${e.machineId}: ${e.detail}`);
        } else if (e.event === 'connected' && offline.delete(e.machineId)) {
          lastError.delete(e.machineId);
          progress.note(`[MQTT] ${e.machineId}: connected; sending what was queued`);
        }
      },
    );
    const ok = await mqtt.waitConnected(CONNECT_WAIT_MS);
    process.stdout.write(
      ok
        ? `[MQTT] Successfully connected to MQTT Broker (${mqtt.connected()}/${machineList.length} devices)\n`
        : `[MQTT] ${mqtt.connected()}/${machineList.length} devices connected after ${CONNECT_WAIT_MS / 1000} s; messages are queued until the broker is reachable\n`,
    );
  }

  process.stdout.write(`\n${phaseBanner(3, 'SIMULATION LOOP')}\n`);
  process.stdout.write(
    `[INFO] ${machineList.length} machine(s), a telemetry and a production message each every ${formatDuration(options.interval)}; ` +
      `history at ${options.speed}× speed, ${options.historyTime ? "the history's own" : 'live'} timestamps` +
      `${options.duration === undefined ? ', until Ctrl-C' : `, for ${formatDuration(options.duration)}`}\n`,
  );
  const pendingLabelWrites: Promise<void>[] = [];
  if (faults.length > 0) {
    process.stdout.write(`[INFO] Faults: ${faults.map(formatFaultInjection).join(', ')}\n`);
  }
  process.stdout.write(
    options.dryRun ? '[DRY-RUN] Writing messages...\n' : '[MQTT] Publishing sensor data...\n',
  );
  try {
    fleet = startFleet({
      history,
      ...(options.machines === undefined ? {} : { machines: options.machines }),
      intervalMs: options.interval,
      speed: options.speed,
      seed: options.seed,
      faults,
      historyTime: options.historyTime === true,
      ...(historyStart === undefined ? {} : { historyStart }),
      ...(options.duration === undefined ? {} : { durationMs: options.duration }),
      clock: options.dryRun ? 'virtual' : 'real',
      publish: (topic, payload) =>
        (sink ?? (mqtt as MqttPublisher)).publish(publishTopic(topic, options.basicIngest === true), payload),
      onLabel: (label: FaultLabel) => {
        progress.note(
          `[FAULT] ${label.machine_id}: ${label.fault} on ${label.sensor} (${label.category}) ${label.start} → ${label.end}`,
        );
        if (labelsPath !== undefined)
          pendingLabelWrites.push(appendFile(labelsPath, `${JSON.stringify(label)}\n`));
      },
      onMessage: (m) => {
        if (m.kind !== 'production' || m.message.machine_id !== machineList[0] || options.quiet) return;
        const now = Date.now();
        if (now - lastData < DATA_EVERY_MS) return;
        lastData = now;
        progress.note(dataLine(m.message));
      },
    });
    progress.begin();
  } catch (error) {
    // Nothing was published: let go of the connections so the process can end.
    await mqtt?.close(true);
    await sink?.close();
    throw error;
  }

  let interrupted = 0;
  const onSignal = () => {
    interrupted++;
    if (interrupted > 1) process.exit(130);
    progress.note('[INFO] Stopping: flushing queued messages (Ctrl-C again to quit at once)');
    void fleet?.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stats = await fleet.done;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  progress.stop();
  // Whatever the fleet could not flush in time is dropped with the connections.
  await mqtt?.close(stats.pending > 0);
  await sink?.close();
  await Promise.all(pendingLabelWrites);

  process.stdout.write(
    `\n${summary(stats, fleet.labels().length, options.dryRun ? options.out : undefined, labelsPath)}\n`,
  );
  if (stats.errors > 0 || stats.dropped > 0 || stats.pending > 0) process.exitCode = 1;
}

function machinesOf(history: History | SensorRecording, wanted: number | undefined): string[] {
  const all =
    'records' in history ? history.records.map((r) => r.machine_id) : history.rows.map((r) => r.mesin);
  const unique = [...new Set(all)];
  if (wanted !== undefined && wanted > unique.length) {
    throw new Error(`the history holds ${unique.length} machine(s); --machines ${wanted} asks for more`);
  }
  return wanted === undefined ? unique : unique.slice(0, wanted);
}

function dataLine(p: ProductionPayload): string {
  const rate = (x: number | undefined) => (x === undefined ? '–' : `${x.toFixed(1)}%`);
  return `[DATA] Machine: ${p.machine_id} | Status: ${p.status} | Performance: ${rate(p.performance_rate)} | Quality: ${rate(p.quality_rate)} | Produced: ${p.total_produksi} (${p.produk_cacat} defects) this shift`;
}

function summary(
  s: FleetStats,
  labels: number,
  out: string | undefined,
  labelsPath: string | undefined,
): string {
  const lines = [
    `[SUMMARY] ${s.generated} messages: ${s.sent} ${out === undefined ? 'acknowledged by the broker' : `written to ${out}`}, ` +
      `${s.errors} errors, ${s.dropped} dropped, ${s.pending} undelivered, in ${(s.elapsedMs / 1000).toFixed(1)} s (${s.rate.toFixed(1)} msg/s)`,
    `[SUMMARY] ${labels} fault label(s)${labelsPath === undefined ? '' : ` in ${labelsPath}`}`,
  ];
  if (s.lastError !== undefined) lines.push(`[SUMMARY] last error: ${s.lastError}`);
  return lines.join('\n');
}

/** A progress line on a TTY (redrawn in place), and notes printed above it. */
function createProgress(
  quiet: boolean,
  stats: () => FleetStats | undefined,
  publisher: () => MqttPublisher | undefined,
  machines: number,
) {
  const tty = process.stderr.isTTY === true && !quiet;
  let shown = false;
  const render = () => {
    const s = stats();
    if (s === undefined) return;
    const mqtt = publisher();
    const connected = mqtt === undefined ? '' : ` · connected ${mqtt.connected()}/${machines}`;
    process.stderr.write(
      `\r\x1b[K[PROGRESS] sent ${s.sent} · ${s.rate.toFixed(1)} msg/s · errors ${s.errors} · queued ${s.pending}${connected}`,
    );
    shown = true;
  };
  let timer: NodeJS.Timeout | undefined;
  return {
    /** Starts redrawing the progress line (on a TTY). */
    begin() {
      if (tty) timer ??= setInterval(render, PROGRESS_EVERY_MS);
    },
    note(line: string) {
      if (shown) process.stderr.write('\r\x1b[K');
      process.stdout.write(`${line}\n`);
      if (timer !== undefined) render();
    },
    stop() {
      clearInterval(timer);
      if (shown) process.stderr.write('\r\x1b[K');
    },
  };
}
