/**
 * Opaque continuation tokens: base64url of a small JSON value, checked against a schema on the way back
 * in, so a tampered or foreign token is a 400 (InvalidCursorError), never a crash or a broken query.
 */
import type { z } from 'zod';
import { InvalidCursorError } from '../core/ports.js';

const MAX_CURSOR_LENGTH = 2048;

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursorError();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidCursorError();
  return parsed.data;
}
