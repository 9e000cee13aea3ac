/**
 * The local runtime's ingest queue (local/queue.ts) on a real journal file: batching by size and window,
 * partial batch failures and visibility-timeout retries with receive counts, the dead-letter store and
 * redrive, and recovery — after an in-process "crash", after a real SIGKILL mid-batch (the same batch
 * comes back first, nothing acknowledged is lost), and from a torn or damaged journal; and the journal
 * taking appends while a compaction rewrites it.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal, replayJournal } from '../../local/journal.js';
import { type Batch, type Consumer, IngestQueue, type IngestQueueOptions } from '../../local/queue.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flexotwin-queue-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const journalPath = () => join(dir, `q${++n}`, 'ingest.jsonl');

function open(path: string, consumer: Consumer, options: Partial<IngestQueueOptions> = {}) {
  return IngestQueue.open({
    path,
    batchSize: 10,
    batchWindowMs: 50,
    visibilityTimeoutMs: 50,
    maxReceiveCount: 5,
    consumer,
    ...options,
  });
}

/** A consumer that records batches and fails what `fail` says. */
function recorder(fail: (batch: Batch) => readonly string[] = () => []) {
  const batches: Batch[] = [];
  const consumer: Consumer = async (batch) => {
    batches.push(batch);
    return { failed: fail(batch) };
  };
  return { batches, consumer };
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('local ingest queue', () => {
  it('batches by size at once and by window for the rest', async () => {
    const { batches, consumer } = recorder();
    const q = await open(journalPath(), consumer, { batchSize: 3, batchWindowMs: 300 });
    q.start();
    const started = Date.now();
    for (let i = 0; i < 7; i++) await q.send(`m${i}`);
    await until(() => batches.length === 2);
    expect(Date.now() - started).toBeLessThan(250);
    await until(() => batches.length === 3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(batches.map((b) => b.messages.map((m) => m.body))).toEqual([
      ['m0', 'm1', 'm2'],
      ['m3', 'm4', 'm5'],
      ['m6'],
    ]);
    expect(batches.flatMap((b) => b.messages.map((m) => m.receiveCount))).toEqual(Array(7).fill(1));
    await until(() => q.stats().deleted === 7);
    expect(q.stats()).toMatchObject({ depth: 0, inFlight: 0, sent: 7, batches: 3 });
    await q.close();
  });

  it('retries only the failed records, after the visibility timeout, counting receives', async () => {
    let first = true;
    const { batches, consumer } = recorder((b) => {
      if (!first) return [];
      first = false;
      return [b.messages[1]?.messageId as string];
    });
    const q = await open(journalPath(), consumer, { visibilityTimeoutMs: 150 });
    q.start();
    for (const body of ['a', 'b', 'c']) await q.send(body);
    await until(() => batches.length === 1);
    await until(() => q.stats().delayed === 1);
    expect(q.stats()).toMatchObject({ depth: 1, deleted: 2, failedReceives: 1 });
    await until(() => batches.length === 2);
    const retry = batches[1]?.messages ?? [];
    expect(retry.map((m) => [m.body, m.receiveCount])).toEqual([['b', 2]]);
    expect(retry[0]?.messageId).toBe(batches[0]?.messages[1]?.messageId);
    expect(retry[0]?.receiptHandle).not.toBe(batches[0]?.messages[1]?.receiptHandle);
    await until(() => q.stats().depth === 0);
    await q.close();
  });

  it('fails the whole batch when the consumer throws or names a record it was not given', async () => {
    let calls = 0;
    const q = await open(journalPath(), async () => {
      calls++;
      if (calls === 1) throw new Error('boom');
      if (calls === 2) return { failed: ['not-in-this-batch'] };
      return { failed: [] };
    });
    q.start();
    await q.send('x');
    await q.send('y');
    await until(() => calls === 3 && q.stats().depth === 0);
    expect(q.stats()).toMatchObject({ receives: 6, failedReceives: 4, deleted: 2 });
    await q.close();
  });

  it('dead-letters a message after maxReceiveCount failed receives, keeps it across restarts, and redrives it', async () => {
    const path = journalPath();
    let healthy = false;
    const dead: string[] = [];
    const { batches, consumer } = recorder((b) =>
      healthy ? [] : b.messages.filter((m) => m.body === 'poison').map((m) => m.messageId),
    );
    const q = await open(path, consumer, {
      maxReceiveCount: 3,
      onDeadLetter: (letters) => dead.push(...letters.map((l) => l.body)),
    });
    q.start();
    await q.send('ok');
    const poison = await q.send('poison');
    await until(() => dead.length === 1);
    expect(dead).toEqual(['poison']);
    const receives = batches.flatMap((b) =>
      b.messages.filter((m) => m.body === 'poison').map((m) => m.receiveCount),
    );
    expect(receives).toEqual([1, 2, 3]);
    expect(q.stats()).toMatchObject({ depth: 0, deadLetters: 1, deadLettered: 1 });
    expect(q.deadLetters()).toMatchObject([{ messageId: poison, body: 'poison', receiveCount: 3 }]);
    expect(q.deadLetters()[0]?.reason).toMatch(/failed 3 receives/);
    await q.close();

    const reopened = await open(path, consumer, { maxReceiveCount: 3 });
    expect(reopened.recovery).toMatchObject({ pending: 0, deadLetters: 1 });
    expect(reopened.deadLetters().map((l) => l.messageId)).toEqual([poison]);
    healthy = true;
    reopened.start();
    expect(await reopened.redrive()).toBe(1);
    await until(() => reopened.stats().deleted === 1);
    const last = batches.at(-1)?.messages[0];
    expect([last?.messageId, last?.body, last?.receiveCount]).toEqual([poison, 'poison', 1]);
    expect(reopened.stats()).toMatchObject({ depth: 0, deadLetters: 0 });
    await reopened.close();
  });

  it('delivers a batch interrupted by a crash again first, as it was, and dead-letters one that crashed every time', async () => {
    const path = journalPath();
    const hang: Consumer = () => new Promise(() => {});
    // Run 1 "crashes" while its batch is in the consumer (the queue is abandoned, not closed).
    const { batches: seen1, consumer: c1 } = recorder();
    const first = await open(
      path,
      async (b) => {
        await c1(b);
        return hang(b);
      },
      { batchSize: 2, batchWindowMs: 60_000, maxReceiveCount: 2 },
    );
    first.start();
    const ids = [await first.send('a'), await first.send('b'), await first.send('c')];
    await until(() => seen1.length === 1);
    expect(seen1[0]?.messages.map((m) => m.messageId)).toEqual(ids.slice(0, 2));

    // Run 2: the same batch first (receive 2), then "c" beside it (two at once); the first crashes again.
    const { batches: seen2, consumer: c2 } = recorder();
    const second = await open(
      path,
      async (b) => {
        await c2(b);
        return b.redelivery ? hang(b) : { failed: [] };
      },
      { batchSize: 2, batchWindowMs: 0, maxReceiveCount: 2, concurrency: 2 },
    );
    expect(second.recovery).toMatchObject({ pending: 3, interruptedBatches: 1 });
    second.start();
    await until(() => seen2.length === 2);
    expect(seen2[0]).toMatchObject({ redelivery: true });
    expect(seen2[0]?.messages.map((m) => [m.messageId, m.receiveCount])).toEqual([
      [ids[0], 2],
      [ids[1], 2],
    ]);
    expect(seen2[1]?.messages.map((m) => m.body)).toEqual(['c']);
    await until(() => second.stats().deleted === 1);

    // Run 3: received twice without finishing → the dead-letter store, not a third receive.
    const { batches: seen3, consumer: c3 } = recorder();
    const third = await open(path, c3, { maxReceiveCount: 2 });
    third.start();
    await until(() => third.stats().deadLetters === 2);
    expect(seen3).toEqual([]);
    expect(third.deadLetters()[0]?.reason).toMatch(/did not finish/);
    await third.close();
  });

  it('loses nothing it acknowledged when the process is SIGKILLed mid-batch', async () => {
    const path = journalPath();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures/queue-crash-child.ts'), path, '7', '5'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    try {
      await until(() => out.includes('RECEIVED') && out.includes('SENT'), 30_000);
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`child did not get there: ${out} ${err} ${String(error)}`);
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const sent = JSON.parse(/SENT (.*)/.exec(out)?.[1] ?? '[]') as string[];
    const received = JSON.parse(/RECEIVED (.*)/.exec(out)?.[1] ?? '[]') as string[];
    expect(sent).toHaveLength(7);
    expect(received).toEqual(sent.slice(0, 5));

    const { batches, consumer } = recorder();
    const q = await open(path, consumer, { batchSize: 5, batchWindowMs: 0 });
    expect(q.recovery).toMatchObject({ pending: 7, interruptedBatches: 1, skippedLines: 0 });
    q.start();
    await until(() => q.stats().deleted === 7);
    expect(batches[0]?.messages.map((m) => [m.messageId, m.receiveCount])).toEqual(
      received.map((id) => [id, 2]),
    );
    expect(batches.flatMap((b) => b.messages.map((m) => m.messageId)).sort()).toEqual([...sent].sort());
    expect(batches.slice(1).flatMap((b) => b.messages.map((m) => m.body))).toEqual(['{"n":5}', '{"n":6}']);
    await q.close();
  }, 40_000);

  it('reads past a torn last line, and keeps a copy of a journal with a damaged line', async () => {
    const path = journalPath();
    const q = await open(path, async () => ({ failed: [] }));
    await q.send('kept');
    await q.close();
    appendFileSync(path, '{"op":"send","id":"torn","at":1,"bo');
    const torn = await open(path, async () => ({ failed: [] }));
    expect(torn.recovery).toMatchObject({ pending: 1, skippedLines: 0 });
    await torn.send('after');
    await torn.close();
    appendFileSync(path, 'not json at all\n{"op":"delete","ids":[]}\n');
    const damaged = await open(path, async () => ({ failed: [] }));
    expect(damaged.recovery).toMatchObject({ pending: 2, skippedLines: 1 });
    expect(damaged.recovery.copiedTo !== undefined && existsSync(damaged.recovery.copiedTo)).toBe(true);
    await damaged.close();
  });

  it('compacts the journal as it grows, keeping only live messages', async () => {
    const path = journalPath();
    const q = await open(path, async () => ({ failed: [] }), { batchWindowMs: 0, compactAtBytes: 20_000 });
    q.start();
    const body = 'x'.repeat(500);
    for (let i = 0; i < 200; i++) await q.send(body);
    await until(() => q.stats().deleted === 200);
    expect(q.journalBytes()).toBeLessThan(25_000);
    await q.close();
    expect(statSync(path).size).toBeLessThan(1_000);
    const reopened = await open(path, async () => ({ failed: [] }));
    expect(reopened.recovery).toMatchObject({ pending: 0, deadLetters: 0 });
    await reopened.close();
  });

  it('takes appends that arrive while a compaction is rewriting the file, and loses none of them', async () => {
    const path = journalPath();
    const live: string[] = [];
    // Compacts before every write once anything is in the file: each append races a rewrite.
    const journal = await Journal.create<string>(
      path,
      [],
      () => live,
      () => 0,
      {
        compactAtBytes: 1,
        compactRatio: 1,
      },
    );
    await journal.append(['first'], () => live.push('first'));
    const appends: Promise<string>[] = [];
    for (let i = 0; i < 50; i++) {
      const record = `r${i}`;
      appends.push(
        journal
          .append([record], () => live.push(record))
          .then(
            () => 'written',
            (error: Error) => error.message,
          ),
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(new Set(await Promise.all(appends))).toEqual(new Set(['written']));
    await journal.close();
    await expect(journal.append(['late'])).rejects.toThrow('the journal is closed');
    expect(replayJournal(path, (v) => (typeof v === 'string' ? v : undefined)).records).toEqual(live);
  });
});
