import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { INGEST_RULES } from '../../lambdas/core/ingest-rules.js';
import { Ingestion, MAX_RECEIVE_COUNT } from '../../lib/constructs/ingestion.js';

function synth() {
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'eu-central-1' } });
  new Ingestion(stack, 'Ingestion', {
    visibilityTimeout: Duration.minutes(6),
    logRetention: RetentionDays.ONE_MONTH,
  });
  return Template.fromStack(stack);
}

describe('Ingestion construct', () => {
  const template = synth();

  it('renders one topic rule per shared rule definition, forwarding the raw payload and the topic facts', () => {
    template.resourceCountIs('AWS::IoT::TopicRule', INGEST_RULES.length);
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      RuleName: 'flexotwin_telemetry',
      TopicRulePayload: {
        AwsIotSqlVersion: '2016-03-23',
        Sql: "SELECT encode(*, 'base64') AS payload, topic() AS topic, topic(2) AS topic_machine_id, timestamp() AS received_at, 'telemetry' AS kind FROM 'flexotwin/+/telemetry'",
        Actions: [{ Sqs: { QueueUrl: Match.anyValue(), RoleArn: Match.anyValue(), UseBase64: false } }],
        ErrorAction: { CloudwatchLogs: { LogGroupName: Match.anyValue(), RoleArn: Match.anyValue() } },
      },
    });
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      RuleName: 'flexotwin_production',
      TopicRulePayload: { Sql: Match.stringLikeRegexp("FROM 'flexotwin/\\+/production'$") },
    });
  });

  it('encrypts both queues, parks poison messages after 5 receives and keeps them 14 days', () => {
    expect(MAX_RECEIVE_COUNT).toBe(5);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 360,
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    // enforceSSL: every queue policy denies non-TLS access
    template.resourceCountIs('AWS::SQS::QueuePolicy', 2);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ],
      },
    });
  });

  it('gives the rule role exactly send-to-queue and write-error-log, nothing else', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    expect(policies).toHaveLength(1);
    const statements = policies[0]?.Properties.PolicyDocument.Statement;
    expect(statements.map((s: { Action: unknown }) => s.Action)).toEqual([
      'sqs:SendMessage',
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
    ]);
    for (const s of statements) expect(JSON.stringify(s.Resource)).not.toContain('"*"');
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'iot.amazonaws.com' } })],
      },
    });
  });
});
