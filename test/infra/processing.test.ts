import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FUNCTION_ENV } from '../../lambdas/shared/config.js';
import { PROCESSOR_TIMEOUT } from '../../lib/constructs/processing.js';
import type { FlexoTwinStack } from '../../lib/flexotwin-stack.js';
import { flexoTwin, logicalId, rendered } from './synth.js';

/** The processor function's properties, with its environment captured. */
function processorOf(stack: FlexoTwinStack, template: Template) {
  const env = new Capture();
  const id = logicalId(stack.processing.processor.function);
  const fn = template.findResources('AWS::Lambda::Function')[id];
  template.hasResourceProperties('AWS::Lambda::Function', {
    Description: fn?.Properties.Description,
    Environment: { Variables: env },
  });
  return { props: fn?.Properties, env: env.asObject() as Record<string, unknown> };
}

/** Every statement of the processor role's policies. */
function statementsOf(stack: FlexoTwinStack, template: Template) {
  const role = logicalId(stack.processing.processor.role);
  return Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }),
  ).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
  );
}

const actions = (s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('Processing construct', () => {
  const { stack, template } = flexoTwin();
  const { props, env } = processorOf(stack, template);

  it('runs Node.js 22 on arm64 with source maps, its own log group and the context memory', () => {
    expect(props).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: PROCESSOR_TIMEOUT.toSeconds(),
      LoggingConfig: { LogGroup: rendered(stack, stack.processing.processor.logGroup.logGroupName) },
    });
    expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
    const logGroup =
      template.findResources('AWS::Logs::LogGroup')[logicalId(stack.processing.processor.logGroup)];
    expect(logGroup?.Properties.RetentionInDays).toBe(30);
  });

  it('sets Powertools service, namespace and log level', () => {
    expect(env).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'flexotwin-processor',
      POWERTOOLS_METRICS_NAMESPACE: 'FlexoTwin',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });

  it('points each environment variable at the right resource', () => {
    const { storage } = stack;
    expect(env.RAW_BUCKET).toEqual(rendered(stack, storage.rawBucket.bucketName));
    expect(env.COMPONENTS_TABLE).toEqual({ Ref: logicalId(storage.table('components')) });
    expect(env.ANOMALIES_TABLE).toEqual({ Ref: logicalId(storage.table('anomalies')) });
    expect(env.MACHINE_STATE_TABLE).toEqual({ Ref: logicalId(storage.table('machineState')) });
    expect(env.TELEMETRY_TABLE).toEqual({ Ref: logicalId(storage.table('telemetry')) });
    expect(env.TIME_SERIES_BACKEND).toBe('dynamodb');
    expect(env.TELEMETRY_RETENTION_DAYS).toBe('395');
    // The data endpoint comes from the deploy-time DescribeEndpoint(iot:Data-ATS) custom resource.
    const lookups = template.findResources('Custom::AWS', {
      Properties: {
        Create: Match.stringLikeRegexp('"action":"describeEndpoint".*"endpointType":"iot:Data-ATS"'),
      },
    });
    expect(Object.keys(lookups)).toHaveLength(1);
    expect(env.IOT_DATA_ENDPOINT).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Object.keys(lookups)[0], 'endpointAddress'] }]],
    });
    // Every variable the handler cannot start without is set (AWS_REGION is Lambda's own).
    for (const name of FUNCTION_ENV.processor.filter((n) => n !== 'AWS_REGION')) {
      expect(env[name], name).toBeDefined();
    }
  });

  it('consumes the ingest queue in batches from context, reporting failed records individually', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: rendered(stack, stack.ingestion.queue.queueArn),
      FunctionName: { Ref: logicalId(stack.processing.processor.function) },
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    // No reserved concurrency: throttled SQS receives would count towards the DLQ.
    expect(props.ReservedConcurrentExecutions).toBeUndefined();
    // The queue hides a message for six processor timeouts (AWS guidance for Lambda event sources).
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: PROCESSOR_TIMEOUT.toSeconds() * 6,
      RedrivePolicy: {
        maxReceiveCount: 5,
        deadLetterTargetArn: rendered(stack, stack.ingestion.deadLetterQueue.queueArn),
      },
    });
  });

  it('takes batch size, window and concurrency from context', () => {
    const custom = flexoTwin({ batchSize: 50, batchWindowSeconds: 2, processorMaxConcurrency: 20 });
    custom.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 2,
      ScalingConfig: { MaximumConcurrency: 20 },
    });
    const noWindow = flexoTwin({ batchSize: 10, batchWindowSeconds: 0 });
    noWindow.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: Match.absent(),
    });
  });

  it('grants exactly what the processor calls, each on its own resource', () => {
    const { storage } = stack;
    const arn = (construct: Parameters<typeof rendered>[1]) => rendered(stack, construct);
    const iot = (resource: string) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':iot:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          resource,
        ],
      ],
    });
    const statements = statementsOf(stack, template);
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: arn(stack.processing.processor.logGroup.logGroupArn),
        },
        {
          Effect: 'Allow',
          Action: 'dynamodb:UpdateItem',
          Resource: arn(storage.table('telemetry').tableArn),
        },
        {
          Effect: 'Allow',
          Action: 's3:PutObject',
          Resource: [
            arn(storage.rawBucket.arnForObjects('quarantine/*')),
            arn(storage.rawBucket.arnForObjects('raw/*')),
          ],
        },
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
          Resource: arn(storage.table('anomalies').tableArn),
        },
        {
          Effect: 'Allow',
          Action: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'],
          Resource: arn(storage.table('machineState').tableArn),
        },
        { Effect: 'Allow', Action: 'dynamodb:Scan', Resource: arn(storage.table('components').tableArn) },
        { Effect: 'Allow', Action: 'iot:Publish', Resource: iot(':topic/flexotwin/*/anomalies') },
        { Effect: 'Allow', Action: 'iot:UpdateThingShadow', Resource: iot(':thing/*/health') },
      ]),
    );
    // …and nothing else: the queue consumption CDK adds for the event source is the only other statement.
    const rest = statements.filter((s) => !actions(s).some((a) => /^(logs|dynamodb|s3|iot):/.test(a)));
    expect(rest).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
        ],
        Resource: arn(stack.ingestion.queue.queueArn),
      },
    ]);
    expect(statements).toHaveLength(9);
  });

  it('writes no component rows (the deploy-time seed does) and has no "*" resource under DynamoDB', () => {
    const statements = statementsOf(stack, template);
    for (const s of statements) {
      expect(s.Resource).not.toBe('*');
      if (actions(s).some((a) => a.startsWith('dynamodb:')))
        expect(JSON.stringify(s.Resource)).not.toContain('*');
    }
    const componentWrites = statements.filter(
      (s) =>
        JSON.stringify(s.Resource) ===
          JSON.stringify(rendered(stack, stack.storage.table('components').tableArn)) &&
        actions(s).some((a) => /Put|Update|Delete|Write/.test(a)),
    );
    expect(componentWrites).toEqual([]);
  });
});

describe('Processing construct with Timestream (timeSeries=timestream)', () => {
  const { stack, template } = flexoTwin({ timeSeries: 'timestream' });
  const { env } = processorOf(stack, template);

  it('points the processor at the Timestream database and writes records to its two tables only', () => {
    const ts = stack.storage.timestream;
    expect(env).toMatchObject({
      TIME_SERIES_BACKEND: 'timestream',
      TIMESTREAM_DATABASE: { Ref: logicalId(ts?.database as NonNullable<typeof ts>['database']) },
      TIMESTREAM_TELEMETRY_TABLE: 'telemetry',
      TIMESTREAM_PRODUCTION_TABLE: 'production',
    });
    expect(env.TELEMETRY_TABLE).toBeUndefined();
    const statements = statementsOf(stack, template);
    const write = statements.find((s) => actions(s).includes('timestream:WriteRecords'));
    expect(write?.Resource).toHaveLength(2);
    expect(JSON.stringify(write?.Resource)).toContain(
      logicalId(ts?.telemetry as NonNullable<typeof ts>['telemetry']),
    );
    expect(JSON.stringify(write?.Resource)).toContain(
      logicalId(ts?.production as NonNullable<typeof ts>['production']),
    );
    // The only "*" is the endpoint discovery the Timestream SDK needs (no resource-level scope exists).
    expect(statements.filter((s) => s.Resource === '*')).toEqual([
      { Effect: 'Allow', Action: 'timestream:DescribeEndpoints', Resource: '*' },
    ]);
    expect(statements.some((s) => actions(s).includes('dynamodb:UpdateItem'))).toBe(false);
  });
});
