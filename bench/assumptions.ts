/**
 * What the cost model cannot measure on this machine, stated once. These are assumptions, not
 * measurements: change them here and every section that uses them follows.
 */
import type { FakeLatency } from './aws-fake.js';

/**
 * In-region service latencies seen from a Lambda function (typical medians for small requests over a
 * reused connection). The processor benchmark waits this long in the fake AWS account, so an
 * invocation's duration reflects the handler's own I/O concurrency.
 */
export const ASSUMED_LATENCY_MS: FakeLatency = {
  dynamodb: 6,
  dynamodbBatch: 10,
  s3Put: 25,
  iotData: 15,
  timestreamWrite: 25,
};

/** Lambda gives a function one full vCPU at 1,769 MB and a proportional share below that. */
export const LAMBDA_FULL_VCPU_MB = 1769;

/**
 * Lambda's own log lines per invocation (START, END and REPORT, with request id, durations, memory;
 * ~100 + ~70 + ~220 bytes) that CloudWatch Logs ingests besides what the function prints.
 */
export const LAMBDA_PLATFORM_LOG_BYTES = 390;

/**
 * The raw bucket has S3 server access logging on (lib/constructs/storage.ts): each request becomes a
 * log record of about this many bytes in the access-log bucket, kept there for a year.
 */
export const S3_ACCESS_LOG_RECORD_BYTES = 350;
export const S3_ACCESS_LOG_RETENTION_MONTHS = 12;

/** Cold starts of each function a day (containers are recycled a few times a day even under load). */
export const COLD_STARTS_PER_DAY = 24;

/** Billing month. */
export const DAYS_PER_MONTH = 30;
