/**
 * `flexotwin generate-history`: one year (by default) of Flexo 104 shift reports as monthly CSV files
 * named like the originals ("Laporan Flexo Oktober 2024.csv"), with the fault labels beside them.
 */
import type { Command } from 'commander';
import { writeHistory } from '../../simulator/csv.js';
import { DEFAULT_HISTORY, generateHistory } from '../../simulator/generator.js';
import { historyMachines } from '../../simulator/history.js';
import { formatStats, machineStats, phaseBanner } from '../../simulator/stats.js';
import { parseDate } from '../../simulator/time.js';
import { describe, wholeNumber } from './simulator-options.js';

interface Options {
  out: string;
  seed: number;
  from: string;
  months: number;
  machines: number;
}

export function register(program: Command): void {
  program
    .command('generate-history')
    .description('generate monthly production reports ("Laporan Flexo <Bulan> <Tahun>.csv") and fault labels')
    .requiredOption('--out <dir>', 'folder to write the CSV files and labels.jsonl into (created if needed)')
    .option(
      '--seed <n>',
      'random seed: the same seed writes byte-identical files',
      wholeNumber(0, 2 ** 32 - 1),
      DEFAULT_HISTORY.seed,
    )
    .option('--from <date>', 'first day, YYYY-MM-DD', DEFAULT_HISTORY.from)
    .option('--months <n>', 'number of months', wholeNumber(1, 120), DEFAULT_HISTORY.months)
    .option('--machines <n>', 'machines C_FL104, C_FL105, …', wholeNumber(1, 1000), DEFAULT_HISTORY.machines)
    .addHelpText(
      'after',
      '\nExample:\n  npx flexotwin generate-history --out /tmp/h --seed 1 --machines 20\n' +
        '\nOne row per machine and 8 h shift (06:00, 14:00, 22:00 UTC); see simulator/README.md for the columns\n' +
        'and the generating process.',
    )
    .action(async (options: Options) => {
      try {
        parseDate(options.from);
        const started = performance.now();
        process.stdout.write(phaseBanner(1, 'HISTORY GENERATION'));
        process.stdout.write(
          `\n[INFO] Generating ${options.months} month(s) from ${options.from} for ${options.machines} machine(s), seed ${options.seed}\n`,
        );
        const history = generateHistory(options);
        const files = await writeHistory(options.out, history);
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        process.stdout.write(
          `[INFO] Wrote ${files.length - 1} CSV file(s), ${history.rows.length} rows, and ${history.labels.length} fault label(s) (labels.jsonl) to ${options.out} in ${seconds} s\n`,
        );
        const reference = historyMachines(history)[0] as string;
        process.stdout.write(`${formatStats(machineStats(history.rows, reference))}\n`);
      } catch (error) {
        console.error(`flexotwin generate-history: ${describe(error)}`);
        process.exitCode = 1;
      }
    });
}
