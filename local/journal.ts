/**
 * An append-only journal of JSON records (one per line), the persistence under the local ingest queue.
 *
 * - Appends are group-committed: records appended while a write is in progress go out together in the
 *   next single write(2), and each append resolves once its line is in the file. The file is opened
 *   O_APPEND and written without fsync: a line that was written survives the process being killed
 *   (SIGKILL, a crash), which is the failure this journal is for. It does not claim to survive a power
 *   loss or kernel crash — neither do the emulators' own stores beside it.
 * - Replay tolerates a torn last line (the process died mid-write; that append never resolved, so
 *   nobody was told it was stored) and skips, with a warning, any other unreadable line.
 * - Compaction replaces the file with a snapshot of the live state, atomically: the snapshot is written
 *   to a temporary file, fsynced, renamed over the journal, and the directory fsynced. It runs inside
 *   the writer, between two writes, so the snapshot is exactly the state of every line written so far.
 */
import { closeSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import { type FileHandle, mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface ReplayResult<R> {
  readonly records: R[];
  /** Lines that could not be read (not counting a torn last line). */
  readonly skipped: number;
  /** A torn last line was found (and is dropped by the next compaction). */
  readonly torn: boolean;
  readonly bytes: number;
}

/** Reads every record of a journal file (none if it does not exist). */
export function replayJournal<R>(path: string, parse: (value: unknown) => R | undefined): ReplayResult<R> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { records: [], skipped: 0, torn: false, bytes: 0 };
    throw error;
  }
  const records: R[] = [];
  let skipped = 0;
  let torn = false;
  const lines = text.split('\n');
  // Text after the last newline is a line whose write never completed.
  const last = lines.pop() ?? '';
  if (last.trim() !== '') torn = true;
  for (const line of lines) {
    if (line.trim() === '') continue;
    let record: R | undefined;
    try {
      record = parse(JSON.parse(line));
    } catch {
      record = undefined;
    }
    if (record === undefined) skipped++;
    else records.push(record);
  }
  return { records, skipped, torn, bytes: Buffer.byteLength(text) };
}

/** Writes `lines` as the whole content of `path`, atomically (temporary file, fsync, rename). */
export async function writeAtomically(path: string, lines: Iterable<string>): Promise<number> {
  const temporary = `${path}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w');
  let bytes = 0;
  try {
    let chunk = '';
    for (const line of lines) {
      chunk += `${line}\n`;
      if (chunk.length >= 1 << 20) {
        bytes += Buffer.byteLength(chunk);
        await handle.write(chunk);
        chunk = '';
      }
    }
    if (chunk !== '') {
      bytes += Buffer.byteLength(chunk);
      await handle.write(chunk);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
  syncDirectory(dirname(path));
  return bytes;
}

/** Makes a rename in `dir` durable (a no-op where directories cannot be opened, e.g. Windows). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Best effort: the rename itself is atomic either way.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export interface JournalOptions {
  /** Compact when the file has grown past this many bytes… */
  readonly compactAtBytes?: number;
  /** …and the live state is at most this share of it (default 0.5). */
  readonly compactRatio?: number;
}

interface Pending {
  readonly text: string;
  readonly applied?: () => void;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class Journal<R> {
  /** Undefined while a compaction swaps the file (appends queue meanwhile) and after close(). */
  private handle: FileHandle | undefined;
  private closed = false;
  private pending: Pending[] = [];
  private writing: Promise<void> | undefined;
  private bytes = 0;
  private failed: Error | undefined;
  private compactRequested = false;

  private constructor(
    readonly path: string,
    /** The live state as records: what a compaction writes. */
    private readonly snapshot: () => Iterable<R>,
    /** Estimated bytes of the live state, to decide when a compaction pays. */
    private readonly liveBytes: () => number,
    private readonly options: JournalOptions,
  ) {}

  /**
   * Starts a journal at `path` holding exactly `initial` (written atomically: this also drops whatever
   * a replay skipped). `snapshot` must return the live state consistent with every append so far.
   */
  static async create<R>(
    path: string,
    initial: Iterable<R>,
    snapshot: () => Iterable<R>,
    liveBytes: () => number,
    options: JournalOptions = {},
  ): Promise<Journal<R>> {
    const journal = new Journal(path, snapshot, liveBytes, options);
    await mkdir(dirname(path), { recursive: true });
    journal.bytes = await writeAtomically(
      path,
      mapIterable(initial, (r) => JSON.stringify(r)),
    );
    journal.handle = await open(path, 'a');
    return journal;
  }

  /** Bytes in the file. */
  size(): number {
    return this.bytes;
  }

  /**
   * Appends records as one unit (one write, so either every line lands or, torn, none is read back);
   * `applied` runs once they are written, before the returned promise resolves and before any later
   * compaction snapshots the state.
   */
  append(records: readonly R[], applied?: () => void): Promise<void> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    if (this.closed) return Promise.reject(new Error('the journal is closed'));
    const text = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ text, resolve, reject, ...(applied === undefined ? {} : { applied }) });
      this.writing ??= this.drain();
    });
  }

  /** Waits for every append so far to be written. */
  async settle(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  /** Rewrites the file as the current snapshot, between two writes. */
  async compact(): Promise<void> {
    if (this.closed) throw new Error('the journal is closed');
    this.compactRequested = true;
    this.writing ??= this.drain();
    await this.settle();
  }

  async close(): Promise<void> {
    await this.settle();
    this.closed = true;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0 || this.compactRequested) {
        const group = this.pending;
        this.pending = [];
        try {
          if (this.compactRequested || this.shouldCompact()) {
            this.compactRequested = false;
            await this.rewrite();
          }
          if (group.length === 0) continue;
          if (this.handle === undefined) throw new Error('the journal is closed');
          const text = group.map((p) => p.text).join('');
          await this.handle.write(text);
          this.bytes += Buffer.byteLength(text);
        } catch (error) {
          // A journal that cannot be written cannot promise anything any more: fail this and every later append.
          this.failed = error instanceof Error ? error : new Error(String(error));
          for (const p of [...group, ...this.pending]) p.reject(this.failed);
          this.pending = [];
          return;
        }
        for (const p of group) p.applied?.();
        for (const p of group) p.resolve();
      }
    } finally {
      this.writing = undefined;
    }
  }

  private shouldCompact(): boolean {
    const at = this.options.compactAtBytes ?? 64 * 1024 * 1024;
    return this.bytes >= at && this.liveBytes() <= this.bytes * (this.options.compactRatio ?? 0.5);
  }

  private async rewrite(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    this.bytes = await writeAtomically(
      this.path,
      mapIterable(this.snapshot(), (r) => JSON.stringify(r)),
    );
    this.handle = await open(this.path, 'a');
  }
}

function* mapIterable<T, U>(items: Iterable<T>, f: (item: T) => U): Iterable<U> {
  for (const item of items) yield f(item);
}
