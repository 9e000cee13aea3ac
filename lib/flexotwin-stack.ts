/**
 * The FlexoTwin stack: IoT Core → SQS → processor Lambda → Timestream or DynamoDB / S3 / DynamoDB, the HTTP
 * API, and CloudWatch. One construct per concern (lib/constructs/), wired here through typed props; every
 * setting comes from the validated context (lib/config.ts).
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { FlexoTwinConfig } from './config.js';
import { Api } from './constructs/api.js';
import { ComponentSeed } from './constructs/component-seed.js';
import { DeviceFleet } from './constructs/device-fleet.js';
import { visibilityTimeoutFor } from './constructs/handler-function.js';
import { Ingestion } from './constructs/ingestion.js';
import { IotDataEndpoint } from './constructs/iot-endpoint.js';
import { Monitoring } from './constructs/monitoring.js';
import { PROCESSOR_TIMEOUT, Processing } from './constructs/processing.js';
import { Storage } from './constructs/storage.js';

export interface FlexoTwinStackProps extends StackProps {
  readonly config: FlexoTwinConfig;
}

export class FlexoTwinStack extends Stack {
  readonly fleet: DeviceFleet;
  readonly ingestion: Ingestion;
  readonly storage: Storage;
  readonly processing: Processing;
  readonly api: Api;
  readonly seed: ComponentSeed;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: FlexoTwinStackProps) {
    super(scope, id, {
      description: `FlexoTwin condition monitoring (time series: ${props.config.timeSeries}${props.config.basicIngest ? ', Basic Ingest' : ''})`,
      ...props,
    });
    const { config } = props;
    const logRetention = config.logRetentionDays as RetentionDays;

    this.fleet = new DeviceFleet(this, 'Fleet', { basicIngest: config.basicIngest });
    this.ingestion = new Ingestion(this, 'Ingestion', {
      visibilityTimeout: visibilityTimeoutFor(PROCESSOR_TIMEOUT),
      logRetention,
    });
    this.storage = new Storage(this, 'Storage', { config });
    const endpoint = new IotDataEndpoint(this, 'IotEndpoint', { logRetention });

    this.processing = new Processing(this, 'Processing', {
      config,
      storage: this.storage,
      queue: this.ingestion.queue,
      iotDataEndpoint: endpoint.url,
    });
    this.api = new Api(this, 'Api', { config, storage: this.storage, iotDataEndpoint: endpoint.url });

    // The FMEA rows are in place before the functions that read them start (or are updated).
    this.seed = new ComponentSeed(this, 'ComponentSeed', { config, storage: this.storage });
    this.seed.trigger.executeBefore(this.processing.processor.function, this.api.handler.function);

    this.monitoring = new Monitoring(this, 'Monitoring', {
      config,
      processor: this.processing.processor,
      api: this.api,
      queue: this.ingestion.queue,
      deadLetterQueue: this.ingestion.deadLetterQueue,
    });

    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('ApiUrl', this.api.url, 'HTTP API base URL (SigV4 on every route but GET /api/health)');
    output('IotDataEndpoint', endpoint.host, 'IoT Core data endpoint: flexotwin simulate --endpoint');
    output('RawBucket', this.storage.rawBucket.bucketName, 'Raw archive: raw/, quarantine/, models/');
    output('DashboardUrl', this.monitoring.dashboardUrl, 'CloudWatch dashboard');
    output('DevicePolicyName', this.fleet.policyName, 'IoT policy flexotwin provision attaches');
    output('ThingTypeName', this.fleet.thingTypeName, 'IoT thing type of the machines');
    output('AlarmTopicArn', this.monitoring.topic.topicArn, 'SNS topic of the alarms (subscribe more)');
  }
}
