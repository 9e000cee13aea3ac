/**
 * The validator every inbound message goes through. It never throws, whatever it is given: it returns
 * a typed message or a list of human-readable reasons, which the processor stores with the quarantined
 * payload so an operator can see why a message was refused.
 */
import type { z } from 'zod';
import { type MessageKind, type MessageOf, messageSchemas } from './messages.js';
import { acceptTelemetry } from './telemetry-fast-path.js';

/** IoT Core's own payload limit; anything larger cannot have come through a rule. */
export const MAX_PAYLOAD_BYTES = 128 * 1024;
/** Device clocks drift; a reading further ahead than this is a wrong clock, not a fast device. */
export const MAX_FUTURE_SKEW_MS = 15 * 60 * 1000;

export type Validation<T> = { ok: true; message: T } | { ok: false; reasons: string[] };

export interface ValidationContext {
  /** Machine id from the topic (`topic(2)`), when the message came over MQTT. */
  readonly topicMachineId?: string | undefined;
  /** Current time in epoch ms (the core reads no clock). */
  readonly now: number;
}

/** UTF-8 byte length without allocating, so oversize payloads are refused before JSON.parse. */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

/** Validates an already-parsed JSON value against the schema of `kind`. */
export function validateValue<K extends MessageKind>(
  kind: K,
  value: unknown,
  ctx: ValidationContext,
  owned = false,
): Validation<MessageOf<K>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    return { ok: false, reasons: [`payload must be a JSON object, got ${got}`] };
  }
  let message = (kind === 'telemetry' ? acceptTelemetry(value, owned) : undefined) as
    | MessageOf<K>
    | undefined;
  if (message === undefined) {
    const parsed = messageSchemas[kind].safeParse(value);
    if (!parsed.success) return { ok: false, reasons: describeIssues(parsed.error.issues) };
    message = parsed.data as MessageOf<K>;
  }
  const reasons: string[] = [];
  if (ctx.topicMachineId !== undefined && ctx.topicMachineId !== message.machine_id) {
    reasons.push(
      `machine_id "${message.machine_id}" does not match the topic's machine id "${ctx.topicMachineId.slice(0, 128)}"`,
    );
  }
  if (message.ts > ctx.now + MAX_FUTURE_SKEW_MS) {
    const minutes = Math.round((message.ts - ctx.now) / 60_000);
    reasons.push(`ts is ${minutes} min in the future (limit ${MAX_FUTURE_SKEW_MS / 60_000} min)`);
  }
  return reasons.length > 0 ? { ok: false, reasons } : { ok: true, message };
}

/** Validates a raw payload (the MQTT message body as text). */
export function validatePayload<K extends MessageKind>(
  kind: K,
  payload: unknown,
  ctx: ValidationContext,
): Validation<MessageOf<K>> {
  if (typeof payload !== 'string') return { ok: false, reasons: ['payload must be text'] };
  // A UTF-16 code unit is at most 3 UTF-8 bytes, so short strings skip the byte count.
  if (payload.length * 3 > MAX_PAYLOAD_BYTES) {
    const bytes = utf8ByteLength(payload);
    if (bytes > MAX_PAYLOAD_BYTES) {
      return { ok: false, reasons: [`payload is ${bytes} bytes; the limit is ${MAX_PAYLOAD_BYTES}`] };
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, reasons: [`payload is not valid JSON: ${detail.slice(0, 200)}`] };
  }
  return validateValue(kind, value, ctx, true);
}
