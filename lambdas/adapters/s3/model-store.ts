/**
 * Model artifacts in S3 under `models/<version>/model.json`, with `models/latest.json` naming the current
 * version. `put` writes the model before the pointer, so a reader never follows a pointer to nothing.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import type { ModelStore, StoredModel } from '../../core/ports.js';
import { MODEL_VERSION_PATTERN, modelKey, modelPointerKey } from './layout.js';

const pointerSchema = z.object({ version: z.string().regex(MODEL_VERSION_PATTERN) });

/** S3's "no such key" (GetObject), whichever way the SDK surfaces it. */
export function isNoSuchKey(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || status === 404;
}

export class S3ModelStore implements ModelStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  async latest(): Promise<StoredModel | undefined> {
    const pointer = await this.read(modelPointerKey(this.prefix));
    if (pointer === undefined) return undefined;
    const { version } = pointerSchema.parse(JSON.parse(pointer));
    const body = await this.read(modelKey(this.prefix, version));
    if (body === undefined) {
      throw new Error(`${modelPointerKey(this.prefix)} names version ${version}, which has no model`);
    }
    return { version, body };
  }

  async put(model: StoredModel): Promise<void> {
    await this.write(modelKey(this.prefix, model.version), model.body);
    await this.write(modelPointerKey(this.prefix), JSON.stringify({ version: model.version }));
  }

  private async read(key: string): Promise<string | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await out.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      if (isNoSuchKey(error)) return undefined;
      throw error;
    }
  }

  private async write(key: string, body: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' }),
    );
  }
}
