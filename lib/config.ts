/**
 * Deployment configuration, read from CDK context (cdk.json, or `-c key=value` on the command line)
 * and validated in one place, so a typo fails the synth with a message instead of deploying defaults.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { z } from 'zod';

/** The retention periods CloudWatch Logs accepts (days). */
const RETENTION_DAYS = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number');

const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const configSchema = z
  .object({
    /**
     * Where time series go. Timestream for LiveAnalytics is closed to new AWS customers since
     * 2025-06-20: accounts without access use the bucketed DynamoDB table (the default).
     */
    timeSeries: z.enum(['timestream', 'dynamodb']).default('dynamodb'),
    /** Devices publish to $aws/rules/... (Basic Ingest): no IoT messaging charge, no broker fan-out. */
    basicIngest: bool.default(false),
    /** SQS → processor batching: up to this many messages per invocation… */
    batchSize: int(1, 10_000).default(1000),
    /** …collected for at most this long. Keep ≥ 1 when batchSize > 10 (an SQS requirement). */
    batchWindowSeconds: int(0, 300).default(10),
    /**
     * At most this many processor invocations at once (the SQS event source's maximum concurrency, not
     * reserved concurrency: a throttled SQS poller would count receives towards the DLQ). Fewer parallel
     * batches also means fewer optimistic-concurrency retries on the same machine's state.
     */
    processorMaxConcurrency: int(2, 1000).default(5),
    processorMemoryMb: int(128, 10_240).default(1024),
    apiMemoryMb: int(128, 10_240).default(512),
    /** Timestream memory-store retention (hours) and magnetic-store retention (days). */
    memoryRetentionHours: int(1, 8766).default(24),
    magneticRetentionDays: int(1, 73_000).default(365),
    /** DynamoDB time-series items expire after this many days (TTL). */
    telemetryRetentionDays: int(1, 3650).default(395),
    /** Raw archive: to Infrequent Access, to Glacier Instant Retrieval, then deleted (days). */
    rawInfrequentAccessDays: int(30, 3650).default(30),
    rawGlacierDays: int(90, 3650).default(90),
    rawExpireDays: int(180, 36_500).default(730),
    logRetentionDays: z.coerce
      .number()
      .int()
      .refine((d) => RETENTION_DAYS.includes(d), `must be one of ${RETENTION_DAYS.join(', ')}`)
      .default(30),
    /** Alarm notifications; none subscribed when empty. */
    alarmEmail: z.union([z.literal(''), z.email()]).default(''),
    /** Browser origins allowed to call the API (comma-separated); none by default. */
    corsOrigins: z
      .union([z.array(z.string()), z.string()])
      .default([])
      .transform((v) =>
        (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v).filter((s) => s !== ''),
      ),
    /** API stage throttling. */
    apiRateLimit: int(1, 100_000).default(50),
    apiBurstLimit: int(1, 100_000).default(100),
    /** Machines shown on the dashboard and watched by per-machine alarms. */
    machines: z
      .union([z.array(z.string()), z.string()])
      .default(['C_FL104', 'C_FL105', 'C_FL106'])
      .transform((v) =>
        (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v).filter((s) => s !== ''),
      ),
    /** Ingest-stalled alarm: no message for this many minutes. */
    ingestStalledMinutes: int(1, 1440).default(15),
    /** Anomaly-burst alarm: more than this many alarms raised in 5 minutes. */
    anomalyBurstThreshold: int(1, 100_000).default(20),
  })
  .superRefine((c, ctx) => {
    if (c.batchSize > 10 && c.batchWindowSeconds < 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['batchWindowSeconds'],
        message: 'must be ≥ 1 when batchSize > 10',
      });
    }
    if (c.rawGlacierDays <= c.rawInfrequentAccessDays || c.rawExpireDays <= c.rawGlacierDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['rawExpireDays'],
        message:
          'the raw lifecycle must be increasing: rawInfrequentAccessDays < rawGlacierDays < rawExpireDays',
      });
    }
  });

export type FlexoTwinConfig = z.output<typeof configSchema>;

/** Reads every key of the schema from the construct tree's context. */
export function readConfig(node: Node): FlexoTwinConfig {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = node.tryGetContext(key);
    if (value !== undefined) raw[key] = value;
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const reasons = parsed.error.issues.map((i) => `  -c ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`invalid FlexoTwin context:\n${reasons}`);
  }
  return parsed.data;
}
