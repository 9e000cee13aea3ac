/**
 * `flexotwin predict`: one prediction per CSV row with a trained model artifact. The data needs the
 * model's feature columns by name (any order; other columns are ignored).
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CompiledForest, numericColumns, parseArtifact } from '../../lambdas/core/forest/index.js';
import { describe, readCsvTables } from './train.js';

interface Options {
  model: string;
  data: string;
  out?: string;
}

export function register(program: Command): void {
  program
    .command('predict')
    .description('predict every row of CSV data with a model written by `flexotwin train`')
    .requiredOption('--model <file>', 'the model artifact (model.json)')
    .requiredOption('--data <file|dir>', 'a CSV file with a header row, or a folder of them (concatenated)')
    .option('--out <file>', 'write the predictions here as CSV (default: stdout)')
    .addHelpText(
      'after',
      '\nExample:\n  npx flexotwin predict --model model.json --data "Laporan Flexo Oktober 2025.csv" --out preds.csv\n' +
        '\nOutput: a CSV with one column, "prediction", one line per data row, in data order.',
    )
    .action(async (options: Options) => {
      try {
        const { model } = parseArtifact(await readFile(options.model, 'utf8'));
        const forest = new CompiledForest(model);
        const tables = await readCsvTables(options.data);
        const predictions = forest.predict(numericColumns(tables, model.features));
        const csv = `prediction\n${Array.from(predictions, (p) => `${p}\n`).join('')}`;
        if (options.out === undefined) process.stdout.write(csv);
        else {
          await writeFile(options.out, csv);
          console.error(`wrote ${predictions.length} predictions to ${options.out}`);
        }
      } catch (error) {
        console.error(`flexotwin predict: ${describe(error)}`);
        process.exitCode = 1;
      }
    });
}
