/**
 * The whole FlexoTwin system on one machine (DESIGN.md §7), as a library: `flexotwin local` (`npm
 * start`) is a thin command over `startLocalRuntime`, and tests, benchmarks and the dashboard's browser
 * tests start it in process the same way.
 *
 *   devices/simulator ──MQTT──▶ aedes ──rules engine──▶ ingest queue (journal) ──SQS event──▶ processor
 *                                 ▲   (ingest-rules.ts)    batch size/window,      handler (real)
 *                                 │                        retries, dead letters        │
 *                                 └──── anomalies, shadow ◀─────────────────────────────┤
 *   HTTP clients ──▶ HTTP server ──API Gateway v2 event──▶ API handler (real) ──▶ stores (s3rver, dynalite)
 *
 * Start-up prints three phases, as the original system did: PHASE 1 the fleet's history and its
 * statistics, PHASE 2 storage, queue, broker and API, PHASE 3 the simulation loop. Stopping stops the
 * simulator, refuses new device messages, sends every queued message through the processor, and closes
 * the servers and emulators; whatever could not be processed stays in the journal for the next start.
 */
import { mkdirSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import type { EmfOutput } from '@aws-lambda-powertools/metrics/types';
import type { SQSBatchResponse } from 'aws-lambda';
import { type AwsClients, awsClientOptions, createAwsClients } from '../lambdas/adapters/aws-clients.js';
import { createStores, type Stores } from '../lambdas/adapters/index.js';
import { aedesPublish, MqttEventPublisher } from '../lambdas/adapters/mqtt/publisher.js';
import { dynamoDbProbe } from '../lambdas/adapters/probes.js';
import type { AlarmEvent } from '../lambdas/core/anomaly/alarm.js';
import { loadPredictor } from '../lambdas/core/forest/index.js';
import { INGEST_RULES, ruleSql, TOPIC_ROOT } from '../lambdas/core/ingest-rules.js';
import { INGEST_TOPICS, makeHandler as makeApiHandler } from '../lambdas/handlers/api.js';
import { makeHandler as makeProcessorHandler } from '../lambdas/handlers/processor.js';
import { makeHandler as makeSeedHandler } from '../lambdas/handlers/seed-components.js';
import { type Config, loadConfig, METRICS_NAMESPACE, machineProfile } from '../lambdas/shared/config.js';
import { configSchema as deploymentConfigSchema } from '../lib/config.js';
import { MAX_RECEIVE_COUNT } from '../lib/constructs/ingestion.js';
import { type FaultInjection, type FaultLabel, type FaultType, parseFaultSpec } from '../simulator/faults.js';
import { type FleetHandle, type FleetStats, startFleet } from '../simulator/fleet.js';
import { DEFAULT_HISTORY, generateHistory } from '../simulator/generator.js';
import { type History, machineIds } from '../simulator/history.js';
import { createMqttPublisher, type MqttPublisher } from '../simulator/mqtt.js';
import { formatStats, machineStats, phaseBanner } from '../simulator/stats.js';
import { lambdaContext } from './api-gateway.js';
import { type LocalBroker, startBroker } from './broker.js';
import { acquireDataDir, type DataDirLock, DEFAULT_DATA_DIR, dataDirLayout } from './data-dir.js';
import {
  EMULATOR_CREDENTIALS,
  type Emulators,
  provisionResources,
  resourcesOf,
  startEmulators,
} from './emulators.js';
import {
  DEFAULT_FAULT_SCHEDULE,
  describeSchedule,
  type FaultSchedule,
  startFaultSchedule,
} from './fault-schedule.js';
import { API_PREFIX, type LocalHttpServer, startHttpServer } from './http-server.js';
import { addEmf, LocalLogger, LocalMetrics, LogFile, type LogLevelName, type LogSink } from './logs.js';
import { ensureMaintenanceModel, type ModelStatus } from './model.js';
import { type Batch, type DeadLetter, IngestQueue, type QueueStats, type Recovery } from './queue.js';
import { isLoopback } from './request-guard.js';
import { ingestBody } from './rules-engine.js';
import { LOCAL_QUEUE, sqsEvent } from './sqs-event.js';

/** The cloud's defaults (lib/config.ts, lib/constructs/ingestion.ts): the local queue batches the same way. */
const CLOUD = deploymentConfigSchema.parse({});
export const CLOUD_BATCH_SIZE = CLOUD.batchSize;
export const CLOUD_BATCH_WINDOW_MS = CLOUD.batchWindowSeconds * 1000;
export { MAX_RECEIVE_COUNT };

export const DEFAULT_HOST = '127.0.0.1';
/** The original system's port: its documented clients work unchanged. */
export const DEFAULT_API_PORT = 5000;
export const DEFAULT_MQTT_PORT = 1883;
/** The path of MQTT over WebSocket on the HTTP server. */
export const MQTT_WS_PATH = '/mqtt';
export const DEFAULT_MACHINES = machineIds(3);
/** The simulator's pace: a message of each kind per device every second, the history 60× faster. */
export const DEFAULT_INTERVAL_MS = 1000;
export const DEFAULT_SPEED = 60;
/** How long a failed record stays invisible before it is retried (the cloud's is minutes). */
export const DEFAULT_VISIBILITY_TIMEOUT_MS = 5_000;

/** The only time-series backend that runs locally. */
export const LOCAL_TIME_SERIES = 'dynamodb';

/** Local names of the buckets and tables (the stack generates its own). */
const RESOURCE_NAMES = {
  RAW_BUCKET: 'flexotwin-raw',
  COMPONENTS_TABLE: 'flexotwin-components',
  ANOMALIES_TABLE: 'flexotwin-anomalies',
  MACHINE_STATE_TABLE: 'flexotwin-machine-state',
  TELEMETRY_TABLE: 'flexotwin-telemetry',
} as const;

export interface SimulatorOptions {
  /** Wall time between two messages of a device (default 1 s). */
  readonly intervalMs?: number;
  /** The replayed history runs this many times faster than real time (default 60). */
  readonly speed?: number;
  /** Seed of the history and of the sensor noise (default 1). */
  readonly seed?: number;
  /**
   * Injected faults: 'default' (DEFAULT_FAULT_SCHEDULE, repeating), 'none', a schedule of your own, or
   * a one-off `--faults` spec / injections (offsets from the start).
   */
  readonly faults?: 'default' | 'none' | FaultSchedule | string | readonly FaultInjection[];
}

export interface LocalRuntimeOptions {
  /** Data directory (default .flexotwin in the current directory); kept across restarts. */
  readonly dataDir?: string;
  /** Address of the API, the MQTT broker and MQTT over WebSocket (default 127.0.0.1, loopback only). */
  readonly host?: string;
  /** API port (default 5000; 0 picks a free port). */
  readonly port?: number;
  /** MQTT port (default 1883; 0 picks a free port). */
  readonly mqttPort?: number;
  /** MQTT over WebSocket on a port of its own (it is always on the API port at /mqtt too). */
  readonly wsPort?: number;
  /** Emulator ports (default: free ports, always on 127.0.0.1). */
  readonly s3Port?: number;
  readonly dynamodbPort?: number;
  /** The machines: what the simulator runs, the history is generated for, and the default machine. */
  readonly machines?: number | readonly string[];
  /** The simulated fleet (default on); false: devices are yours to connect. */
  readonly simulator?: SimulatorOptions | false;
  /** Queue batching (default: the cloud's, 1000 messages / 10 s). */
  readonly batchSize?: number;
  readonly batchWindowMs?: number;
  readonly visibilityTimeoutMs?: number;
  readonly maxReceiveCount?: number;
  /** Only "dynamodb" runs locally; anything else is refused with a pointer to the CDK deployment. */
  readonly timeSeries?: string;
  /** Directory served at / (the dashboard); / answers 404 without one. */
  readonly staticRoot?: string;
  /** Browser origins allowed to call the API (none by default, as in the stack). */
  readonly corsOrigins?: readonly string[];
  /** Train a maintenance model on first start when the model store has none (default true). */
  readonly trainModel?: boolean;
  /** Environment-contract overrides (MACHINE_PROFILES, TELEMETRY_RETENTION_DAYS, …). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Level of the functions' logs in logs/flexotwin.log (default INFO). */
  readonly logLevel?: LogLevelName;
  /** Progress and event lines (PHASE …, [ALARM] …); nothing is printed without it. */
  readonly print?: (line: string) => void;
}

export interface RuntimeUrls {
  /** http://host:port/api */
  readonly api: string;
  /** http://host:port/ (the dashboard's place) */
  readonly dashboard: string;
  readonly mqtt: string;
  /** ws://host:port/mqtt on the API server */
  readonly mqttWebSocket: string;
  /** ws://host:wsPort when wsPort was given */
  readonly mqttWebSocketPort?: string;
  readonly s3: string;
  readonly dynamodb: string;
}

export interface MachineSummary {
  readonly machine_id: string;
  readonly status: string | null;
  readonly health_index: number | null;
  readonly health_status: string | null;
  readonly oee: number | null;
  readonly active_alarms: number;
}

export interface RuntimeStats {
  readonly uptimeMs: number;
  /** Device messages the rules engine queued since the start. */
  readonly ingested: number;
  /** Of those, per second over the last 10 s. */
  readonly ingestRate: number;
  /** Queue messages the processor handled (deleted from the queue). */
  readonly processed: number;
  /** The processor's own counts (its EMF metrics, summed). */
  readonly quarantined: number;
  readonly duplicates: number;
  readonly anomalies: number;
  readonly queue: QueueStats;
  /** Refreshed every 2 s from the machine-state table. */
  readonly alarmsActive: number;
  readonly machines: readonly MachineSummary[];
  readonly simulator?: FleetStats;
}

export interface StopSummary {
  readonly processed: number;
  /** Left in the queue for the next start (failed during the final flush). */
  readonly leftInQueue: number;
  readonly deadLetters: number;
}

export interface LocalRuntime {
  readonly urls: RuntimeUrls;
  readonly ports: {
    readonly api: number;
    readonly mqtt: number;
    readonly ws?: number;
    readonly s3: number;
    readonly dynamodb: number;
  };
  readonly host: string;
  readonly dataDir: string;
  readonly machines: readonly string[];
  /** The environment contract the handlers run with (bucket and table names, endpoints). */
  readonly config: Config;
  /** AWS SDK clients on the emulators (for tests and tools: list the raw archive, scan a table). */
  readonly clients: AwsClients;
  readonly stores: Stores;
  readonly emulators: Emulators;
  readonly broker: LocalBroker;
  readonly fleet: FleetHandle | undefined;
  readonly model: ModelStatus | undefined;
  readonly recovery: Recovery;
  /** When start-up began and when everything was up (epoch ms). */
  readonly startedAt: number;
  readonly readyAt: number;
  stats(): RuntimeStats;
  /** Starts a fault on a simulated machine (at its next tick). */
  injectFault(machineId: string, type: FaultType, durationMs?: number): Promise<FaultLabel>;
  /** Waits for the simulator's messages in flight, then sends everything queued through the processor. */
  flush(): Promise<void>;
  deadLetters(): DeadLetter[];
  /** Moves dead letters (all, or those named) back to the queue; returns how many. */
  redriveDeadLetters(messageIds?: readonly string[]): Promise<number>;
  /** Stops everything (see the module comment). Idempotent. */
  stop(): Promise<StopSummary>;
}

/** A start-up problem the user can fix (printed without a stack trace). */
export class LocalRuntimeError extends Error {
  override name = 'LocalRuntimeError';
}

/** A path relative to the current directory when it is inside it, absolute otherwise. */
export function shortPath(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside === '' ? '.' : inside.startsWith('..') || isAbsolute(inside) ? path : inside;
}

export { isLoopback };

const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** Per second counts over a sliding window (shorter while the meter is younger than the window). */
function rateMeter(windowS = 10) {
  const buckets = new Map<number, number>();
  const born = Math.floor(Date.now() / 1000);
  return {
    add(n = 1) {
      const s = Math.floor(Date.now() / 1000);
      buckets.set(s, (buckets.get(s) ?? 0) + n);
      for (const k of buckets.keys()) if (k <= s - windowS) buckets.delete(k);
    },
    rate(): number {
      const s = Math.floor(Date.now() / 1000);
      let n = 0;
      // Whole seconds only: the current one is still filling.
      for (const [k, v] of buckets) if (k < s && k >= s - windowS) n += v;
      const seconds = Math.min(windowS, s - born);
      return seconds > 0 ? n / seconds : 0;
    },
  };
}

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const startedAt = Date.now();
  const print = options.print ?? (() => {});
  const timeSeries = options.timeSeries ?? LOCAL_TIME_SERIES;
  if (timeSeries !== LOCAL_TIME_SERIES) {
    throw new LocalRuntimeError(
      `--time-series ${timeSeries}: the local runtime stores time series in DynamoDB (dynalite) only. ` +
        'Amazon Timestream has no local emulator; deploy the stack with `npx cdk deploy -c timeSeries=timestream` to use it (see README.md).',
    );
  }
  const host = options.host ?? DEFAULT_HOST;
  const machines = machineIds(options.machines ?? DEFAULT_MACHINES);
  if (machines.length === 0) throw new LocalRuntimeError('--machines: at least one machine is needed');
  const simulator = options.simulator === false ? undefined : (options.simulator ?? {});
  const seed = simulator?.seed ?? DEFAULT_HISTORY.seed;
  const batchSize = options.batchSize ?? CLOUD_BATCH_SIZE;
  const batchWindowMs = options.batchWindowMs ?? CLOUD_BATCH_WINDOW_MS;
  const faults = simulator === undefined ? 'none' : (simulator.faults ?? 'default');
  const oneOffFaults =
    typeof faults === 'string' && faults !== 'default' && faults !== 'none'
      ? parseFaultSpec(faults)
      : Array.isArray(faults)
        ? (faults as readonly FaultInjection[])
        : undefined;
  const schedule =
    faults === 'default'
      ? DEFAULT_FAULT_SCHEDULE
      : typeof faults === 'object' && !Array.isArray(faults)
        ? (faults as FaultSchedule)
        : undefined;

  const layout = dataDirLayout(options.dataDir ?? DEFAULT_DATA_DIR);
  const shownDir = shortPath(layout.root);
  const lock: DataDirLock = acquireDataDir(layout.root, 'flexotwin local');
  // Everything started so far, closed in reverse order if start-up fails half way.
  const cleanups: (() => Promise<unknown> | unknown)[] = [() => lock.release()];
  const unwind = async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch {
        // Keep closing the rest.
      }
    }
  };

  try {
    // ----------------------------------------------------------------------------------- PHASE 1
    print(phaseBanner(1, 'DATA ANALYSIS & INITIALIZATION'));
    print('[INFO] FlexoTwin Smart Maintenance 4.0 - local runtime');
    print(`[INFO] Data directory: ${layout.root}`);
    print(
      `[INFO] Generating ${DEFAULT_HISTORY.months} months of shift reports from ${DEFAULT_HISTORY.from} for ${machines.join(', ')} (seed ${seed})`,
    );
    const history: History = generateHistory({ machines, seed });
    print(formatStats(machineStats(history.rows, machines[0] as string)));

    // ----------------------------------------------------------------------------------- PHASE 2
    print(`\n${phaseBanner(2, 'STORAGE, QUEUE, MQTT BROKER & API')}`);
    const emulators = await startEmulators({
      dataDir: layout.root,
      ...(options.s3Port === undefined ? {} : { s3Port: options.s3Port }),
      ...(options.dynamodbPort === undefined ? {} : { dynamodbPort: options.dynamodbPort }),
    });
    cleanups.push(() => emulators.stop());
    print(`[STORAGE] S3 (s3rver) on ${emulators.s3Endpoint}, data in ${shownDir}/s3`);
    print(`[STORAGE] DynamoDB (dynalite) on ${emulators.dynamodbEndpoint}, data in ${shownDir}/dynamodb`);

    const config = loadConfig({
      ...RESOURCE_NAMES,
      TIME_SERIES_BACKEND: LOCAL_TIME_SERIES,
      DEFAULT_MACHINE_ID: machines[0],
      ...options.env,
      ...emulators.env,
    });
    await provisionResources(emulators, resourcesOf(config));
    const clients = createAwsClients(awsClientOptions(config, EMULATOR_CREDENTIALS));
    cleanups.push(() => {
      clients.s3.destroy();
      clients.dynamodb.destroy();
    });
    const stores = createStores(config, clients);
    print(
      `[STORAGE] Bucket ${config.RAW_BUCKET}; tables ${resourcesOf(config)
        .tables.map((t) => t.name)
        .join(', ')}`,
    );

    // The functions' logs and metrics go to files; their warnings and errors also to the console.
    mkdirSync(layout.logs, { recursive: true });
    const logFile = new LogFile(`${layout.logs}/flexotwin.log`);
    const metricsFile = new LogFile(`${layout.logs}/metrics.log`);
    cleanups.push(() => Promise.all([logFile.close(), metricsFile.close()]));
    const logPath = shortPath(logFile.path);
    const lastShown = new Map<string, number>();
    let hinted = false;
    const sink = (source: string): LogSink => ({
      write(line, level, attributes) {
        logFile.write(line);
        if (level !== 'WARN' && level !== 'ERROR' && level !== 'CRITICAL') return;
        const message = String(attributes.message ?? '');
        const now = Date.now();
        // The same complaint at most every 30 s on the console (the file has every one).
        if (now - (lastShown.get(message) ?? 0) < 30_000) return;
        lastShown.set(message, now);
        const error = attributes.error as { message?: unknown } | undefined;
        const detail = error?.message === undefined ? '' : `: ${String(error.message)}`;
        print(`[${source}] ${level} ${message}${detail}${hinted ? '' : ` (details in ${logPath})`}`);
        hinted = true;
      },
    });
    const logLevel = options.logLevel ?? 'INFO';
    const runtimeLog = new LocalLogger(sink('RUNTIME'), { serviceName: 'flexotwin-local', logLevel });
    const metricTotals = new Map<string, number>();
    const processorMetrics = new LocalMetrics(
      (emf: EmfOutput) => {
        metricsFile.write(JSON.stringify(emf));
        addEmf(metricTotals, emf);
      },
      { namespace: METRICS_NAMESPACE, serviceName: 'flexotwin-processor' },
    );

    // The deploy-time seeding of the stack, on every start (insert-if-absent keeps edits).
    const seeded = await makeSeedHandler({
      components: stores.components,
      logger: new LocalLogger(sink('SEED'), { serviceName: 'flexotwin-seed', logLevel }),
    })();
    print(
      seeded.inserted > 0
        ? `[STORAGE] ${seeded.inserted} FMEA components of the Flexo 104 seeded${seeded.kept > 0 ? ` (${seeded.kept} kept)` : ''}`
        : `[STORAGE] ${seeded.kept} FMEA components in the table (seeded before; edits kept)`,
    );

    let model: ModelStatus | undefined;
    const modelLocation = `s3://${config.MODEL_BUCKET ?? config.RAW_BUCKET}/${config.MODEL_PREFIX}`;
    if (options.trainModel !== false) {
      model = await ensureMaintenanceModel(stores.models, () => history.rows);
      print(
        model.trained
          ? `[MODEL] No maintenance model in ${modelLocation}: trained a Random Forest on ${model.rows} maintenance records of the generated history in ${(model.ms / 1000).toFixed(1)} s (version ${model.version}${model.holdoutR2 === null ? '' : `, held-out R² ${model.holdoutR2.toFixed(2)}`})`
          : `[MODEL] Maintenance model ${model.version} (${modelLocation})`,
      );
    }

    // The queue, then the processor behind it.
    let broker: LocalBroker | undefined;
    const processor = makeProcessorHandler({
      ...stores,
      publisher: new MqttEventPublisher((topic, payload, publishOptions) => {
        if (broker === undefined) return Promise.reject(new Error('the broker is not running'));
        return aedesPublish(broker.aedes)(topic, payload, publishOptions);
      }),
      machineProfile: (id) => machineProfile(config, id),
      logger: new LocalLogger(sink('PROCESSOR'), { serviceName: 'flexotwin-processor', logLevel }),
      metrics: processorMetrics,
    });
    const queueIdentity = { region: emulators.region, name: LOCAL_QUEUE.name };
    const consume = async (batch: Batch) => {
      const context = lambdaContext('flexotwin-processor', 15 * 60_000);
      const response = (await processor(sqsEvent(batch, queueIdentity), context)) as SQSBatchResponse;
      return { failed: response.batchItemFailures.map((f) => f.itemIdentifier) };
    };
    let stopping: Promise<StopSummary> | undefined;
    const queue = await IngestQueue.open({
      path: layout.queueJournal,
      batchSize,
      batchWindowMs,
      visibilityTimeoutMs: options.visibilityTimeoutMs ?? DEFAULT_VISIBILITY_TIMEOUT_MS,
      maxReceiveCount: options.maxReceiveCount ?? MAX_RECEIVE_COUNT,
      consumer: consume,
      onDeadLetter: (letters) =>
        print(
          `[QUEUE] ${letters.length} message(s) moved to the dead-letter store: ${letters[0]?.reason} — \`npx flexotwin redrive\` returns them`,
        ),
      onConsumerError: (error, batch) =>
        runtimeLog.error('the processor failed a whole batch; it will be retried', {
          error,
          batch: batch.id,
          records: batch.messages.length,
        }),
      onJournalError: (error) => {
        runtimeLog.critical('the queue journal cannot be written; stopping', { error });
        print(
          `[QUEUE] CRITICAL the queue journal ${layout.queueJournal} cannot be written (${error.message}); stopping`,
        );
        void stop();
      },
    });
    cleanups.push(() => queue.close());
    const r = queue.recovery;
    print(
      `[QUEUE] Ingest queue: batches of up to ${batchSize} messages or ${batchWindowMs / 1000} s, ${options.maxReceiveCount ?? MAX_RECEIVE_COUNT} receives before the dead-letter store (journal ${shownDir}/queue/ingest.jsonl)`,
    );
    if (r.pending > 0 || r.deadLetters > 0) {
      print(
        `[QUEUE] Recovered ${r.pending} message(s) from the last run${r.interruptedBatches > 0 ? ` (${r.interruptedBatches} batch(es) interrupted mid-processing, delivered again first)` : ''}; ${r.deadLetters} dead letter(s)`,
      );
    }
    if (r.skippedLines > 0)
      print(
        `[QUEUE] WARN ${r.skippedLines} unreadable journal line(s) skipped; the journal was copied to ${r.copiedTo}`,
      );

    // Said before anything listens there, so it is said even if binding fails.
    if (!isLoopback(host)) {
      print(
        `[WARN] Binding to ${host}, not loopback: the API, the MQTT broker and MQTT over WebSocket are reachable from the network WITHOUT authentication. Use --host 127.0.0.1 unless you mean it.`,
      );
    }

    // The broker, its rules engine feeding the queue.
    const ingestMeter = rateMeter();
    let ingested = 0;
    broker = await startBroker({
      host,
      port: options.mqttPort ?? DEFAULT_MQTT_PORT,
      ...(options.wsPort === undefined ? {} : { wsPort: options.wsPort }),
      ingest: async (match, payload, receivedAt) => {
        await queue.send(ingestBody(match, payload, receivedAt), receivedAt);
        ingested++;
        ingestMeter.add();
      },
      onIngestError: (error, topic, clientId) =>
        runtimeLog.error('a device message could not be queued; the client is disconnected and resends it', {
          error,
          topic,
          client_id: clientId,
        }),
    });
    const liveBroker = broker;
    cleanups.push(() => liveBroker.close());
    const mqttUrl = `mqtt://${urlHost(host)}:${broker.port}`;
    print(
      `[MQTT] Broker (aedes) listening on ${mqttUrl}${broker.wsPort === undefined ? '' : ` and ws://${urlHost(host)}:${broker.wsPort}`}`,
    );
    for (const rule of INGEST_RULES) print(`[MQTT] Rule ${rule.name}: ${ruleSql(rule)} → ingest queue`);

    // Alarm events as they are published, for the console.
    cleanups.push(
      broker.subscribe(`${TOPIC_ROOT}/+/anomalies`, (topic, payload) => {
        try {
          const event = JSON.parse(payload.toString()) as AlarmEvent;
          const a = event.alarm;
          print(
            `[ALARM] ${a.machine_id} ${event.type}: ${a.severity} ${a.category} — ${a.message} (${a.component})`,
          );
        } catch {
          print(`[ALARM] ${topic}: ${payload.toString().slice(0, 200)}`);
        }
      }),
    );

    // The API.
    const api = makeApiHandler({
      ...stores,
      loadPredictor,
      modelLocation,
      probes: {
        storage: dynamoDbProbe(clients.dynamodb, config.COMPONENTS_TABLE as string),
        broker: async () =>
          liveBroker.listening()
            ? { ok: true, message: `aedes MQTT broker listening on ${urlHost(host)}:${liveBroker.port}` }
            : { ok: false, message: 'the MQTT broker is not listening' },
        brokerInfo: { broker: `${urlHost(host)}:${broker.port}`, topic: INGEST_TOPICS },
      },
      machineProfile: (id) => machineProfile(config, id),
      defaultMachineId: config.DEFAULT_MACHINE_ID,
      logger: new LocalLogger(sink('API'), { serviceName: 'flexotwin-api', logLevel }),
    });
    const http: LocalHttpServer = await startHttpServer({
      host,
      port: options.port ?? DEFAULT_API_PORT,
      api,
      ...(options.staticRoot === undefined ? {} : { staticRoot: options.staticRoot }),
      ...(options.corsOrigins === undefined ? {} : { corsOrigins: options.corsOrigins }),
      upgradePath: MQTT_WS_PATH,
      onUpgrade: liveBroker.handleUpgrade,
      accessLog: (entry) =>
        logFile.write(
          JSON.stringify({
            level: 'INFO',
            message: 'request',
            timestamp: new Date().toISOString(),
            service: 'flexotwin-http',
            ...entry,
          }),
        ),
    });
    cleanups.push(() => http.close());
    const base = `http://${urlHost(host)}:${http.port}`;
    const urls: RuntimeUrls = {
      api: `${base}${API_PREFIX}`,
      dashboard: `${base}/`,
      mqtt: mqttUrl,
      mqttWebSocket: `ws://${urlHost(host)}:${http.port}${MQTT_WS_PATH}`,
      ...(broker.wsPort === undefined ? {} : { mqttWebSocketPort: `ws://${urlHost(host)}:${broker.wsPort}` }),
      s3: emulators.s3Endpoint,
      dynamodb: emulators.dynamodbEndpoint,
    };
    print(`[API] Listening on ${urls.api} (MQTT over WebSocket on ${urls.mqttWebSocket})`);
    lock.update({ api: urls.api, mqtt: urls.mqtt });
    queue.start();

    // Machine states for the status line: active alarms and health, every 2 s.
    let summaries: MachineSummary[] = [];
    let alarmsActive = 0;
    const refresh = async () => {
      try {
        const states = await stores.machineStates.list();
        summaries = states.map((s) => ({
          machine_id: s.machine_id,
          status: s.status,
          health_index: s.health?.health_index ?? null,
          health_status: s.health?.status ?? null,
          oee: s.oee === null ? null : s.oee.oee,
          active_alarms: s.recent_alarms.filter((a) => a.state !== 'cleared').length,
        }));
        alarmsActive = summaries.reduce((n, s) => n + s.active_alarms, 0);
      } catch {
        // The next refresh tries again; the status line keeps the last figures.
      }
    };
    await refresh();
    const refresher = setInterval(() => void refresh(), 2_000);
    refresher.unref();
    cleanups.push(() => clearInterval(refresher));

    // ----------------------------------------------------------------------------------- PHASE 3
    let fleet: FleetHandle | undefined;
    let devices: MqttPublisher | undefined;
    let faultSchedule: { stop(): void } | undefined;
    if (simulator !== undefined) {
      print(`\n${phaseBanner(3, 'SIMULATION LOOP')}`);
      const intervalMs = simulator.intervalMs ?? DEFAULT_INTERVAL_MS;
      const speed = simulator.speed ?? DEFAULT_SPEED;
      print(
        `[MQTT] Attempting to connect to ${mqttUrl} as ${machines.length} device(s) (client id = thing name)`,
      );
      const offline = new Set<string>();
      devices = createMqttPublisher(machines, { url: mqttUrl }, (e) => {
        if (e.event === 'offline') offline.add(e.machineId);
        else if (e.event === 'connected' && offline.delete(e.machineId))
          print(`[MQTT] ${e.machineId}: reconnected`);
      });
      const liveDevices = devices;
      cleanups.push(() => liveDevices.close(true));
      const connected = await devices.waitConnected(10_000);
      print(
        connected
          ? `[MQTT] Successfully connected to MQTT Broker (${devices.connected()}/${machines.length} devices)`
          : `[MQTT] ${devices.connected()}/${machines.length} devices connected after 10 s; their messages are queued until they connect`,
      );
      print(
        `[INFO] ${machines.length} machine(s), a telemetry and a production message each every ${intervalMs / 1000} s; history at ${speed}× speed, live timestamps`,
      );
      if (schedule !== undefined) print(`[INFO] Fault schedule: ${describeSchedule(schedule, machines)}`);
      else if (oneOffFaults !== undefined)
        print(
          `[INFO] Faults: ${oneOffFaults.map((f) => `${f.machine}:${f.type}@${f.atMs / 1000}s+${f.durationMs / 1000}s`).join(', ')}`,
        );
      else print('[INFO] No injected faults (the history still replays its own)');
      let lastData = 0;
      fleet = startFleet({
        history,
        machines,
        intervalMs,
        speed,
        seed,
        ...(oneOffFaults === undefined ? {} : { faults: oneOffFaults }),
        publish: devices.publish,
        onLabel: (label) =>
          print(
            `[FAULT] ${label.machine_id}: ${label.fault} on ${label.sensor} (${label.category}, ${label.source}) until ${label.end}`,
          ),
        onMessage: (m) => {
          if (m.kind !== 'production' || m.message.machine_id !== machines[0]) return;
          const now = Date.now();
          if (now - lastData < 30_000) return;
          lastData = now;
          const p = m.message;
          const rate = (x: number | undefined) => (x === undefined ? '–' : `${x.toFixed(1)}%`);
          print(
            `[DATA] Machine: ${p.machine_id} | Status: ${p.status} | Performance: ${rate(p.performance_rate)} | Quality: ${rate(p.quality_rate)}`,
          );
        },
      });
      const liveFleet = fleet;
      cleanups.push(() => liveFleet.stop());
      if (schedule !== undefined) {
        faultSchedule = startFaultSchedule(fleet, machines, schedule, (error) =>
          runtimeLog.warn('a scheduled fault could not be injected', { error }),
        );
        const liveSchedule = faultSchedule;
        cleanups.push(() => liveSchedule.stop());
      }
      print('[MQTT] Publishing sensor data...');
    }
    const readyAt = Date.now();

    async function stop(): Promise<StopSummary> {
      stopping ??= (async () => {
        // Every step runs even if an earlier one failed (the first failure is rethrown at the end): a
        // stop must always close the servers and emulators and give the data directory back.
        let failure: unknown;
        const step = async (action: () => unknown) => {
          try {
            await action();
          } catch (error) {
            failure ??= error;
          }
        };
        clearInterval(refresher);
        faultSchedule?.stop();
        // The devices stop first; what they still had in flight is delivered (and queued) before they close.
        await step(() => fleet?.stop());
        await step(() => devices?.close());
        // No new device messages; in-process publishing (the processor's alarm events) keeps working.
        await step(() => liveBroker.closeListeners());
        await step(() => queue.drain());
        const final = queue.stats();
        await step(() => queue.close());
        await step(() => liveBroker.close());
        await step(() => http.close());
        await step(() => {
          clients.s3.destroy();
          clients.dynamodb.destroy();
        });
        await step(() => emulators.stop());
        await step(() => Promise.all([logFile.close(), metricsFile.close()]));
        lock.release();
        if (failure !== undefined) throw failure;
        return { processed: final.deleted, leftInQueue: final.depth, deadLetters: final.deadLetters };
      })();
      return stopping;
    }

    return {
      urls,
      ports: {
        api: http.port,
        mqtt: broker.port,
        ...(broker.wsPort === undefined ? {} : { ws: broker.wsPort }),
        s3: Number(new URL(emulators.s3Endpoint).port),
        dynamodb: Number(new URL(emulators.dynamodbEndpoint).port),
      },
      host,
      dataDir: layout.root,
      machines,
      config,
      clients,
      stores,
      emulators,
      broker,
      fleet,
      model,
      recovery: queue.recovery,
      startedAt,
      readyAt,
      stats() {
        const q = queue.stats();
        return {
          uptimeMs: Date.now() - startedAt,
          ingested,
          ingestRate: ingestMeter.rate(),
          processed: q.deleted,
          quarantined: metricTotals.get('MessagesQuarantined') ?? 0,
          duplicates: metricTotals.get('MessagesDuplicate') ?? 0,
          anomalies: metricTotals.get('Anomalies') ?? 0,
          queue: q,
          alarmsActive,
          machines: summaries,
          ...(fleet === undefined ? {} : { simulator: fleet.stats() }),
        };
      },
      injectFault(machineId, type, durationMs) {
        if (fleet === undefined)
          return Promise.reject(new Error('the simulator is not running (started with --no-simulator)'));
        return fleet.injectFault(machineId, type, durationMs);
      },
      async flush() {
        await fleet?.flush();
        await queue.drain();
        await refresh();
      },
      deadLetters: () => queue.deadLetters(),
      redriveDeadLetters: (ids) => queue.redrive(ids),
      stop,
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}
