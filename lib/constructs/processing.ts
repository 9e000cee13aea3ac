/**
 * Processing: the processor function (lambdas/handlers/processor.ts) fed by the ingest queue in batches,
 * reporting failed records individually, with exactly the permissions its adapters use:
 *
 *   time series   write (DynamoDB UpdateItem on the bucketed table, or Timestream WriteRecords)
 *   raw archive   s3:PutObject under raw/ and quarantine/
 *   anomalies     GetItem + conditional PutItem (read-modify-write of an alarm)
 *   machine state BatchGetItem + conditional PutItem (the commit point)
 *   components    Scan (the FMEA table; seeded at deploy, so no write)
 *   IoT           iot:Publish to flexotwin/<machine>/anomalies, iot:UpdateThingShadow on <machine>'s `health` shadow
 *
 * Its concurrency is capped on the event source (maximum concurrency), not with reserved concurrency: a
 * throttled function makes the SQS poller's receives count towards the DLQ's maxReceiveCount.
 */
import { Aws, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { QUARANTINE_PREFIX, RAW_PREFIX } from '../../lambdas/adapters/s3/layout.js';
import { HEALTH_SHADOW, topics } from '../../lambdas/core/ingest-rules.js';
import { powertoolsEnv } from '../../lambdas/shared/config.js';
import type { FlexoTwinConfig } from '../config.js';
import { acknowledgeWildcardResource } from '../nag.js';
import { HandlerFunction } from './handler-function.js';
import { type Storage, TIMESTREAM_DESCRIBE_ENDPOINTS_REASON } from './storage.js';

/**
 * Generous for a batch of up to 1000 messages (a handful of sequential calls per machine, eight machines
 * at once); the ingest queue's visibility timeout is six times this.
 */
export const PROCESSOR_TIMEOUT = Duration.seconds(60);

export interface ProcessingProps {
  readonly config: FlexoTwinConfig;
  readonly storage: Storage;
  readonly queue: sqs.IQueue;
  /** https://<account prefix>-ats.iot.<region>.amazonaws.com */
  readonly iotDataEndpoint: string;
}

export class Processing extends Construct {
  readonly processor: HandlerFunction;

  constructor(scope: Construct, id: string, props: ProcessingProps) {
    super(scope, id);
    const { config, storage } = props;
    this.processor = new HandlerFunction(this, 'Processor', {
      handler: 'processor',
      description: 'FlexoTwin processor: validate, detect, OEE/health, store, publish (SQS batches)',
      memorySize: config.processorMemoryMb,
      timeout: PROCESSOR_TIMEOUT,
      environment: {
        ...storage.environment(),
        IOT_DATA_ENDPOINT: props.iotDataEndpoint,
        ...powertoolsEnv('processor'),
      },
      logRetention: config.logRetentionDays as RetentionDays,
    });
    const fn = this.processor.function;
    fn.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: config.batchSize,
        ...(config.batchWindowSeconds > 0 && {
          maxBatchingWindow: Duration.seconds(config.batchWindowSeconds),
        }),
        reportBatchItemFailures: true,
        maxConcurrency: config.processorMaxConcurrency,
      }),
    );

    storage.grantTimeSeriesWrite(fn);
    storage.grantArchiveWrite(fn, [RAW_PREFIX, QUARANTINE_PREFIX]);
    storage.grantTable(fn, 'anomalies', ['GetItem', 'PutItem']);
    storage.grantTable(fn, 'machineState', ['BatchGetItem', 'PutItem']);
    storage.grantTable(fn, 'components', ['Scan']);

    const iotArn = `arn:${Aws.PARTITION}:iot:${Aws.REGION}:${Aws.ACCOUNT_ID}`;
    const anomalyTopics = `${iotArn}:topic/${topics.anomalies('*')}`;
    const healthShadows = `${iotArn}:thing/*/${HEALTH_SHADOW}`;
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['iot:Publish'], resources: [anomalyTopics] }));
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['iot:UpdateThingShadow'], resources: [healthShadows] }),
    );

    const machines =
      'Machines are registered after deploy (flexotwin provision), so their names cannot be listed here;';
    acknowledgeWildcardResource(
      this.processor,
      storage.rawBucket.arnForObjects(`${RAW_PREFIX}*`),
      'The processor writes one object per batch under raw/ (keys derived from the batch, DESIGN.md §5); PutObject only, limited to this prefix.',
    );
    acknowledgeWildcardResource(
      this.processor,
      storage.rawBucket.arnForObjects(`${QUARANTINE_PREFIX}*`),
      'Rejected messages are written with their reasons under quarantine/; PutObject only, limited to this prefix.',
    );
    acknowledgeWildcardResource(
      this.processor,
      anomalyTopics,
      `${machines} the processor may publish alarm events only to the anomalies topic of a machine (flexotwin/<machine>/anomalies).`,
    );
    acknowledgeWildcardResource(
      this.processor,
      healthShadows,
      `${machines} the processor may update only the named shadow "health" of a thing, no classic shadow, no other named shadow.`,
    );
    if (storage.timestream !== undefined) {
      acknowledgeWildcardResource(this.processor, '*', TIMESTREAM_DESCRIBE_ENDPOINTS_REASON);
    }
  }
}
