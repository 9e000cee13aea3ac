import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { API_5XX_THRESHOLD, HEALTH_CRITICAL } from '../../lib/constructs/monitoring.js';
import type { FlexoTwinStack } from '../../lib/flexotwin-stack.js';
import { flexoTwin, logicalId } from './synth.js';

interface AlarmProps {
  AlarmName: string;
  Threshold: number;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  TreatMissingData: string;
  AlarmActions: unknown[];
  OKActions: unknown[];
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  Period?: number;
  Dimensions?: { Name: string; Value: unknown }[];
  Metrics?: { Id: string; Expression?: string; Period?: number; MetricStat?: unknown }[];
}

function alarmsOf(template: Template): Map<string, AlarmProps> {
  return new Map(
    Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => [
      a.Properties.AlarmName as string,
      a.Properties as AlarmProps,
    ]),
  );
}

const dimensions = (a: AlarmProps | undefined) =>
  Object.fromEntries((a?.Dimensions ?? []).map((d) => [d.Name, d.Value]));

describe('Monitoring construct: alarms', () => {
  const { stack, template } = flexoTwin({ machines: 'C_FL104,C_FL105', anomalyBurstThreshold: 7 });
  const alarms = alarmsOf(template);
  const topic = { Ref: logicalId(stack.monitoring.topic) };

  it('creates the alarms of the design, each notifying the alarm topic when raised and when cleared', () => {
    expect([...alarms.keys()].sort()).toEqual([
      'FlexoTwin-anomaly-burst',
      'FlexoTwin-api-5xx',
      'FlexoTwin-api-errors',
      'FlexoTwin-dlq-not-empty',
      'FlexoTwin-health-critical-C_FL104',
      'FlexoTwin-health-critical-C_FL105',
      'FlexoTwin-ingest-stalled',
      'FlexoTwin-processor-errors',
    ]);
    for (const [name, alarm] of alarms) {
      expect(alarm.AlarmActions, name).toEqual([topic]);
      expect(alarm.OKActions, name).toEqual([topic]);
    }
  });

  it('health critical: the machine health index stayed below 50 for five minutes', () => {
    const alarm = alarms.get('FlexoTwin-health-critical-C_FL104');
    expect(alarm).toMatchObject({
      Namespace: 'FlexoTwin',
      MetricName: 'HealthIndex',
      Statistic: 'Maximum',
      Period: 300,
      Threshold: HEALTH_CRITICAL,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(HEALTH_CRITICAL).toBe(50);
    // Powertools adds `service` to every EMF metric: without it the alarm would watch an empty series.
    expect(dimensions(alarm)).toEqual({ machine_id: 'C_FL104', service: 'flexotwin-processor' });
  });

  it('anomaly burst: more alarms raised fleet-wide in five minutes than the context threshold', () => {
    const alarm = alarms.get('FlexoTwin-anomaly-burst');
    expect(alarm).toMatchObject({
      Threshold: 7,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(alarm?.Metrics).toEqual([
      expect.objectContaining({
        Expression:
          'SELECT SUM(Anomalies) FROM SCHEMA("FlexoTwin", category, service, severity) WHERE service = \'flexotwin-processor\'',
        Period: 300,
      }),
    ]);
  });

  it('ingest stalled: no message processed for the context minutes, and no data at all counts as stalled', () => {
    const alarm = alarms.get('FlexoTwin-ingest-stalled');
    expect(alarm).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'breaching',
    });
    const expression = alarm?.Metrics?.find((m) => m.Expression !== undefined);
    expect(expression?.Expression).toBe('FILL(telemetry, 0) + FILL(production, 0)');
    for (const kind of ['telemetry', 'production']) {
      expect(alarm?.Metrics).toContainEqual({
        Id: kind,
        ReturnData: false,
        MetricStat: {
          Metric: {
            Namespace: 'FlexoTwin',
            MetricName: 'Messages',
            Dimensions: [
              { Name: 'kind', Value: kind },
              { Name: 'service', Value: 'flexotwin-processor' },
            ],
          },
          Period: 15 * 60,
          Stat: 'Sum',
        },
      });
    }
    const quick = alarmsOf(flexoTwin({ ingestStalledMinutes: 5 }).template).get('FlexoTwin-ingest-stalled');
    expect(quick?.Metrics?.find((m) => m.Id === 'telemetry')?.MetricStat).toMatchObject({ Period: 300 });
  });

  it('dead letters: any message in the DLQ', () => {
    const alarm = alarms.get('FlexoTwin-dlq-not-empty');
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(dimensions(alarm)).toEqual({
      QueueName: { 'Fn::GetAtt': [logicalId(stack.ingestion.deadLetterQueue), 'QueueName'] },
    });
  });

  it('function errors: any failed invocation of the processor or the API function', () => {
    const cases: [string, FlexoTwinStack['processing']['processor']][] = [
      ['FlexoTwin-processor-errors', stack.processing.processor],
      ['FlexoTwin-api-errors', stack.api.handler],
    ];
    for (const [name, fn] of cases) {
      const alarm = alarms.get(name);
      expect(alarm, name).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(dimensions(alarm)).toEqual({ FunctionName: { Ref: logicalId(fn.function) } });
    }
  });

  it('API 5xx: several server errors in five minutes', () => {
    const alarm = alarms.get('FlexoTwin-api-5xx');
    expect(alarm).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Statistic: 'Sum',
      Period: 300,
      Threshold: API_5XX_THRESHOLD,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(dimensions(alarm)).toEqual({ ApiId: { Ref: logicalId(stack.api.httpApi) } });
  });
});

describe('Monitoring construct: the alarm topic', () => {
  const { stack, template } = flexoTwin();

  it('encrypts the topic with a rotated customer managed key CloudWatch may use, and denies non-TLS publishing', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('TopicKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: logicalId(stack.monitoring.topic) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('subscribes the alarm e-mail from context, and nobody without it', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const withEmail = flexoTwin({ alarmEmail: 'maintenance@example.com' });
    withEmail.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'maintenance@example.com',
      TopicArn: { Ref: logicalId(withEmail.stack.monitoring.topic) },
    });
  });
});

describe('Monitoring construct: the dashboard', () => {
  const { template } = flexoTwin({ machines: 'C_FL104,C_FL105' });
  const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]);

  it.each([
    ['health per machine', 'HealthIndex'],
    ['health per component', 'ComponentHealthIndex'],
    ['anomalies by category', 'MetricName=\\\\\\"Anomalies\\\\\\"'],
    ['anomalies by machine', 'AnomaliesByMachine'],
    ['ingest rate', 'Messages'],
    ['retried records', 'RecordsFailed'],
    ['optimistic-concurrency conflicts', 'ConcurrentUpdates'],
    ['failed shadow updates', 'ShadowUpdatesFailed'],
    ['processing latency', 'ProcessingLatency'],
    ['queue age', 'ApproximateAgeOfOldestMessage'],
    ['DLQ depth', 'ApproximateNumberOfMessagesVisible'],
    ['Lambda throttles', 'Throttles'],
    ['Lambda duration', 'Duration'],
    ['API 4xx', '4xx'],
    ['API 5xx', '5xx'],
    ['API latency', 'Latency'],
  ])('shows %s', (_, needle) => {
    expect(body).toContain(needle);
  });

  it('charts component health fleet-wide (the worst machine per component) and percentiles for latency and duration', () => {
    expect(body).toContain('Component health — worst machine (min)');
    expect(body).toContain('{FlexoTwin,component,service} MetricName=\\\\\\"ComponentHealthIndex\\\\\\"');
    expect(body).not.toContain('Component health — C_FL104');
    for (const stat of ['p50', 'p99']) expect(body).toContain(`"stat\\":\\"${stat}\\"`);
  });

  it('is linked from the stack outputs', () => {
    template.hasOutput('DashboardUrl', {
      Value: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['#dashboards:name='])] }),
    });
  });
});
