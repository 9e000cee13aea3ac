/**
 * First step of the processor: each SQS record becomes an accepted message, a duplicate of one, or a
 * quarantined message with its reasons. Nothing here throws and nothing is dropped silently.
 */
import type { SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import type { IngestEnvelope } from '../../core/ingest-rules.js';
import {
  MESSAGE_KINDS,
  type MessageKind,
  type ProductionMessage,
  type TelemetryMessage,
} from '../../core/messages.js';
import type { QuarantinedMessage } from '../../core/ports.js';
import { validatePayload } from '../../core/validate.js';

/** The queued message of core/ingest-rules.ts (topic_machine_id is absent when the topic has no level 2). */
export const envelopeSchema = z.object({
  payload: z.string(),
  topic: z.string(),
  topic_machine_id: z.string().optional(),
  received_at: z.number().int().nonnegative(),
  kind: z.enum(MESSAGE_KINDS),
}) satisfies z.ZodType<Omit<IngestEnvelope, 'topic_machine_id'> & { topic_machine_id?: string | undefined }>;

export type Accepted =
  | {
      readonly recordId: string;
      readonly receivedAt: number;
      readonly kind: 'telemetry';
      readonly message: TelemetryMessage;
      readonly text: string;
      readonly topic: string;
    }
  | {
      readonly recordId: string;
      readonly receivedAt: number;
      readonly kind: 'production';
      readonly message: ProductionMessage;
      readonly text: string;
      readonly topic: string;
    };

export interface DecodedBatch {
  readonly accepted: Accepted[];
  readonly quarantined: QuarantinedMessage[];
  /** Duplicate record id → the id of the record kept in its place. */
  readonly duplicates: Map<string, string>;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** When the envelope itself is unusable, SQS's own send time stands in for the receive time. */
function sentAt(record: SQSRecord, now: number): number {
  const sent = Number(record.attributes?.SentTimestamp);
  return Number.isFinite(sent) && sent > 0 ? sent : now;
}

function describe(error: z.ZodError): string[] {
  return error.issues.map((i) => `envelope ${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
}

export function decodeRecords(records: readonly SQSRecord[], now: number): DecodedBatch {
  const accepted: Accepted[] = [];
  const quarantined: QuarantinedMessage[] = [];
  const duplicates = new Map<string, string>();
  const seen = new Map<string, string>();

  // Declared once, not per record: a closure per record (named too where names are kept, as under tsx)
  // was a measurable share of the per-message cost (npm run bench, processor section).
  const quarantine = (
    record: SQSRecord,
    reasons: string[],
    payload: string,
    meta: { receivedAt: number; topic: string | null; kind: MessageKind | null },
  ) => {
    quarantined.push({
      record_id: record.messageId,
      received_at: meta.receivedAt,
      topic: meta.topic,
      kind: meta.kind,
      reasons,
      payload,
    });
  };

  for (const record of records) {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      quarantine(record, ['envelope is not JSON'], record.body, {
        receivedAt: sentAt(record, now),
        topic: null,
        kind: null,
      });
      continue;
    }
    const envelope = envelopeSchema.safeParse(body);
    if (!envelope.success) {
      quarantine(record, describe(envelope.error), record.body, {
        receivedAt: sentAt(record, now),
        topic: null,
        kind: null,
      });
      continue;
    }
    const { payload, topic, topic_machine_id, received_at: receivedAt, kind } = envelope.data;
    const meta = { receivedAt, topic, kind };
    if (!BASE64.test(payload)) {
      quarantine(record, ['payload is not base64 (the ingest rule encodes every payload)'], payload, meta);
      continue;
    }
    let text: string;
    try {
      text = utf8.decode(Buffer.from(payload, 'base64'));
    } catch {
      // Kept as base64: the bytes are the evidence, and they are not text.
      quarantine(record, ['payload is not valid UTF-8'], payload, meta);
      continue;
    }
    const result = validatePayload(kind, text, { topicMachineId: topic_machine_id, now });
    if (!result.ok) {
      quarantine(record, result.reasons, text, meta);
      continue;
    }
    const m = result.message;
    // A redelivery (SQS at-least-once, MQTT QoS 1) repeats machine, kind, seq *and* ts. The same seq at
    // another time is a device whose counter restarted: a new reading, as the detector treats it too.
    const key = `${m.machine_id}\u0000${kind}\u0000${m.seq}\u0000${m.ts}`;
    const first = seen.get(key);
    if (first !== undefined) {
      duplicates.set(record.messageId, first);
      continue;
    }
    seen.set(key, record.messageId);
    accepted.push(
      kind === 'telemetry'
        ? { recordId: record.messageId, receivedAt, topic, kind, message: m as TelemetryMessage, text }
        : { recordId: record.messageId, receivedAt, topic, kind, message: m as ProductionMessage, text },
    );
  }
  return { accepted, quarantined, duplicates };
}
