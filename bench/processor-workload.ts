/**
 * The processor handler (lambdas/handlers/processor.ts) wired three ways for the benchmarks — in-memory
 * ports, or the real AWS adapters over the fake account of aws-fake.ts with either time-series backend
 * — and the core-only work of the same batches, the baseline of its per-message cost.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createAwsClients } from '../lambdas/adapters/aws-clients.js';
import { createIotPublisher, createStores } from '../lambdas/adapters/index.js';
import { createMemoryAdapters } from '../lambdas/adapters/memory/index.js';
import { FLEXO_104_COMPONENTS } from '../lambdas/core/fmea.js';
import { advanceMachine, type MachineState } from '../lambdas/core/machine.js';
import type { ProductionMessage, TelemetryMessage } from '../lambdas/core/messages.js';
import { validatePayload } from '../lambdas/core/validate.js';
import { detectorCache } from '../lambdas/handlers/processor/batch.js';
import { makeHandler, type ProcessorDeps } from '../lambdas/handlers/processor.js';
import { loadConfig, METRICS_NAMESPACE, machineProfile } from '../lambdas/shared/config.js';
import { lambdaContext } from '../test/support/lambda-context.js';
import { FAKE_TABLE_NAMES } from './aws-fake.js';
import { type Batch, sqsEventOf } from './fleet.js';
import type { PortCounter } from './port-counter.js';
import { divertOutput } from './stdout.js';

export type Wiring = 'memory' | 'aws-dynamodb' | 'aws-timestream';

/** The stores and publisher a processor works on (e.g. a running local runtime's). */
export type ProcessorPorts = Pick<
  ProcessorDeps,
  'timeSeries' | 'rawArchive' | 'anomalies' | 'machineStates' | 'components' | 'publisher'
>;

export interface ProcessorUnderTest {
  readonly deps: ProcessorDeps;
  /** Runs one batch with the handler's clock at the batch's close time. */
  invoke(batch: PreparedBatch): Promise<SQSBatchResponse>;
}

/** A batch with its SQS event built in advance, so timing covers the handler and not the test's own work. */
export interface PreparedBatch extends Batch {
  readonly event: SQSEvent;
}

export function prepare(batches: readonly Batch[]): PreparedBatch[] {
  return batches.map((b) => ({ ...b, event: sqsEventOf(b) }));
}

const profileOf = (machineId: string) => machineProfile({ MACHINE_PROFILES: undefined }, machineId);

/**
 * The handler over a wiring. `logLevel` INFO is what the stack deploys (its logs are part of the cost);
 * SILENT keeps timing runs about the handler. A counter, when given, wraps every port.
 */
export function processorUnderTest(
  wiring: Wiring | ProcessorPorts,
  options: {
    logLevel?: 'INFO' | 'SILENT';
    counter?: PortCounter;
    telemetryRetentionDays?: number;
    /** false: a metrics object that drops everything, to measure what the EMF output costs. */
    emf?: boolean;
  } = {},
): ProcessorUnderTest {
  let now = 0;
  const ports =
    typeof wiring === 'object'
      ? wiring
      : wiring === 'memory'
        ? memoryPorts()
        : awsPorts(wiring, options.telemetryRetentionDays);
  const wrap = <T extends object>(name: string, port: T): T => options.counter?.wrap(name, port) ?? port;
  const deps: ProcessorDeps = {
    timeSeries: wrap('timeSeries', ports.timeSeries),
    rawArchive: wrap('rawArchive', ports.rawArchive),
    anomalies: wrap('anomalies', ports.anomalies),
    machineStates: wrap('machineStates', ports.machineStates),
    components: wrap('components', ports.components),
    publisher: wrap('publisher', ports.publisher),
    machineProfile: profileOf,
    logger: new Logger({ serviceName: 'flexotwin-processor', logLevel: options.logLevel ?? 'SILENT' }),
    metrics:
      options.emf === false
        ? droppedMetrics()
        : new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'flexotwin-processor' }),
    clock: () => now,
  };
  const handler = makeHandler(deps);
  const context: Context = lambdaContext({ functionName: 'flexotwin-processor', memoryLimitInMB: '1024' });
  return {
    deps,
    invoke: async (batch) => {
      now = batch.closedAt;
      return handler(batch.event, context);
    },
  };
}

/** The part of Powertools' Metrics the processor calls, doing nothing. */
function droppedMetrics(): Metrics {
  const single = { addDimension: () => {}, addMetric: () => {} };
  return {
    addMetric: () => {},
    addDimension: () => {},
    singleMetric: () => single,
    publishStoredMetrics: () => {},
  } as unknown as Metrics;
}

function memoryPorts(): ProcessorPorts {
  const m = createMemoryAdapters();
  return {
    timeSeries: m.timeSeries,
    rawArchive: m.rawArchive,
    anomalies: m.anomalies,
    machineStates: m.machineStates,
    components: m.components,
    publisher: m.publisher,
  };
}

/** The real adapters, as the processor's realDeps builds them, with SDK clients aws-fake.ts answers. */
function awsPorts(wiring: Exclude<Wiring, 'memory'>, retentionDays = 30) {
  const config = loadConfig({
    AWS_REGION: 'us-east-1',
    TIME_SERIES_BACKEND: wiring === 'aws-timestream' ? 'timestream' : 'dynamodb',
    RAW_BUCKET: 'flexotwin-raw',
    TIMESTREAM_DATABASE: 'flexotwin',
    TELEMETRY_RETENTION_DAYS: String(retentionDays),
    IOT_DATA_ENDPOINT: 'https://example-ats.iot.us-east-1.amazonaws.com',
    ...FAKE_TABLE_NAMES,
  });
  const clients = createAwsClients({
    region: 'us-east-1',
    credentials: { accessKeyId: 'BENCH', secretAccessKey: 'BENCH' },
  });
  const stores = createStores(config, clients);
  return { ...stores, publisher: createIotPublisher(clients) };
}

/** Runs batches in order, output diverted (EMF and logs are counted, and handed to `onOutput`). */
export async function runBatches(
  processor: ProcessorUnderTest,
  batches: readonly PreparedBatch[],
  onOutput?: (text: string) => void,
): Promise<{ failed: number; stdoutBytes: number }> {
  const { result, bytes } = await divertOutput(async () => {
    let failed = 0;
    for (const batch of batches) failed += (await processor.invoke(batch)).batchItemFailures.length;
    return failed;
  }, onOutput);
  return { failed: result, stdoutBytes: bytes };
}

/**
 * The core's share of the same batches: validate each payload, group by machine, advance each machine's
 * state (detect, OEE, health) — what the handler does minus the SQS envelope, the ports and Powertools.
 */
export function coreOnly(batches: readonly Batch[]): number {
  const detectorOf = detectorCache(profileOf);
  const states = new Map<string, MachineState>();
  let events = 0;
  for (const batch of batches) {
    const groups = new Map<string, { telemetry: TelemetryMessage[]; production: ProductionMessage[] }>();
    for (const m of batch.messages) {
      const machineId = m.topic.split('/')[1] as string;
      const v = validatePayload(m.kind, m.payload, { topicMachineId: machineId, now: batch.closedAt });
      if (!v.ok) continue;
      let g = groups.get(machineId);
      if (g === undefined) {
        g = { telemetry: [], production: [] };
        groups.set(machineId, g);
      }
      if (m.kind === 'telemetry') g.telemetry.push(v.message as TelemetryMessage);
      else g.production.push(v.message as ProductionMessage);
    }
    for (const [machineId, g] of groups) {
      const { profile } = profileOf(machineId);
      const r = advanceMachine(states.get(machineId), g.telemetry, g.production, {
        detector: detectorOf(machineId),
        components: FLEXO_104_COMPONENTS,
        idealRatePpm: profile.ideal_rate_ppm,
        now: batch.closedAt,
      });
      states.set(machineId, r.state);
      events += r.events.length;
    }
  }
  return events;
}
