import type { QuarantinedMessage, RawArchive, RawBatchObject } from '../../core/ports.js';
import { quarantineKey, rawBatchKey } from '../s3/layout.js';

/** RawArchive in memory, at the S3 store's keys; objects hold their lines (uncompressed). */
export class MemoryRawArchive implements RawArchive {
  readonly objects = new Map<string, readonly string[]>();

  async putRawBatch(batch: RawBatchObject): Promise<string> {
    const key = rawBatchKey(batch);
    this.objects.set(key, [...batch.lines]);
    return key;
  }

  async putQuarantine(
    batchId: string,
    receivedAt: number,
    messages: readonly QuarantinedMessage[],
  ): Promise<string> {
    const key = quarantineKey(batchId, receivedAt);
    this.objects.set(
      key,
      messages.map((m) => JSON.stringify(m)),
    );
    return key;
  }
}
