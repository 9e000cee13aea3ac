/**
 * SQS events as the ingest queue delivers them: each body is what the IoT rule of core/ingest-rules.ts
 * projects from an MQTT message (applyRule, the same function the local rules engine runs).
 */
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { applyRule, INGEST_RULES, topics } from '../../lambdas/core/ingest-rules.js';
import type { MessageKind } from '../../lambdas/core/messages.js';

export interface Published {
  readonly id: string;
  readonly kind?: MessageKind;
  /** Defaults to the payload's machine_id topic, or C_FL104. */
  readonly topic?: string;
  readonly payload: string | Uint8Array | object;
  readonly receivedAt: number;
}

export function sqsRecord(p: Published): SQSRecord {
  const kind = p.kind ?? 'telemetry';
  const rule = INGEST_RULES.find((r) => r.kind === kind);
  if (rule === undefined) throw new Error(`no rule for ${kind}`);
  const bytes =
    p.payload instanceof Uint8Array
      ? p.payload
      : Buffer.from(typeof p.payload === 'string' ? p.payload : JSON.stringify(p.payload));
  const machine =
    typeof p.payload === 'object' && !(p.payload instanceof Uint8Array) && 'machine_id' in p.payload
      ? String((p.payload as { machine_id: unknown }).machine_id)
      : 'C_FL104';
  const topic = p.topic ?? topics[kind](machine);
  return {
    messageId: p.id,
    receiptHandle: `handle-${p.id}`,
    body: JSON.stringify(applyRule(rule, topic, bytes, p.receivedAt)),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(p.receivedAt),
      SenderId: 'AROAEXAMPLE:iot-rule',
      ApproximateFirstReceiveTimestamp: String(p.receivedAt + 5),
    },
    messageAttributes: {},
    md5OfBody: '0',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:flexotwin-ingest',
    awsRegion: 'eu-west-1',
  };
}

export function sqsEvent(records: readonly (Published | SQSRecord)[]): SQSEvent {
  return { Records: records.map((r) => ('body' in r ? r : sqsRecord(r))) };
}
