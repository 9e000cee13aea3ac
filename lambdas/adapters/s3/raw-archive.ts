/**
 * Raw archive and quarantine in S3: one gzip JSONL object per call, at a key derived from the records
 * it holds (layout.ts), so a retry overwrites rather than duplicates. The bucket's default encryption
 * and lifecycle rules apply; nothing here is public.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { QuarantinedMessage, RawArchive, RawBatchObject } from '../../core/ports.js';
import { quarantineKey, rawBatchKey } from './layout.js';

const gzipAsync = promisify(gzip);

/** JSONL as gzip bytes. Node's gzip header carries no timestamp, so equal input gives equal bytes. */
export async function gzipLines(lines: readonly string[]): Promise<Buffer> {
  return gzipAsync(Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`, 'utf8'));
}

export class S3RawArchive implements RawArchive {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async putRawBatch(batch: RawBatchObject): Promise<string> {
    const key = rawBatchKey(batch);
    // A raw line is the payload as received. Only valid JSON is archived here, where a line break is
    // insignificant whitespace, but inside a JSONL file it would split one message in two.
    await this.put(
      key,
      batch.lines.map((line) => line.replace(/[\r\n]+/g, ' ')),
    );
    return key;
  }

  async putQuarantine(
    batchId: string,
    receivedAt: number,
    messages: readonly QuarantinedMessage[],
  ): Promise<string> {
    const key = quarantineKey(batchId, receivedAt);
    await this.put(
      key,
      messages.map((m) => JSON.stringify(m)),
    );
    return key;
  }

  private async put(key: string, lines: readonly string[]): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: await gzipLines(lines),
        ContentType: 'application/gzip',
      }),
    );
  }
}
