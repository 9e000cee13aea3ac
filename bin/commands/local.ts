/**
 * `flexotwin local` (`npm start`): the whole system on this machine — MQTT broker, rules engine and
 * queue, processor, API, S3/DynamoDB emulators and a simulated fleet — with a banner, a live status
 * line and a graceful Ctrl-C. A thin command over local/runtime.ts; docs/LOCAL.md describes it all.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { writeDashboard } from '../../dashboard/build.js';
import { MACHINE_ID_PATTERN } from '../../lambdas/core/messages.js';
import { ConfigError } from '../../lambdas/shared/config.js';
import { PortInUseError } from '../../local/broker.js';
import { DataDirInUseError, DEFAULT_DATA_DIR } from '../../local/data-dir.js';
import {
  CLOUD_BATCH_SIZE,
  CLOUD_BATCH_WINDOW_MS,
  DEFAULT_API_PORT,
  DEFAULT_HOST,
  DEFAULT_INTERVAL_MS,
  DEFAULT_MQTT_PORT,
  DEFAULT_SPEED,
  LOCAL_TIME_SERIES,
  type LocalRuntime,
  LocalRuntimeError,
  type SimulatorOptions,
  startLocalRuntime,
} from '../../local/runtime.js';
import { createConsole, formatBanner, formatStatus } from '../../local/status.js';
import { parseFaultSpec } from '../../simulator/faults.js';
import { describe, duration, positiveNumber, wholeNumber } from './simulator-options.js';

interface Options {
  simulator: boolean;
  host: string;
  port: number;
  mqttPort: number;
  wsPort?: number;
  s3Port?: number;
  dynamodbPort?: number;
  dataDir: string;
  machines: number | string[];
  speed: number;
  interval: number;
  seed?: number;
  faults?: string | boolean;
  batchSize: number;
  batchWindow: number;
  timeSeries: string;
  dashboard?: string;
  cors?: string[];
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

/** Plain status lines when the output is not a terminal. */
const PLAIN_STATUS_EVERY_MS = 15_000;
/** Signals this close together are one Ctrl-C (the terminal's and npm's forwarded copy). */
const SAME_SIGNAL_MS = 1_000;

function port(text: string): number {
  return wholeNumber(0, 65_535)(text);
}

function machines(text: string): number | string[] {
  if (/^\d+$/.test(text.trim())) return wholeNumber(1, 100)(text.trim());
  const ids = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = ids.filter((id) => !MACHINE_ID_PATTERN.test(id));
  if (ids.length === 0 || bad.length > 0)
    throw new InvalidArgumentError('expected a count (e.g. 3) or machine ids (e.g. C_FL104,C_FL105).');
  if (new Set(ids).size !== ids.length) throw new InvalidArgumentError('a machine id is repeated.');
  return ids;
}

/** A batch window: a duration (10s, 500ms) or 0 (each message goes at once). */
function batchWindow(text: string): number {
  return /^0+(ms|s)?$/.test(text.trim()) ? 0 : duration(text);
}

function origins(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function faultsOption(value: string | boolean | undefined): SimulatorOptions['faults'] {
  if (value === undefined || value === true) return 'default';
  if (value === false || value === 'none') return 'none';
  parseFaultSpec(value); // refuse a bad spec before anything starts
  return value;
}

export function register(program: Command): void {
  program
    .command('local')
    .description('run the whole system on this machine (MQTT broker, processor, API, simulator)')
    .option('--no-simulator', 'start no simulated devices (connect your own to the broker)')
    .option('--host <address>', 'address of the API and the MQTT broker (loopback by default)', DEFAULT_HOST)
    .option('--port <n>', 'HTTP API port (0: any free port)', port, DEFAULT_API_PORT)
    .option('--mqtt-port <n>', 'MQTT broker port (0: any free port)', port, DEFAULT_MQTT_PORT)
    .option('--ws-port <n>', 'also serve MQTT over WebSocket on this port (always on <api>/mqtt)', port)
    .option('--s3-port <n>', 'S3 emulator port (default: any free port)', port)
    .option('--dynamodb-port <n>', 'DynamoDB emulator port (default: any free port)', port)
    .option('--data-dir <dir>', 'where data, queue and logs live (kept across restarts)', DEFAULT_DATA_DIR)
    .option('--machines <n|ids>', 'machines to simulate: a count (C_FL104, C_FL105, …) or ids', machines, 3)
    .option(
      '--speed <k>',
      'replay the simulated history k× faster than real time',
      positiveNumber,
      DEFAULT_SPEED,
    )
    .addOption(
      new Option('--interval <duration>', 'time between two messages of a simulated device')
        .argParser(duration)
        .default(DEFAULT_INTERVAL_MS, `${DEFAULT_INTERVAL_MS / 1000}s`),
    )
    .option('--seed <n>', 'seed of the simulated history and sensor noise', wholeNumber(0, 2 ** 32 - 1))
    .option(
      '--faults <spec>',
      "faults to inject instead of the default schedule (simulate's --faults format)",
    )
    .option('--no-faults', 'inject no faults (the default schedule is described in docs/LOCAL.md)')
    .option(
      '--batch-size <n>',
      'most messages per processor invocation',
      wholeNumber(1, 10_000),
      CLOUD_BATCH_SIZE,
    )
    .addOption(
      new Option(
        '--batch-window <duration>',
        'longest a message waits for its batch to fill, e.g. 1s (0: at once)',
      )
        .argParser(batchWindow)
        .default(CLOUD_BATCH_WINDOW_MS, `${CLOUD_BATCH_WINDOW_MS / 1000}s, as in the cloud`),
    )
    .option(
      '--time-series <backend>',
      `where time series are stored; only "${LOCAL_TIME_SERIES}" runs locally`,
      LOCAL_TIME_SERIES,
    )
    .option(
      '--dashboard <dir>',
      'serve this directory at / instead of the operator dashboard (built from dashboard/ at start)',
    )
    .option(
      '--cors <origins>',
      'browser origins allowed to call the API, comma-separated (* for any)',
      origins,
    )
    .option('--log-level <level>', "level of the functions' logs in <data-dir>/logs/flexotwin.log", 'INFO')
    .addHelpText(
      'after',
      `
Defaults match the cloud where it matters: batches of ${CLOUD_BATCH_SIZE} messages or ${CLOUD_BATCH_WINDOW_MS / 1000} s, the same
ingest rules, handlers and response shapes. Environment-contract variables such as MACHINE_PROFILES are
read from the environment. See docs/LOCAL.md.

Examples:
  npm start                                   # = npx flexotwin local
  npx flexotwin local --batch-window 1s       # see data in the API a second after it is published
  npx flexotwin local --no-simulator --port 5050 --mqtt-port 1884
  npx flexotwin local --faults 'C_FL104:overheating@10s+60s'`,
    )
    .action(async (options: Options) => {
      process.exitCode = await run(options);
    });
}

async function run(options: Options): Promise<number> {
  // A notice about AWS SDK releases of 2027 says nothing a user of this command can act on.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const out = createConsole();
  const logLevel = options.logLevel.toUpperCase();
  if (!['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(logLevel)) {
    console.error(`flexotwin local: --log-level ${options.logLevel}: expected DEBUG, INFO, WARN or ERROR`);
    return 1;
  }
  if (options.dashboard !== undefined && !existsSync(options.dashboard)) {
    console.error(`flexotwin local: --dashboard ${options.dashboard}: no such directory`);
    return 1;
  }
  const built = options.dashboard === undefined ? await buildOperatorDashboard(options.dataDir) : undefined;
  const dashboard = options.dashboard ?? built?.dir;

  // Signals are handled from here on: a Ctrl-C during start-up stops the runtime as soon as it is up
  // (its data stays consistent either way); a second one quits at once.
  let signalled: NodeJS.Signals | undefined;
  let signalledAt = 0;
  let wake = () => {};
  const onSignal = (signal: NodeJS.Signals) => {
    // `npm start` forwards the Ctrl-C the terminal already sent to this process: the same keypress.
    if (signalled !== undefined && Date.now() - signalledAt < SAME_SIGNAL_MS) return;
    if (signalled !== undefined) {
      out.stopStatus();
      console.error(
        '\nflexotwin local: stopping at once; queued messages stay in the journal for the next start',
      );
      process.exit(130);
    }
    signalled = signal;
    signalledAt = Date.now();
    out.line(
      `\n[INFO] ${signal}: stopping — the simulator stops, every queued message is processed (Ctrl-C again to quit at once)`,
    );
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let runtime: LocalRuntime;
  try {
    runtime = await startLocalRuntime({
      dataDir: options.dataDir,
      host: options.host,
      port: options.port,
      mqttPort: options.mqttPort,
      ...(options.wsPort === undefined ? {} : { wsPort: options.wsPort }),
      ...(options.s3Port === undefined ? {} : { s3Port: options.s3Port }),
      ...(options.dynamodbPort === undefined ? {} : { dynamodbPort: options.dynamodbPort }),
      machines: options.machines,
      simulator: options.simulator
        ? {
            intervalMs: options.interval ?? DEFAULT_INTERVAL_MS,
            speed: options.speed,
            ...(options.seed === undefined ? {} : { seed: options.seed }),
            faults: faultsOption(options.faults),
          }
        : false,
      batchSize: options.batchSize,
      batchWindowMs: options.batchWindow,
      timeSeries: options.timeSeries,
      ...(dashboard === undefined ? {} : { staticRoot: dashboard }),
      ...(options.cors === undefined ? {} : { corsOrigins: options.cors }),
      env: {
        MACHINE_PROFILES: process.env.MACHINE_PROFILES,
        TELEMETRY_RETENTION_DAYS: process.env.TELEMETRY_RETENTION_DAYS,
      },
      logLevel: logLevel as Options['logLevel'],
      print: (line) => out.line(line),
    });
  } catch (error) {
    const known =
      error instanceof LocalRuntimeError ||
      error instanceof PortInUseError ||
      error instanceof DataDirInUseError ||
      error instanceof ConfigError ||
      error instanceof InvalidArgumentError;
    console.error(
      `\nflexotwin local: ${known ? describe(error) : ((error as Error).stack ?? String(error))}`,
    );
    return 1;
  }
  if (built !== undefined) out.line(built.note);

  if (signalled === undefined) {
    out.line(
      `\n${formatBanner(runtime, { dashboard: dashboard !== undefined, processUptimeMs: process.uptime() * 1000 })}`,
    );
    out.startStatus(() => formatStatus(runtime.stats()), PLAIN_STATUS_EVERY_MS);
    await new Promise<void>((resolve) => (wake = resolve));
  }

  let summary: Awaited<ReturnType<LocalRuntime['stop']>>;
  try {
    summary = await runtime.stop();
  } catch (error) {
    out.stopStatus();
    console.error(`\nflexotwin local: stopping failed: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
  out.stopStatus();
  out.line(
    `[SUMMARY] ${summary.processed} message(s) processed in this run; ${summary.leftInQueue} left in the queue for the next start; ${summary.deadLetters} dead letter(s)`,
  );
  out.line('[INFO] Stopped.');
  // Everything is closed; should a library still hold the event loop open, do not hang on it.
  setTimeout(() => process.exit(0), 3_000).unref();
  return 0;
}

/**
 * The operator dashboard (dashboard/), built at every start into <data-dir>/dashboard/: esbuild takes
 * about 0.1 s, so what is served always matches the sources and nothing built is committed.
 */
async function buildOperatorDashboard(dataDir: string): Promise<{ dir: string | undefined; note: string }> {
  const dir = join(dataDir, 'dashboard');
  try {
    const build = await writeDashboard(dir);
    return { dir, note: `[DASHBOARD] Operator dashboard built in ${build.buildMs.toFixed(0)} ms (${dir})` };
  } catch (error) {
    return {
      dir: undefined,
      note: `[DASHBOARD] WARN the operator dashboard could not be built (${(error as Error).message}); / answers 404, the API works`,
    };
  }
}
