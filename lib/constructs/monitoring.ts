/**
 * Monitoring: one CloudWatch dashboard for the fleet and the pipeline, and the alarms that page someone,
 * all notifying one encrypted SNS topic (with an e-mail subscription when `alarmEmail` is set).
 *
 * The fleet's metrics are the processor's EMF metrics (namespace FlexoTwin, lambdas/handlers/processor/
 * batch.ts). Powertools adds the `service` dimension to every one of them, so each metric here names it.
 * Per-machine alarms watch the machines listed in the `machines` context; the dashboard's SEARCH
 * expressions show every machine that reports.
 */
import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, powertoolsEnv } from '../../lambdas/shared/config.js';
import type { FlexoTwinConfig } from '../config.js';
import type { Api } from './api.js';
import type { HandlerFunction } from './handler-function.js';

/** Below this a machine is Critical (DESIGN.md §1.A). */
export const HEALTH_CRITICAL = 50;
const HEALTH_WARNING = 70;
/**
 * API 5xx per 5 minutes that page. Not 1: POST /api/predict answers 503 by design until a model is
 * trained, and a single transient error should not wake anyone.
 */
export const API_5XX_THRESHOLD = 5;

const FIVE_MINUTES = Duration.minutes(5);
const PROCESSOR_SERVICE = powertoolsEnv('processor').POWERTOOLS_SERVICE_NAME as string;

export interface MonitoringProps {
  readonly config: FlexoTwinConfig;
  readonly processor: HandlerFunction;
  readonly api: Api;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
}

/** A processor metric (namespace FlexoTwin, with Powertools' `service` dimension). */
function fleetMetric(
  metricName: string,
  dimensions: Record<string, string>,
  statistic: string,
  period = FIVE_MINUTES,
  label?: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: PROCESSOR_SERVICE, ...dimensions },
    statistic,
    period,
    ...(label !== undefined && { label }),
  });
}

/** A full-width chart of a 0–100 health metric's minimum per `dimension`, with the warning and critical lines. */
function healthWidget(title: string, metricName: string, dimension: string): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({
    title,
    left: [fleetSearch(metricName, [dimension], 'Minimum')],
    leftYAxis: { min: 0, max: 100 },
    leftAnnotations: [
      { value: HEALTH_WARNING, label: 'Warning', color: '#EAB308' },
      { value: HEALTH_CRITICAL, label: 'Critical', color: '#EF4444' },
    ],
    width: 24,
  });
}

/** Every series of a processor metric with the given extra dimensions, e.g. one line per machine. */
function fleetSearch(
  metricName: string,
  dimensionNames: readonly string[],
  statistic: string,
  filter = '',
): cloudwatch.MathExpression {
  const schema = [METRICS_NAMESPACE, ...[...dimensionNames, 'service'].sort()].join(',');
  const where = `MetricName="${metricName}" service="${PROCESSOR_SERVICE}"${filter === '' ? '' : ` ${filter}`}`;
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${schema}} ${where}', '${statistic}', ${FIVE_MINUTES.toSeconds()})`,
    usingMetrics: {},
    label: '',
    period: FIVE_MINUTES,
  });
}

export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config } = props;
    const prefix = Stack.of(this).stackName;

    // CloudWatch can publish to an encrypted topic only with a customer managed key that lets it use
    // the key (the AWS managed alias/aws/sns key policy cannot be changed).
    const key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the FlexoTwin alarm topic',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'FlexoTwin alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (config.alarmEmail !== '') this.topic.addSubscription(new EmailSubscription(config.alarmEmail));

    const alarm = (id: string, props: cloudwatch.AlarmProps) => {
      const a = new cloudwatch.Alarm(this, id, { actionsEnabled: true, ...props });
      a.addAlarmAction(new SnsAction(this.topic));
      a.addOkAction(new SnsAction(this.topic));
      this.alarms.push(a);
      return a;
    };

    for (const machine of config.machines) {
      alarm(`HealthCritical-${machine}`, {
        alarmName: `${prefix}-health-critical-${machine}`,
        alarmDescription: `Health index of ${machine} below ${HEALTH_CRITICAL} (Critical) for five minutes: maintenance is due. The API's /api/health/{component} shows which component and why.`,
        // Maximum below 50: every report of the five minutes was critical, not one dip.
        metric: fleetMetric('HealthIndex', { machine_id: machine }, cloudwatch.Stats.MAXIMUM),
        threshold: HEALTH_CRITICAL,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // A silent machine is the ingest-stalled alarm's concern, not a health verdict.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    alarm('AnomalyBurst', {
      alarmName: `${prefix}-anomaly-burst`,
      alarmDescription: `More than ${config.anomalyBurstThreshold} alarms raised across the fleet in five minutes.`,
      // Metrics Insights sums every category and severity (12 series: more than a math alarm may name).
      metric: new cloudwatch.MathExpression({
        expression: `SELECT SUM(Anomalies) FROM SCHEMA("${METRICS_NAMESPACE}", category, service, severity) WHERE service = '${PROCESSOR_SERVICE}'`,
        usingMetrics: {},
        label: 'Alarms raised',
        period: FIVE_MINUTES,
      }),
      threshold: config.anomalyBurstThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const stalledPeriod = Duration.minutes(config.ingestStalledMinutes);
    alarm('IngestStalled', {
      alarmName: `${prefix}-ingest-stalled`,
      alarmDescription: `No device message reached the twin for ${config.ingestStalledMinutes} minutes (devices, IoT rules, queue or processor). Fires after deploy until the first device reports.`,
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(telemetry, 0) + FILL(production, 0)',
        usingMetrics: {
          telemetry: fleetMetric('Messages', { kind: 'telemetry' }, cloudwatch.Stats.SUM, stalledPeriod),
          production: fleetMetric('Messages', { kind: 'production' }, cloudwatch.Stats.SUM, stalledPeriod),
        },
        label: 'Messages processed',
        period: stalledPeriod,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No data at all is the clearest stall there is.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    alarm('DeadLetters', {
      alarmName: `${prefix}-dlq-not-empty`,
      alarmDescription:
        'Messages failed processing five times and were parked in the dead-letter queue: inspect and redrive them.',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(1),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const functions = [
      ['Processor', props.processor],
      ['Api', props.api.handler],
    ] as const;
    for (const [name, fn] of functions) {
      alarm(`${name}Errors`, {
        alarmName: `${prefix}-${name.toLowerCase()}-errors`,
        alarmDescription: `The ${name.toLowerCase()} function failed (an unhandled error or a timeout): see its log group.`,
        metric: fn.function.metricErrors({ statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    const api = props.api.httpApi;
    alarm('Api5xx', {
      alarmName: `${prefix}-api-5xx`,
      alarmDescription: `The API answered ${API_5XX_THRESHOLD} or more server errors in five minutes: see its access and function logs.`,
      metric: api.metricServerError({ statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES }),
      threshold: API_5XX_THRESHOLD,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: this.alarms,
            width: 24,
            height: 4,
          }),
        ],
        [healthWidget('Health index per machine (min)', 'HealthIndex', 'machine_id')],
        [
          // One series per component for the whole fleet — its worst machine — fifteen metrics however many
          // machines there are (per machine and component would be $0.30 × 15 per machine a month). Which
          // machine, and each machine's components: GET /api/health/{component_name}, the components
          // table, the shadow "health".
          healthWidget('Component health — worst machine (min)', 'ComponentHealthIndex', 'component'),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Anomalies raised by category and severity',
            left: [fleetSearch('Anomalies', ['category', 'severity'], 'Sum')],
            stacked: true,
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Anomalies raised by machine',
            left: [fleetSearch('AnomaliesByMachine', ['machine_id'], 'Sum')],
            stacked: true,
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Ingest rate (messages / minute)',
            left: [
              fleetMetric('Messages', { kind: 'telemetry' }, 'Sum', Duration.minutes(1), 'telemetry'),
              fleetMetric('Messages', { kind: 'production' }, 'Sum', Duration.minutes(1), 'production'),
              fleetMetric('MessagesQuarantined', {}, 'Sum', Duration.minutes(1), 'quarantined'),
              fleetMetric('MessagesDuplicate', {}, 'Sum', Duration.minutes(1), 'duplicates'),
            ],
            // Retries and repairs: records sent back to the queue, lost optimistic-concurrency races,
            // shadow updates left to the next batch.
            right: [
              fleetMetric('RecordsFailed', {}, 'Sum', Duration.minutes(1), 'records retried'),
              fleetMetric('ConcurrentUpdates', {}, 'Sum', Duration.minutes(1), 'concurrent updates'),
              fleetMetric('ShadowUpdatesFailed', {}, 'Sum', Duration.minutes(1), 'shadow updates failed'),
            ],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Processing latency, device → twin (ms)',
            left: [
              fleetMetric('ProcessingLatency', {}, 'p50', Duration.minutes(1), 'p50'),
              fleetMetric('ProcessingLatency', {}, 'p99', Duration.minutes(1), 'p99'),
            ],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Ingest queue: age of oldest message (s)',
            left: [props.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' })],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Ingest queue depth',
            left: [props.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' })],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Dead-letter queue depth',
            left: [props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' })],
            width: 8,
          }),
        ],
        functions.map(
          ([name, fn]) =>
            new cloudwatch.GraphWidget({
              title: `${name} function`,
              left: [
                fn.function.metricErrors({ statistic: 'Sum', label: 'errors' }),
                fn.function.metricThrottles({ statistic: 'Sum', label: 'throttles' }),
              ],
              right: [fn.function.metricDuration({ statistic: 'p99', label: 'p99 duration (ms)' })],
              width: 12,
            }),
        ),
        [
          new cloudwatch.GraphWidget({
            title: 'API responses',
            left: [
              api.metricCount({ statistic: 'Sum', label: 'requests' }),
              api.metricClientError({ statistic: 'Sum', label: '4xx' }),
              api.metricServerError({ statistic: 'Sum', label: '5xx' }),
            ],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'API latency (ms)',
            left: [
              api.metricLatency({ statistic: 'p50', label: 'p50' }),
              api.metricLatency({ statistic: 'p99', label: 'p99' }),
            ],
            width: 12,
          }),
        ],
      ],
    });
  }

  /** The dashboard in the CloudWatch console. */
  get dashboardUrl(): string {
    return `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${this.dashboard.dashboardName}`;
  }
}
