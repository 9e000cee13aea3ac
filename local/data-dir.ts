/**
 * The local runtime's data directory (default `.flexotwin/` in the current directory, gitignored):
 *
 *   s3/                 s3rver's buckets (raw archive, quarantine, models)
 *   dynamodb/           dynalite's tables (components, alarms, machine state, time series)
 *   queue/ingest.jsonl  the ingest queue and its dead letters (journal, see queue.ts)
 *   logs/               the functions' JSON logs and EMF metrics
 *   runtime.lock        who uses the directory right now
 *
 * One process at a time: the emulators' files and the queue journal must not have two writers. The
 * lock is a file created exclusively holding the owner's pid; a lock left by a process that no longer
 * exists (killed) is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const DEFAULT_DATA_DIR = '.flexotwin';

export interface DataDirLayout {
  readonly root: string;
  readonly queueJournal: string;
  readonly logs: string;
  readonly lock: string;
}

export function dataDirLayout(dataDir: string): DataDirLayout {
  const root = resolve(dataDir);
  return {
    root,
    queueJournal: join(root, 'queue', 'ingest.jsonl'),
    logs: join(root, 'logs'),
    lock: join(root, 'runtime.lock'),
  };
}

export interface LockInfo {
  readonly pid: number;
  /** What holds it: "flexotwin local", "flexotwin redrive". */
  readonly holder: string;
  readonly since: string;
  /** URLs of the running runtime, once known. */
  readonly api?: string;
  readonly mqtt?: string;
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockInfo,
  ) {
    super(
      `${dataDir} is in use by ${owner.holder} (pid ${owner.pid}${owner.api === undefined ? '' : `, API ${owner.api}`}, since ${owner.since}). ` +
        'Stop it first (Ctrl-C in its terminal), or give this one another --data-dir.',
    );
    this.name = 'DataDirInUseError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // Where /proc tells, a pid reused by something other than Node.js is not the owner.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return true;
  }
}

/** The lock's owner if a live process holds it. */
export function lockOwner(dataDir: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(dataDirLayout(dataDir).lock, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' && alive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

export interface DataDirLock {
  /** Records the runtime's URLs in the lock (what `flexotwin redrive` shows when it is refused). */
  update(details: Pick<LockInfo, 'api' | 'mqtt'>): void;
  release(): void;
}

/** Takes the data directory for this process, creating it; throws DataDirInUseError if it is taken. */
export function acquireDataDir(dataDir: string, holder: string): DataDirLock {
  const layout = dataDirLayout(dataDir);
  mkdirSync(layout.root, { recursive: true });
  let info: LockInfo = { pid: process.pid, holder, since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(layout.lock, 'wx');
      try {
        writeFileSync(fd, JSON.stringify(info));
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const owner = lockOwner(dataDir);
      if (owner !== undefined) throw new DataDirInUseError(layout.root, owner);
      // Left behind by a process that is gone.
      rmSync(layout.lock, { force: true });
    }
  }
  let released = false;
  return {
    update(details) {
      if (released) return;
      info = { ...info, ...details };
      writeFileSync(layout.lock, JSON.stringify(info));
    },
    release() {
      if (released) return;
      released = true;
      rmSync(layout.lock, { force: true });
    },
  };
}
