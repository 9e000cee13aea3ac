/**
 * The local stand-in for the SQS ingest queue and its event source mapping: messages are collected into
 * batches of up to `batchSize`, a message waiting at most `batchWindowMs` before its batch goes (the
 * cloud's batch size and window, lib/config.ts), and handed to a consumer that reports which records
 * failed (`batchItemFailures`). Failed records come back after a visibility timeout; a message received
 * `maxReceiveCount` times without success moves to the dead-letter store, from which `redrive` returns
 * it. Everything is kept in one journal (journal.ts), so that:
 *
 * - a message is acknowledged to its sender (the broker's PUBACK) only once its `send` line is written:
 *   killing the process never loses a message the broker acknowledged;
 * - a batch's `receive` line is written before the consumer sees it: after a crash mid-processing the
 *   same batch (same message ids, same order) is delivered again first, and its receive counted — so
 *   the processor's keys derived from record ids (raw objects) are rewritten, not duplicated, and a
 *   message that crashes the process every time ends in the dead-letter store like any other poison;
 * - `delete` (processed), `dead` (dead-lettered) and `redrive` lines are single appends: a state change
 *   is either wholly in the file or not at all.
 *
 * In memory: every live message with its body (the journal holds nothing that memory does not).
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import { z } from 'zod';
import { Journal, replayJournal } from './journal.js';

const ids = z.array(z.string().min(1));
const recordSchema = z.discriminatedUnion('op', [
  /** A message arrived. */
  z.object({ op: z.literal('send'), id: z.string().min(1), at: z.number(), body: z.string() }),
  /** A batch was handed to the consumer (each member's receive count goes up). */
  z.object({ op: z.literal('receive'), batch: z.string().min(1), ids, at: z.number() }),
  /** Processed: gone. */
  z.object({ op: z.literal('delete'), ids }),
  /** Moved to the dead-letter store. */
  z.object({ op: z.literal('dead'), ids, at: z.number(), reason: z.string() }),
  /** Moved back from the dead-letter store, as new (receive count 0). */
  z.object({ op: z.literal('redrive'), ids, at: z.number() }),
  /** One message as a compaction writes it. */
  z.object({
    op: z.literal('message'),
    id: z.string().min(1),
    at: z.number(),
    body: z.string(),
    receives: z.number().int().nonnegative(),
    first_receive: z.number().optional(),
    batch: z.string().optional(),
    dead: z.object({ at: z.number(), reason: z.string() }).optional(),
  }),
]);

type QueueRecord = z.infer<typeof recordSchema>;

interface Message {
  readonly id: string;
  readonly sentAt: number;
  readonly body: string;
  /** Durable (as written): receives so far, the first one, the batch of the latest. */
  receives: number;
  firstReceiveAt: number | undefined;
  batch: string | undefined;
  dead: { at: number; reason: string } | undefined;
  /** Volatile: where the message is right now. */
  state: 'ready' | 'inflight' | 'delayed' | 'dead';
  readyAt: number;
}

/** A message as the consumer receives it (what an SQS record carries). */
export interface ReceivedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly sentAt: number;
  readonly receiveCount: number;
  readonly firstReceiveAt: number;
}

export interface Batch {
  readonly id: string;
  readonly messages: readonly ReceivedMessage[];
  /** Delivered again after a restart interrupted it. */
  readonly redelivery: boolean;
}

/** The consumer's answer: ids of the records to retry (`batchItemFailures`); a throw fails them all. */
export type Consumer = (batch: Batch) => Promise<{ readonly failed: readonly string[] }>;

export interface DeadLetter {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  readonly receiveCount: number;
  readonly deadAt: number;
  readonly reason: string;
}

export interface QueueStats {
  /** Messages in the queue (ready, in flight or waiting to be retried), not counting dead letters. */
  readonly depth: number;
  readonly ready: number;
  readonly inFlight: number;
  /** Failed, waiting for their visibility timeout. */
  readonly delayed: number;
  readonly deadLetters: number;
  /** Since this queue was opened: */
  readonly sent: number;
  readonly deleted: number;
  readonly receives: number;
  readonly failedReceives: number;
  readonly deadLettered: number;
  readonly batches: number;
}

export interface Recovery {
  /** Messages found in the journal, by where they were. */
  readonly pending: number;
  readonly interruptedBatches: number;
  readonly deadLetters: number;
  /** Unreadable lines skipped (the journal was copied aside first). */
  readonly skippedLines: number;
  readonly copiedTo?: string;
}

export interface IngestQueueOptions {
  /** The journal file. */
  readonly path: string;
  readonly batchSize: number;
  readonly batchWindowMs: number;
  /** How long a failed record stays invisible before it is received again. */
  readonly visibilityTimeoutMs: number;
  /** Receives after which a message that still fails is dead-lettered. */
  readonly maxReceiveCount: number;
  /** Batches processed at once (default 1: batches of one machine never race on its state). */
  readonly concurrency?: number;
  readonly consumer: Consumer;
  readonly onDeadLetter?: (letters: readonly DeadLetter[]) => void;
  /** A consumer that threw (its whole batch is retried). */
  readonly onConsumerError?: (error: Error, batch: Batch) => void;
  /** The journal could not be written: the queue cannot keep its promises any more. */
  readonly onJournalError?: (error: Error) => void;
  readonly clock?: () => number;
  readonly compactAtBytes?: number;
}

/** Replays a journal into its messages (in arrival order). */
function replay(path: string): { messages: Map<string, Message>; skipped: number } {
  const { records, skipped } = replayJournal(path, (value) => {
    const parsed = recordSchema.safeParse(value);
    return parsed.success ? parsed.data : undefined;
  });
  const messages = new Map<string, Message>();
  const each = (list: readonly string[], f: (m: Message) => void) => {
    for (const id of list) {
      const m = messages.get(id);
      if (m !== undefined) f(m);
    }
  };
  for (const r of records) {
    switch (r.op) {
      case 'send':
      case 'message':
        if (messages.has(r.id)) break;
        messages.set(r.id, {
          id: r.id,
          sentAt: r.at,
          body: r.body,
          receives: r.op === 'message' ? r.receives : 0,
          firstReceiveAt: r.op === 'message' ? r.first_receive : undefined,
          batch: r.op === 'message' ? r.batch : undefined,
          dead: r.op === 'message' ? r.dead : undefined,
          state: r.op === 'message' && r.dead !== undefined ? 'dead' : 'ready',
          readyAt: r.at,
        });
        break;
      case 'receive':
        each(r.ids, (m) => {
          m.receives++;
          m.firstReceiveAt ??= r.at;
          m.batch = r.batch;
        });
        break;
      case 'delete':
        for (const id of r.ids) messages.delete(id);
        break;
      case 'dead':
        each(r.ids, (m) => {
          m.dead = { at: r.at, reason: r.reason };
          m.state = 'dead';
        });
        break;
      case 'redrive':
        each(r.ids, (m) => resetForRedrive(m, r.at));
        break;
    }
  }
  return { messages, skipped };
}

function resetForRedrive(m: Message, at: number): void {
  m.dead = undefined;
  m.receives = 0;
  m.firstReceiveAt = undefined;
  m.batch = undefined;
  m.state = 'ready';
  m.readyAt = at;
}

function snapshotRecord(m: Message): QueueRecord {
  return {
    op: 'message',
    id: m.id,
    at: m.sentAt,
    body: m.body,
    receives: m.receives,
    ...(m.firstReceiveAt === undefined ? {} : { first_receive: m.firstReceiveAt }),
    ...(m.batch === undefined ? {} : { batch: m.batch }),
    ...(m.dead === undefined ? {} : { dead: m.dead }),
  };
}

/** Journal bytes a message takes in a snapshot (near enough to decide when to compact). */
const messageBytes = (m: Message) => m.body.length + m.id.length + 120;

export class IngestQueue {
  private readonly messages: Map<string, Message>;
  private journal!: Journal<QueueRecord>;
  /** Ready messages in arrival order (entries whose message moved on are skipped lazily). */
  private readyIds: string[] = [];
  private readyHead = 0;
  private readyCount = 0;
  /** Batches a restart interrupted: delivered again first, as they were. */
  private redeliveries: Message[][] = [];
  private inFlightBatches = 0;
  private inFlightMessages = 0;
  private delayedCount = 0;
  private deadCount = 0;
  private liveBytes = 0;
  private windowTimer: NodeJS.Timeout | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private started = false;
  private closed = false;
  private draining = 0;
  private readonly idleWaiters = new Set<() => void>();
  private readonly clock: () => number;
  private readonly counters = {
    sent: 0,
    deleted: 0,
    receives: 0,
    failedReceives: 0,
    deadLettered: 0,
    batches: 0,
  };
  readonly recovery: Recovery;

  private constructor(
    private readonly options: IngestQueueOptions,
    messages: Map<string, Message>,
    recovery: Recovery,
  ) {
    this.messages = messages;
    this.recovery = recovery;
    this.clock = options.clock ?? Date.now;
    if (!(options.batchSize >= 1)) throw new Error('batchSize must be ≥ 1');
    if (!(options.maxReceiveCount >= 1)) throw new Error('maxReceiveCount must be ≥ 1');
  }

  /** Opens (or creates) the queue at `options.path`, recovering what a previous run left. */
  static async open(options: IngestQueueOptions): Promise<IngestQueue> {
    const { messages, skipped } = replay(options.path);
    let copiedTo: string | undefined;
    if (skipped > 0) {
      // Keep the evidence before the compaction below rewrites the file without those lines.
      copiedTo = `${options.path}.unreadable-${Date.now()}`;
      copyFileSync(options.path, copiedTo);
    }
    const interrupted = new Map<string, Message[]>();
    let pending = 0;
    let dead = 0;
    for (const m of messages.values()) {
      if (m.state === 'dead') {
        dead++;
        continue;
      }
      pending++;
      if (m.batch !== undefined) {
        const list = interrupted.get(m.batch) ?? [];
        list.push(m);
        interrupted.set(m.batch, list);
      }
    }
    const queue = new IngestQueue(options, messages, {
      pending,
      interruptedBatches: interrupted.size,
      deadLetters: dead,
      skippedLines: skipped,
      ...(copiedTo === undefined ? {} : { copiedTo }),
    });
    for (const m of messages.values()) {
      queue.liveBytes += messageBytes(m);
      if (m.state === 'dead') queue.deadCount++;
      else if (m.batch === undefined) queue.pushReady(m, m.readyAt);
    }
    queue.redeliveries = [...interrupted.values()];
    queue.journal = await Journal.create<QueueRecord>(
      options.path,
      [...messages.values()].map(snapshotRecord),
      () => [...queue.messages.values()].map(snapshotRecord),
      () => queue.liveBytes,
      options.compactAtBytes === undefined ? {} : { compactAtBytes: options.compactAtBytes },
    );
    return queue;
  }

  /** Starts handing batches to the consumer. */
  start(): void {
    this.started = true;
    this.pump();
  }

  /** Enqueues a message; resolves with its id once it is durably in the journal. */
  async send(body: string, sentAt: number = this.clock()): Promise<string> {
    if (this.closed) throw new Error('the queue is closed');
    const id = randomUUID();
    await this.journal.append([{ op: 'send', id, at: sentAt, body }], () => {
      const m: Message = {
        id,
        sentAt,
        body,
        receives: 0,
        firstReceiveAt: undefined,
        batch: undefined,
        dead: undefined,
        state: 'ready',
        readyAt: this.clock(),
      };
      this.messages.set(id, m);
      this.liveBytes += messageBytes(m);
      this.counters.sent++;
      this.pushReady(m, m.readyAt);
    });
    this.pump();
    return id;
  }

  stats(): QueueStats {
    return {
      depth: this.messages.size - this.deadCount,
      ready: this.readyCount + this.redeliveries.reduce((n, b) => n + b.length, 0),
      inFlight: this.inFlightMessages,
      delayed: this.delayedCount,
      deadLetters: this.deadCount,
      ...this.counters,
    };
  }

  deadLetters(): DeadLetter[] {
    const out: DeadLetter[] = [];
    for (const m of this.messages.values()) {
      if (m.dead === undefined) continue;
      out.push({
        messageId: m.id,
        body: m.body,
        sentAt: m.sentAt,
        receiveCount: m.receives,
        deadAt: m.dead.at,
        reason: m.dead.reason,
      });
    }
    return out;
  }

  /** Moves dead letters (all, or those named) back to the queue as new messages; returns how many. */
  async redrive(messageIds?: readonly string[]): Promise<number> {
    const wanted = messageIds === undefined ? undefined : new Set(messageIds);
    const chosen = [...this.messages.values()].filter(
      (m) => m.dead !== undefined && (wanted === undefined || wanted.has(m.id)),
    );
    if (chosen.length === 0) return 0;
    const at = this.clock();
    await this.journal.append([{ op: 'redrive', ids: chosen.map((m) => m.id), at }], () => {
      for (const m of chosen) {
        if (m.dead === undefined) continue;
        resetForRedrive(m, at);
        this.deadCount--;
        this.pushReady(m, at);
      }
    });
    this.pump();
    return chosen.length;
  }

  /**
   * Hands every ready message to the consumer now, without waiting for the batch window, and resolves
   * once nothing is ready or in flight (failed records waiting for their visibility timeout stay).
   */
  async drain(): Promise<void> {
    if (!this.started || this.closed) return;
    this.draining++;
    try {
      this.pump();
      while (this.readyTotal() > 0 || this.inFlightBatches > 0) {
        await new Promise<void>((resolve) => this.idleWaiters.add(resolve));
        this.pump();
      }
    } finally {
      this.draining--;
    }
  }

  /** Stops dispatching, waits for the batches in flight, and closes the journal (compacted). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.windowTimer);
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    while (this.inFlightBatches > 0) await new Promise<void>((resolve) => this.idleWaiters.add(resolve));
    await this.journal.compact();
    await this.journal.close();
  }

  /** Bytes in the journal file. */
  journalBytes(): number {
    return this.journal.size();
  }

  private readyTotal(): number {
    return this.readyCount + this.redeliveries.length;
  }

  private pushReady(m: Message, at: number): void {
    m.state = 'ready';
    m.readyAt = at;
    this.readyIds.push(m.id);
    this.readyCount++;
  }

  /** The oldest ready message (skipping entries of messages that moved on). */
  private peekReady(): Message | undefined {
    while (this.readyHead < this.readyIds.length) {
      const m = this.messages.get(this.readyIds[this.readyHead] as string);
      if (m !== undefined && m.state === 'ready') return m;
      this.readyHead++;
    }
    if (this.readyHead > 0) {
      this.readyIds = [];
      this.readyHead = 0;
    }
    return undefined;
  }

  private takeReady(n: number): Message[] {
    const taken: Message[] = [];
    while (taken.length < n) {
      const m = this.peekReady();
      if (m === undefined) break;
      this.readyHead++;
      this.readyCount--;
      taken.push(m);
    }
    if (this.readyHead > 4096 && this.readyHead * 2 > this.readyIds.length) {
      this.readyIds = this.readyIds.slice(this.readyHead);
      this.readyHead = 0;
    }
    return taken;
  }

  private wake(): void {
    for (const w of this.idleWaiters) w();
    this.idleWaiters.clear();
  }

  private pump(): void {
    if (!this.started || this.closed) return;
    const concurrency = this.options.concurrency ?? 1;
    while (this.inFlightBatches < concurrency) {
      const redelivery = this.redeliveries.shift();
      if (redelivery !== undefined) {
        const members = redelivery.filter((m) => m.state === 'ready' && this.messages.get(m.id) === m);
        if (members.length > 0) this.dispatch(members, true);
        continue;
      }
      const oldest = this.peekReady();
      if (oldest === undefined) break;
      const now = this.clock();
      const due = oldest.readyAt + this.options.batchWindowMs;
      if (this.readyCount < this.options.batchSize && now < due && this.draining === 0) {
        clearTimeout(this.windowTimer);
        this.windowTimer = setTimeout(() => this.pump(), due - now);
        return;
      }
      this.dispatch(this.takeReady(this.options.batchSize), false);
    }
    if (this.inFlightBatches === 0 || this.readyTotal() === 0) this.wake();
  }

  private dispatch(members: Message[], redelivery: boolean): void {
    this.inFlightBatches++;
    for (const m of members) m.state = 'inflight';
    this.inFlightMessages += members.length;
    void this.run(members, redelivery)
      .catch((error: unknown) => {
        // Only the journal fails here (the consumer's errors are caught in run): nothing more can be promised.
        this.options.onJournalError?.(error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => {
        this.inFlightBatches--;
        this.inFlightMessages -= members.length;
        this.wake();
        this.pump();
      });
  }

  private async run(members: Message[], redelivery: boolean): Promise<void> {
    const max = this.options.maxReceiveCount;
    // A message already received maxReceiveCount times (its last attempt never finished: the process
    // stopped mid-batch) is not received again.
    const exhausted = members.filter((m) => m.receives >= max);
    if (exhausted.length > 0) {
      await this.deadLetter(
        exhausted,
        `received ${max} times without being processed (the last attempt did not finish: the runtime stopped during it)`,
      );
    }
    const batch = members.filter((m) => m.receives < max);
    if (batch.length === 0) return;
    const batchId = randomUUID();
    const at = this.clock();
    await this.journal.append([{ op: 'receive', batch: batchId, ids: batch.map((m) => m.id), at }], () => {
      for (const m of batch) {
        m.receives++;
        m.firstReceiveAt ??= at;
        m.batch = batchId;
      }
    });
    this.counters.batches++;
    this.counters.receives += batch.length;
    const received: Batch = {
      id: batchId,
      redelivery,
      messages: batch.map((m) => ({
        messageId: m.id,
        receiptHandle: `${m.id}#${m.receives}`,
        body: m.body,
        sentAt: m.sentAt,
        receiveCount: m.receives,
        firstReceiveAt: m.firstReceiveAt ?? at,
      })),
    };
    let failed: Set<string>;
    try {
      const answer = await this.options.consumer(received);
      failed = new Set(answer.failed);
      // As the SQS event source does: an identifier that is not in the batch fails the whole batch.
      const members = new Set(batch.map((m) => m.id));
      if ([...failed].some((id) => !members.has(id))) failed = members;
    } catch (error) {
      this.options.onConsumerError?.(error instanceof Error ? error : new Error(String(error)), received);
      failed = new Set(batch.map((m) => m.id));
    }
    const done = batch.filter((m) => !failed.has(m.id));
    const retry = batch.filter((m) => failed.has(m.id));
    if (done.length > 0) {
      await this.journal.append([{ op: 'delete', ids: done.map((m) => m.id) }], () => {
        for (const m of done) {
          this.messages.delete(m.id);
          this.liveBytes -= messageBytes(m);
        }
        this.counters.deleted += done.length;
      });
    }
    if (retry.length === 0) return;
    this.counters.failedReceives += retry.length;
    const poison = retry.filter((m) => m.receives >= max);
    if (poison.length > 0) {
      await this.deadLetter(
        poison,
        `failed ${max} receives (the processor's errors are in the log); the last one at ${new Date(this.clock()).toISOString()}`,
      );
    }
    const later = retry.filter((m) => m.receives < max);
    if (later.length === 0) return;
    for (const m of later) m.state = 'delayed';
    this.delayedCount += later.length;
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.delayedCount -= later.length;
      const now = this.clock();
      for (const m of later)
        if (this.messages.get(m.id) === m && m.state === 'delayed') this.pushReady(m, now);
      this.pump();
    }, this.options.visibilityTimeoutMs);
    this.retryTimers.add(timer);
  }

  private async deadLetter(members: readonly Message[], reason: string): Promise<void> {
    const at = this.clock();
    await this.journal.append([{ op: 'dead', ids: members.map((m) => m.id), at, reason }], () => {
      for (const m of members) {
        m.dead = { at, reason };
        m.state = 'dead';
      }
      this.deadCount += members.length;
      this.counters.deadLettered += members.length;
    });
    this.options.onDeadLetter?.(
      members.map((m) => ({
        messageId: m.id,
        body: m.body,
        sentAt: m.sentAt,
        receiveCount: m.receives,
        deadAt: at,
        reason,
      })),
    );
  }
}
