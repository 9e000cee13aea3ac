/**
 * The S3 key layout (DESIGN.md §5), defined once for the adapters, the local runtime, the trainer and
 * the stack's lifecycle rules:
 *
 *   raw/kind=<telemetry|production>/machine_id=<id>/dt=<YYYY-MM-DD>/hour=<HH>/<batch>.jsonl.gz
 *   quarantine/dt=<YYYY-MM-DD>/hour=<HH>/<batch>.jsonl.gz
 *   <model prefix><version>/model.json      and      <model prefix>latest.json  → {"version": ...}
 *
 * Raw partitions are Hive-style so Athena/Glue can query them as they are. `<batch>` is derived from
 * the record ids the object holds, so a retried batch overwrites its own object instead of adding one.
 */
import { createHash } from 'node:crypto';
import type { MessageKind } from '../../core/messages.js';

export const RAW_PREFIX = 'raw/';
export const QUARANTINE_PREFIX = 'quarantine/';
export const DEFAULT_MODEL_PREFIX = 'models/';
export const MODEL_FILE = 'model.json';
export const MODEL_POINTER_FILE = 'latest.json';

/** Model versions become key segments: keep them to characters that need no escaping. */
export const MODEL_VERSION_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `dt=YYYY-MM-DD/hour=HH` of an instant (UTC). */
export function hourPartition(epochMs: number): string {
  const d = new Date(epochMs);
  const dt = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  return `dt=${dt}/hour=${pad2(d.getUTCHours())}`;
}

/** Start of the UTC hour containing `epochMs`. */
export function hourStart(epochMs: number): number {
  return Math.floor(epochMs / 3_600_000) * 3_600_000;
}

/** A stable id for a set of record ids (order-independent): 32 hex characters of SHA-256. */
export function batchIdOf(recordIds: readonly string[]): string {
  const hash = createHash('sha256');
  for (const id of [...recordIds].sort()) hash.update(id).update('\n');
  return hash.digest('hex').slice(0, 32);
}

export function rawBatchKey(batch: {
  readonly kind: MessageKind;
  readonly machine_id: string;
  readonly hour: number;
  readonly batch_id: string;
}): string {
  return `${RAW_PREFIX}kind=${batch.kind}/machine_id=${batch.machine_id}/${hourPartition(batch.hour)}/${batch.batch_id}.jsonl.gz`;
}

export function quarantineKey(batchId: string, receivedAt: number): string {
  return `${QUARANTINE_PREFIX}${hourPartition(receivedAt)}/${batchId}.jsonl.gz`;
}

export function modelKey(prefix: string, version: string): string {
  if (!MODEL_VERSION_PATTERN.test(version)) {
    throw new Error(`model version "${version.slice(0, 80)}" must be 1–64 of [A-Za-z0-9._-]`);
  }
  return `${prefix}${version}/${MODEL_FILE}`;
}

/** The pointer object naming the current model version (written after the model, so it never dangles). */
export function modelPointerKey(prefix: string): string {
  return `${prefix}${MODEL_POINTER_FILE}`;
}
