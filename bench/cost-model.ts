/**
 * The monthly AWS bill of the ingest path, from measured call counts and durations (bench/sections/
 * processor.ts, packaging.ts), the price table (prices.ts) and the stated assumptions (assumptions.ts),
 * for our design and for a naive one: one Lambda invocation, one time-series write and one S3 PUT per
 * message, straight from the IoT rule (no queue, no twin state, no shadow, no alarms, no metrics).
 *
 * Two kinds of cost: per message (everything a message causes, given per million messages) and per
 * device (connectivity and the per-machine CloudWatch metrics, which do not grow with the message
 * rate). Storage is the steady state: a month's messages kept for the configured retention.
 */
import {
  COLD_STARTS_PER_DAY,
  DAYS_PER_MONTH,
  LAMBDA_FULL_VCPU_MB,
  LAMBDA_PLATFORM_LOG_BYTES,
  S3_ACCESS_LOG_RECORD_BYTES,
  S3_ACCESS_LOG_RETENTION_MONTHS,
} from './assumptions.js';
import type { AwsUsage } from './aws-fake.js';
import { PRICES } from './prices.js';

/** Lambda's SQS poller takes up to 10 messages per ReceiveMessage and deletes them 10 at a time. */
const SQS_MESSAGES_PER_RECEIVE = 10;
const GB = 1e9;

export interface DesignMeasurements {
  readonly backend: 'dynamodb' | 'timestream';
  /** SDK usage per 1,000 messages (aws-fake.ts meters). */
  readonly per1000: AwsUsage;
  readonly invocationsPer1000: number;
  /** Wall ms of an invocation with the assumed service latencies, and its CPU ms on this machine. */
  readonly invocationWallMs: number;
  readonly invocationCpuMs: number;
  readonly logBytesPerInvocation: number;
  readonly customMetricsPerMachine: number;
  readonly customMetricsFleet: number;
  readonly s3BytesPerMessage: number;
  readonly timeSeriesBytesPerMessage: number;
}

export interface NaiveMeasurements {
  /** CPU µs per message of a per-message invocation (our handler at batch size 1). */
  readonly cpuUsPerMessage: number;
  /** Raw payload bytes (stored uncompressed, one object per message). */
  readonly payloadBytes: number;
  /** One reading as its own DynamoDB item / Timestream record (bytes, as metered). */
  readonly dynamodbItemBytes: number;
  readonly timestreamRecordBytes: number;
  /** Assumed latencies of its two sequential writes, ms. */
  readonly timeSeriesWriteMs: number;
  readonly s3PutMs: number;
}

export interface ModelInputs {
  readonly memoryMb: number;
  readonly basicIngest: boolean;
  readonly fleetMachines: number;
  readonly messagesPerDeviceMonth: number;
  readonly initMs: number;
  /** Retentions, months. */
  readonly timeSeriesRetentionMonths: number;
  readonly timestreamMemoryHours: number;
  readonly timestreamMagneticMonths: number;
  readonly rawRetentionMonths: number;
  readonly logRetentionMonths: number;
}

export interface CostLine {
  readonly item: string;
  /** USD per million messages (variable) and per device-month (fixed). */
  readonly perMillion: number;
  readonly perDeviceFixed: number;
}

export interface DesignCost {
  readonly design: string;
  readonly lines: readonly CostLine[];
  readonly perMillion: number;
  readonly perDeviceFixed: number;
  /** perMillion × a device's messages a month + its fixed share. */
  readonly perDeviceMonth: number;
}

/** Billed seconds of an invocation at `memoryMb`: CPU work slows down below one full vCPU. */
function billedSeconds(wallMs: number, cpuMs: number, memoryMb: number): number {
  const slowdown = Math.max(1, LAMBDA_FULL_VCPU_MB / memoryMb);
  return Math.ceil(wallMs + cpuMs * (slowdown - 1)) / 1000;
}

function total(design: string, lines: CostLine[], inputs: ModelInputs): DesignCost {
  const perMillion = lines.reduce((n, l) => n + l.perMillion, 0);
  const perDeviceFixed = lines.reduce((n, l) => n + l.perDeviceFixed, 0);
  return {
    design,
    lines,
    perMillion,
    perDeviceFixed,
    perDeviceMonth: (perMillion * inputs.messagesPerDeviceMonth) / 1e6 + perDeviceFixed,
  };
}

/** Costs every design shares: the device's connection, its messages into IoT Core, the rule and its action. */
function ingestLines(basicIngest: boolean): CostLine[] {
  const connectionMinutes = DAYS_PER_MONTH * 24 * 60;
  return [
    {
      item: 'IoT Core connectivity',
      perMillion: 0,
      perDeviceFixed: connectionMinutes * PRICES.iotConnectivity.usd,
    },
    {
      item: basicIngest ? 'IoT Core messaging (Basic Ingest: free)' : 'IoT Core messaging',
      perMillion: basicIngest ? 0 : 1e6 * PRICES.iotMessaging.usd,
      perDeviceFixed: 0,
    },
    {
      item: 'IoT rule + action',
      perMillion: 1e6 * (PRICES.iotRuleTriggered.usd + PRICES.iotRuleAction.usd),
      perDeviceFixed: 0,
    },
  ];
}

/** The PUT requests and the access-log records they leave in the log bucket (steady state). */
function s3PutLines(putsPerMillion: number): CostLine[] {
  return [
    { item: 'S3 PUTs (raw archive)', perMillion: putsPerMillion * PRICES.s3Put.usd, perDeviceFixed: 0 },
    {
      item: 'S3 access logs of those PUTs (steady state)',
      perMillion:
        ((putsPerMillion * S3_ACCESS_LOG_RECORD_BYTES) / GB) *
        S3_ACCESS_LOG_RETENTION_MONTHS *
        PRICES.s3StandardStorage.usd,
      perDeviceFixed: 0,
    },
  ];
}

const monthlyInitCost = (inputs: ModelInputs) =>
  COLD_STARTS_PER_DAY *
  DAYS_PER_MONTH *
  (inputs.initMs / 1000) *
  (inputs.memoryMb / 1024) *
  PRICES.lambdaArmGbSecond.usd;

export function ourDesignCost(m: DesignMeasurements, inputs: ModelInputs): DesignCost {
  const k = 1000; // per1000 → per million
  const c = m.per1000.commands;
  const invocations = m.invocationsPer1000 * k;
  const seconds = billedSeconds(m.invocationWallMs, m.invocationCpuMs, inputs.memoryMb);
  const wcu = Object.values(m.per1000.dynamodb.writeUnits).reduce((a, b) => a + b, 0) * k;
  const rcu = Object.values(m.per1000.dynamodb.readUnits).reduce((a, b) => a + b, 0) * k;
  const logGb = (invocations * (m.logBytesPerInvocation + LAMBDA_PLATFORM_LOG_BYTES)) / GB;
  const lines: CostLine[] = [
    ...ingestLines(inputs.basicIngest),
    {
      item: 'SQS (send by the rule, receive + delete by Lambda)',
      perMillion: 1e6 * (1 + 2 / SQS_MESSAGES_PER_RECEIVE) * PRICES.sqsRequest.usd,
      perDeviceFixed: 0,
    },
    { item: 'Lambda requests', perMillion: invocations * PRICES.lambdaRequest.usd, perDeviceFixed: 0 },
    {
      item: 'Lambda duration (GB-s, incl. INIT)',
      perMillion: invocations * seconds * (inputs.memoryMb / 1024) * PRICES.lambdaArmGbSecond.usd,
      perDeviceFixed: monthlyInitCost(inputs) / inputs.fleetMachines,
    },
    ...timeSeriesLines(m.backend, m.timeSeriesBytesPerMessage, m.per1000.timestream.writeUnits * k, inputs),
    {
      item:
        m.backend === 'dynamodb'
          ? 'DynamoDB writes (time series, twin state, alarms)'
          : 'DynamoDB writes (twin state, alarms)',
      perMillion: wcu * PRICES.dynamodbWriteUnit.usd,
      perDeviceFixed: 0,
    },
    { item: 'DynamoDB reads', perMillion: rcu * PRICES.dynamodbReadUnit.usd, perDeviceFixed: 0 },
    ...s3PutLines((c['S3.PutObject'] ?? 0) * k),
    {
      item: 'S3 storage (raw, steady state)',
      perMillion:
        ((1e6 * m.s3BytesPerMessage) / GB) * inputs.rawRetentionMonths * PRICES.s3StandardStorage.usd,
      perDeviceFixed: 0,
    },
    {
      item: 'IoT shadow updates + alarm publishes',
      perMillion:
        m.per1000.iot.shadowUnits * k * PRICES.iotShadowOperation.usd +
        m.per1000.iot.publishUnits * k * PRICES.iotMessaging.usd,
      perDeviceFixed: 0,
    },
    {
      item: 'CloudWatch Logs (EMF + logs + Lambda lines)',
      perMillion:
        logGb * PRICES.cloudwatchLogsIngestion.usd +
        logGb * inputs.logRetentionMonths * PRICES.cloudwatchLogsStorage.usd,
      perDeviceFixed: 0,
    },
    {
      item: 'CloudWatch custom metrics',
      perMillion: 0,
      perDeviceFixed:
        (m.customMetricsPerMachine + m.customMetricsFleet / inputs.fleetMachines) *
        PRICES.cloudwatchCustomMetric.usd,
    },
  ];
  return total(`ours (${m.backend})`, lines, inputs);
}

/**
 * The time-series store's writes and storage. DynamoDB writes are not listed here: ours are counted with
 * the table's other write units, the naive design's get a line of their own.
 */
function timeSeriesLines(
  backend: 'dynamodb' | 'timestream',
  bytesPerMessage: number,
  timestreamWritesPerMillion: number,
  inputs: ModelInputs,
): CostLine[] {
  const gb = (1e6 * bytesPerMessage) / GB;
  if (backend === 'dynamodb') {
    return [
      {
        item: 'DynamoDB time-series storage (steady state)',
        perMillion: gb * inputs.timeSeriesRetentionMonths * PRICES.dynamodbStorage.usd,
        perDeviceFixed: 0,
      },
    ];
  }
  return [
    {
      item: 'Timestream writes',
      perMillion: timestreamWritesPerMillion * PRICES.timestreamWrite.usd,
      perDeviceFixed: 0,
    },
    {
      item: 'Timestream storage (memory + magnetic, steady state)',
      perMillion:
        gb * inputs.timestreamMemoryHours * PRICES.timestreamMemoryStore.usd +
        gb * inputs.timestreamMagneticMonths * PRICES.timestreamMagneticStore.usd,
      perDeviceFixed: 0,
    },
  ];
}

export function naiveDesignCost(
  backend: 'dynamodb' | 'timestream',
  n: NaiveMeasurements,
  inputs: ModelInputs,
): DesignCost {
  const cpuMs = n.cpuUsPerMessage / 1000;
  const seconds = billedSeconds(cpuMs + n.timeSeriesWriteMs + n.s3PutMs, cpuMs, inputs.memoryMb);
  const logGb = (1e6 * LAMBDA_PLATFORM_LOG_BYTES) / GB;
  const recordBytes = backend === 'dynamodb' ? n.dynamodbItemBytes : n.timestreamRecordBytes;
  const unitsPerWrite = Math.max(1, Math.ceil(recordBytes / 1024));
  const lines: CostLine[] = [
    ...ingestLines(inputs.basicIngest),
    { item: 'Lambda requests', perMillion: 1e6 * PRICES.lambdaRequest.usd, perDeviceFixed: 0 },
    {
      item: 'Lambda duration (GB-s, incl. INIT)',
      perMillion: 1e6 * seconds * (inputs.memoryMb / 1024) * PRICES.lambdaArmGbSecond.usd,
      perDeviceFixed: monthlyInitCost(inputs) / inputs.fleetMachines,
    },
    ...(backend === 'dynamodb'
      ? [
          {
            item: 'DynamoDB writes (one item per reading)',
            perMillion: 1e6 * unitsPerWrite * PRICES.dynamodbWriteUnit.usd,
            perDeviceFixed: 0,
          },
        ]
      : []),
    ...timeSeriesLines(backend, recordBytes, 1e6 * unitsPerWrite, inputs),
    ...s3PutLines(1e6),
    {
      item: 'S3 storage (raw, steady state)',
      perMillion: ((1e6 * n.payloadBytes) / GB) * inputs.rawRetentionMonths * PRICES.s3StandardStorage.usd,
      perDeviceFixed: 0,
    },
    {
      item: 'CloudWatch Logs (EMF + logs + Lambda lines)',
      perMillion:
        logGb * PRICES.cloudwatchLogsIngestion.usd +
        logGb * inputs.logRetentionMonths * PRICES.cloudwatchLogsStorage.usd,
      perDeviceFixed: 0,
    },
  ];
  return total(`naive (${backend})`, lines, inputs);
}

/** The designs' line items side by side: one row per item, one column per design (USD per million messages). */
export function costTable(designs: readonly DesignCost[]): { item: string; values: (number | null)[] }[] {
  const items: string[] = [];
  for (const d of designs) for (const l of d.lines) if (!items.includes(l.item)) items.push(l.item);
  return items.map((item) => ({
    item,
    values: designs.map((d) => d.lines.find((l) => l.item === item)?.perMillion ?? null),
  }));
}
