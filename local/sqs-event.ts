/**
 * Batches of the local queue as the SQS event source hands them to the processor: one SQS record per
 * message, with the attributes the processor (and Powertools' batch processor) read — messageId,
 * receiptHandle, the body (the ingest rule's JSON projection), ApproximateReceiveCount and SentTimestamp.
 */
import { createHash } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { Batch, ReceivedMessage } from './queue.js';

export interface QueueIdentity {
  readonly region: string;
  /** The queue's name in the ARN (the stack's is generated; this one names the local stand-in). */
  readonly name: string;
}

export const LOCAL_QUEUE: Omit<QueueIdentity, 'region'> = { name: 'flexotwin-local-ingest' };

export function sqsRecord(message: ReceivedMessage, queue: QueueIdentity): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      // IoT Core's rule action sends with the rule's role; locally the rules engine is the sender.
      SenderId: 'flexotwin-local-rules-engine',
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveAt),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(message.body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${queue.region}:000000000000:${queue.name}`,
    awsRegion: queue.region,
  };
}

export function sqsEvent(batch: Batch, queue: QueueIdentity): SQSEvent {
  return { Records: batch.messages.map((m) => sqsRecord(m, queue)) };
}
