/**
 * `flexotwin import`: checks a plant's own history before it is replayed — a folder of CSV shift
 * reports (with an optional column mapping) or a .jsonl file of sensor records — prints what it holds,
 * and can write the reports back out in FlexoTwin's own layout.
 */
import type { Command } from 'commander';
import { writeHistory } from '../../simulator/csv.js';
import { describeHistory, loadHistory } from '../../simulator/load-history.js';
import { describe, utcOffset } from './simulator-options.js';

interface Options {
  mapping?: string;
  utcOffset?: number;
  out?: string;
}

export function register(program: Command): void {
  program
    .command('import')
    .description(
      'check a folder of CSV shift reports or a .jsonl file of sensor records, and print its statistics',
    )
    .argument('<path>', 'folder of CSV reports ("Laporan Flexo <Bulan> <Tahun>.csv") or a .jsonl file')
    .option(
      '--mapping <file>',
      'JSON column mapping of the reports (default: mapping.json in the folder, if any)',
    )
    .option(
      '--utc-offset <offset>',
      'zone of .jsonl timestamps that carry none, e.g. +07:00 (default UTC)',
      utcOffset,
    )
    .option('--out <dir>', "write the reports in FlexoTwin's layout (one CSV per month) into this folder")
    .addHelpText(
      'after',
      '\nA malformed row stops the import with the file and line to fix. The mapping format and the columns\n' +
        'are described in simulator/README.md. Replay the result with: npx flexotwin simulate --history <path>',
    )
    .action(async (path: string, options: Options) => {
      try {
        const loaded = await loadHistory(path, {
          ...(options.mapping === undefined ? {} : { mapping: options.mapping }),
          ...(options.utcOffset === undefined ? {} : { utcOffsetMinutes: options.utcOffset }),
        });
        process.stdout.write(`${describeHistory(loaded, path)}\n`);
        if (options.out !== undefined) {
          if (loaded.kind !== 'reports')
            throw new Error('--out rewrites CSV reports; a .jsonl file is replayed as it is');
          const files = await writeHistory(options.out, loaded.history);
          process.stdout.write(
            `[INFO] Wrote ${files.length - 1} CSV file(s) and labels.jsonl to ${options.out}\n`,
          );
        }
      } catch (error) {
        console.error(`flexotwin import: ${describe(error)}`);
        process.exitCode = 1;
      }
    });
}
