/**
 * The dry-run destination: every message as a JSON line {topic, payload}, `payload` being the exact
 * text a broker would have received (so each line can be fed to the core validator as is).
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PublishFn } from './fleet.js';

export interface JsonlSink {
  readonly publish: PublishFn;
  /** Lines written so far. */
  lines(): number;
  close(): Promise<void>;
}

export async function createJsonlSink(path: string): Promise<JsonlSink> {
  await mkdir(dirname(path), { recursive: true });
  const stream = createWriteStream(path);
  await once(stream, 'open');
  let lines = 0;
  let failure: Error | undefined;
  stream.on('error', (error) => {
    failure = error;
  });
  return {
    async publish(topic, payload) {
      if (failure !== undefined) throw failure;
      lines++;
      if (!stream.write(`${JSON.stringify({ topic, payload })}\n`)) await once(stream, 'drain');
    },
    lines: () => lines,
    async close() {
      stream.end();
      await once(stream, 'finish');
      if (failure !== undefined) throw failure;
    },
  };
}
