/**
 * `flexotwin redrive`: moves the local runtime's dead letters (messages the processor failed
 * MAX_RECEIVE_COUNT times) back to its ingest queue, as new messages — the local counterpart of an SQS
 * dead-letter queue redrive. Works on the data directory while the runtime is stopped; the messages are
 * processed at its next start. While it runs, the data directory is locked and this command refuses
 * (the runtime owns the queue); stop it first. `--list` only shows the dead letters.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { acquireDataDir, DataDirInUseError, DEFAULT_DATA_DIR, dataDirLayout } from '../../local/data-dir.js';
import { type DeadLetter, IngestQueue } from '../../local/queue.js';
import { MAX_RECEIVE_COUNT } from '../../local/runtime.js';
import { describe } from './simulator-options.js';

interface Options {
  dataDir: string;
  list?: boolean;
  id?: string[];
}

/** What a dead letter carried: the topic and machine from the ingest rule's projection. */
function origin(letter: DeadLetter): string {
  try {
    const body = JSON.parse(letter.body) as { topic?: unknown };
    return typeof body.topic === 'string' ? body.topic : '(no topic)';
  } catch {
    return '(unreadable body)';
  }
}

export function register(program: Command): void {
  program
    .command('redrive')
    .description("move the local runtime's dead letters back to its ingest queue (runtime stopped)")
    .option('--data-dir <dir>', 'the local runtime’s data directory', DEFAULT_DATA_DIR)
    .option('--list', 'only list the dead letters')
    .option('--id <messageId...>', 'only these messages (default: every dead letter)')
    .addHelpText(
      'after',
      `
The local runtime (npx flexotwin local) moves a message to its dead-letter store after the processor
failed it ${MAX_RECEIVE_COUNT} times (the stack's SQS maxReceiveCount). Fix the cause (see <data-dir>/logs/flexotwin.log),
then redrive: the messages go back to the queue with a fresh receive count and are processed when the
runtime starts. The command refuses while the runtime runs (it owns the queue): stop it with Ctrl-C.`,
    )
    .action(async (options: Options) => {
      try {
        process.exitCode = await redrive(options);
      } catch (error) {
        console.error(`flexotwin redrive: ${describe(error)}`);
        process.exitCode = 1;
      }
    });
}

async function redrive(options: Options): Promise<number> {
  const layout = dataDirLayout(options.dataDir);
  if (!existsSync(layout.queueJournal)) {
    console.error(`flexotwin redrive: no local runtime queue in ${layout.root} (is --data-dir right?)`);
    return 1;
  }
  let lock: ReturnType<typeof acquireDataDir>;
  try {
    lock = acquireDataDir(layout.root, 'flexotwin redrive');
  } catch (error) {
    if (error instanceof DataDirInUseError) {
      console.error(
        `flexotwin redrive: the local runtime is running on ${layout.root} (pid ${error.owner.pid}${error.owner.api === undefined ? '' : `, ${error.owner.api}`}) and owns its queue. ` +
          'Stop it (Ctrl-C), run `npx flexotwin redrive` again, then start it: the redriven messages are processed first thing.',
      );
      return 1;
    }
    throw error;
  }
  try {
    const queue = await IngestQueue.open({
      path: layout.queueJournal,
      // Never started: nothing is dispatched, the values only describe the queue.
      batchSize: 1,
      batchWindowMs: 0,
      visibilityTimeoutMs: 0,
      maxReceiveCount: 1,
      consumer: () => Promise.reject(new Error('not consuming')),
    });
    try {
      const letters = queue.deadLetters();
      const wanted =
        options.id === undefined ? letters : letters.filter((l) => options.id?.includes(l.messageId));
      const unknown = (options.id ?? []).filter((id) => !letters.some((l) => l.messageId === id));
      if (unknown.length > 0) console.error(`flexotwin redrive: no dead letter ${unknown.join(', ')}`);
      if (options.list === true || wanted.length === 0) {
        console.log(`${letters.length} dead letter(s) in ${layout.queueJournal}`);
        for (const l of wanted) {
          console.log(
            `  ${l.messageId}  ${origin(l)}  received ${l.receiveCount}×  dead since ${new Date(l.deadAt).toISOString()}  ${l.reason}`,
          );
        }
        return unknown.length > 0 ? 1 : 0;
      }
      const moved = await queue.redrive(wanted.map((l) => l.messageId));
      console.log(
        `Moved ${moved} dead letter(s) back to the ingest queue (${queue.stats().depth} message(s) queued); the local runtime processes them when it starts.`,
      );
      return unknown.length > 0 ? 1 : 0;
    } finally {
      await queue.close();
    }
  } finally {
    lock.release();
  }
}
