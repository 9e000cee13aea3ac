/**
 * Ingestion: the IoT topic rules (from the shared definitions in lambdas/core/ingest-rules.ts, the same
 * ones the local rules engine evaluates) put every device message on an encrypted SQS queue with a
 * dead-letter queue. A rule that cannot deliver logs the failure with the payload to CloudWatch Logs.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { INGEST_RULES, ruleSql } from '../../lambdas/core/ingest-rules.js';

/** Poison messages are parked after this many failed receives. */
export const MAX_RECEIVE_COUNT = 5;

export interface IngestionProps {
  /** At least 6 × the processor's timeout (AWS guidance for SQS event sources). */
  readonly visibilityTimeout: Duration;
  readonly logRetention: logs.RetentionDays;
}

export class Ingestion extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly ruleErrors: logs.LogGroup;
  readonly rules: iot.CfnTopicRule[];

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'IngestQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    this.ruleErrors = new logs.LogGroup(this, 'RuleErrors', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, 'RuleRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com'),
      description: 'Lets the FlexoTwin ingest rules send to the ingest queue and log delivery errors',
    });
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.ruleErrors.logGroupArn],
      }),
    );
    this.rules = INGEST_RULES.map(
      (rule) =>
        new iot.CfnTopicRule(this, rule.name, {
          // Fixed names: the Basic Ingest topic ($aws/rules/<name>/...) in the device policy names them.
          ruleName: rule.name,
          topicRulePayload: {
            sql: ruleSql(rule),
            awsIotSqlVersion: '2016-03-23',
            description: `FlexoTwin ${rule.kind} messages → ingest queue`,
            ruleDisabled: false,
            actions: [{ sqs: { queueUrl: this.queue.queueUrl, roleArn: role.roleArn, useBase64: false } }],
            errorAction: {
              cloudwatchLogs: { logGroupName: this.ruleErrors.logGroupName, roleArn: role.roleArn },
            },
          },
        }),
    );
  }
}
