/**
 * AWS list prices the cost model uses: us-east-1 (N. Virginia), on-demand, no free tier, no discounts.
 *
 * SOURCES AND DATE — read before trusting a number. These are the prices as known to the author at
 * writing, from the official pricing pages named in `source` (as they stood in 2025). They were written
 * down on 2026-11-22 on a machine without internet access, so they could NOT be checked against those
 * pages that day. Prices change: re-check every entry against its `source` before using the model for
 * a decision, and update `PRICE_TABLE_META.recorded` when you do.
 */
export const PRICE_TABLE_META = {
  region: 'us-east-1',
  recorded: '2026-11-22',
  basis:
    'list prices as known at writing (official AWS pricing pages as of 2025); not re-checked on the recording date (no internet access): re-check before use',
} as const;

export interface Price {
  /** USD per `unit`. */
  readonly usd: number;
  readonly unit: string;
  readonly source: string;
  readonly note?: string;
}

const IOT = 'https://aws.amazon.com/iot-core/pricing/';
const SQS = 'https://aws.amazon.com/sqs/pricing/';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const DYNAMODB = 'https://aws.amazon.com/dynamodb/pricing/on-demand/';
const TIMESTREAM = 'https://aws.amazon.com/timestream/pricing/';
const S3 = 'https://aws.amazon.com/s3/pricing/';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';

export const PRICES = {
  iotConnectivity: {
    usd: 0.08 / 1e6,
    unit: 'connection-minute',
    source: IOT,
    note: '$0.08 per million minutes of connection',
  },
  iotMessaging: {
    usd: 1.0 / 1e6,
    unit: 'message (5 KB increments)',
    source: IOT,
    note: '$1.00 per million for the first billion messages a month; Basic Ingest messages are not charged',
  },
  iotShadowOperation: {
    usd: 1.25 / 1e6,
    unit: 'shadow operation (1 KB increments)',
    source: IOT,
    note: 'Device Shadow and registry: $1.25 per million operations',
  },
  iotRuleTriggered: { usd: 0.15 / 1e6, unit: 'rule triggered (5 KB increments)', source: IOT },
  iotRuleAction: { usd: 0.15 / 1e6, unit: 'action executed (5 KB increments)', source: IOT },
  sqsRequest: {
    usd: 0.4 / 1e6,
    unit: 'standard-queue request (64 KB chunks)',
    source: SQS,
    note: 'after the first million requests a month (free tier ignored)',
  },
  lambdaRequest: { usd: 0.2 / 1e6, unit: 'invocation', source: LAMBDA },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    unit: 'GB-second (arm64, first 7.5 billion GB-s a month)',
    source: LAMBDA,
    note: 'billed per 1 ms; the INIT phase is billed too since 2025-08-01',
  },
  dynamodbWriteUnit: {
    usd: 0.625 / 1e6,
    unit: 'on-demand write request unit (1 KB)',
    source: DYNAMODB,
    note: 'on-demand price after the November 2024 reduction',
  },
  dynamodbReadUnit: {
    usd: 0.125 / 1e6,
    unit: 'on-demand read request unit (4 KB strongly consistent)',
    source: DYNAMODB,
  },
  dynamodbStorage: {
    usd: 0.25,
    unit: 'GB-month (Standard table class)',
    source: DYNAMODB,
    note: 'first 25 GB a month free (ignored here)',
  },
  timestreamWrite: { usd: 0.5 / 1e6, unit: 'write (1 KiB)', source: TIMESTREAM },
  timestreamMemoryStore: { usd: 0.036, unit: 'GB-hour (memory store)', source: TIMESTREAM },
  timestreamMagneticStore: { usd: 0.03, unit: 'GB-month (magnetic store)', source: TIMESTREAM },
  s3Put: { usd: 0.005 / 1000, unit: 'PUT request (S3 Standard)', source: S3 },
  s3StandardStorage: { usd: 0.023, unit: 'GB-month (S3 Standard, first 50 TB)', source: S3 },
  cloudwatchLogsIngestion: { usd: 0.5, unit: 'GB ingested (Standard log class)', source: CLOUDWATCH },
  cloudwatchLogsStorage: { usd: 0.03, unit: 'GB-month archived (compressed)', source: CLOUDWATCH },
  cloudwatchCustomMetric: {
    usd: 0.3,
    unit: 'custom metric-month (first 10,000 metrics)',
    source: CLOUDWATCH,
    note: 'each name + dimension combination is one metric, prorated by the hour it is emitted in',
  },
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;
