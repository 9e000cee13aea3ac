/**
 * `flexotwin train`: a Random Forest from CSV data (one file, or every *.csv of a folder, concatenated),
 * written as a model artifact and optionally published to the model registry (S3
 * models/<version>/model.json, the API's model). Progress on stderr, a JSON summary on stdout.
 *
 * Without --target, data in the production-report layout (generated or imported history) trains the
 * maintenance-duration model: total_produksi, produk_cacat → durasi_maintenance_jam, on the rows that
 * have a maintenance duration.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { createAwsClients } from '../../lambdas/adapters/aws-clients.js';
import { S3ModelStore } from '../../lambdas/adapters/s3/model-store.js';
import {
  type CsvTable,
  csvDataset,
  type Dataset,
  DatasetError,
  isReportLayout,
  MAINTENANCE_FEATURES,
  MAINTENANCE_TARGET,
  type MaxFeatures,
  parseCsv,
  rowsWithValue,
  trainModel,
} from '../../lambdas/core/forest/index.js';

interface Options {
  data: string;
  target?: string;
  features?: string[];
  trees: number;
  minSamplesLeaf: number;
  maxFeatures: MaxFeatures;
  maxDepth?: number;
  seed: number;
  testFraction: number;
  createdAt?: string;
  out?: string;
  upload: boolean;
  bucket?: string;
  prefix: string;
  progress: boolean;
}

/** The CSV tables of a file, or of every *.csv in a folder (sorted by name). */
export async function readCsvTables(data: string): Promise<CsvTable[]> {
  const info = await stat(data).catch(() => {
    throw new DatasetError(`${data}: no such file or folder`);
  });
  const files = info.isDirectory()
    ? (await readdir(data))
        .filter((f) => f.toLowerCase().endsWith('.csv'))
        .sort()
        .map((f) => path.join(data, f))
    : [data];
  if (files.length === 0) throw new DatasetError(`${data}: no .csv files in this folder`);
  return Promise.all(files.map(async (f) => parseCsv(await readFile(f, 'utf8'), f)));
}

/** The one-line message of an error a user can act on; the stack of anything else. */
export function describe(error: unknown): string {
  if (error instanceof DatasetError || error instanceof RangeError) return error.message;
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}

function wholeNumber(min: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`a whole number ≥ ${min} expected`);
    return n;
  };
}

function fraction(text: string): number {
  const n = Number(text);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError('a number in [0, 1) expected');
  return n;
}

function maxFeatures(text: string): MaxFeatures {
  if (text === 'sqrt' || text === 'all') return text;
  const n = Number(text);
  if (!(n > 0) || (n >= 1 && !Number.isInteger(n)))
    throw new InvalidArgumentError("a fraction in (0, 1), a whole count ≥ 1, 'sqrt' or 'all' expected");
  return n;
}

function names(text: string): string[] {
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length === 0) throw new InvalidArgumentError('at least one column name expected');
  return list;
}

/** Draws `[#####-----] 37/100 trees` on a terminal, a line per 10 % otherwise. */
function progressBar(total: number): (done: number) => void {
  const tty = process.stderr.isTTY === true;
  let shown = -1;
  return (done) => {
    const tenth = Math.floor((10 * done) / total);
    if (!tty && tenth === shown && done !== total) return;
    shown = tenth;
    const width = 30;
    const filled = Math.round((width * done) / total);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} trees`;
    process.stderr.write(tty ? `\r${bar}${done === total ? '\n' : ''}` : `${bar}\n`);
  };
}

interface Selection {
  readonly dataset: Dataset;
  readonly maintenance: boolean;
}

function selectDataset(tables: readonly CsvTable[], options: Options): Selection {
  const first = tables[0] as CsvTable;
  if (options.target !== undefined) {
    try {
      return { dataset: csvDataset(tables, options.target, options.features), maintenance: false };
    } catch (error) {
      if (
        error instanceof DatasetError &&
        options.features === undefined &&
        !error.message.includes(`"${options.target}"`)
      )
        throw new DatasetError(`${error.message} — pass --features to train on the numeric columns only`);
      throw error;
    }
  }
  if (!isReportLayout(first.header))
    throw new DatasetError(
      `${first.file}: --target is required (no ${MAINTENANCE_TARGET} / total_produksi / produk_cacat columns ` +
        'of the production-report layout, for which the maintenance-duration model is the default)',
    );
  const withMaintenance = tables.map((t) => rowsWithValue(t, MAINTENANCE_TARGET));
  const features = options.features ?? [...MAINTENANCE_FEATURES];
  return { dataset: csvDataset(withMaintenance, MAINTENANCE_TARGET, features), maintenance: true };
}

async function publish(body: string, version: string, options: Options): Promise<string> {
  const bucket = options.bucket ?? process.env.MODEL_BUCKET ?? process.env.RAW_BUCKET;
  if (bucket === undefined || bucket === '')
    throw new DatasetError('--upload needs --bucket (or MODEL_BUCKET / RAW_BUCKET in the environment)');
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (region === undefined || region === '')
    throw new DatasetError('--upload needs AWS_REGION in the environment');
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  const clients = createAwsClients({ region, endpoints: { s3: endpoint } });
  await new S3ModelStore(clients.s3, bucket, options.prefix).put({ version, body });
  return `s3://${bucket}/${options.prefix}${version}/model.json`;
}

export function register(program: Command): void {
  const command = program
    .command('train')
    .description('train a Random Forest on CSV data and write (or publish) the model artifact')
    .requiredOption('--data <file|dir>', 'a CSV file with a header row, or a folder of them (concatenated)')
    .option('--target <column>', 'column to predict (default: the maintenance duration, for report data)')
    .option('--features <a,b,...>', 'feature columns (default: every column but the target)', names)
    .option('--trees <n>', 'number of trees', wholeNumber(1), 100)
    .option('--min-samples-leaf <n>', 'fewest training rows in a leaf', wholeNumber(1), 1)
    .addOption(
      new Option('--max-features <x>', "features tried per split: fraction in (0, 1), count, 'sqrt' or 'all'")
        .argParser(maxFeatures)
        .default(0.33, '0.33; all for the maintenance model'),
    )
    .option('--max-depth <n>', 'deepest split level (default: unlimited)', wholeNumber(1))
    .option('--seed <n>', 'random seed: same data and seed give the same model', wholeNumber(0), 0)
    .option('--test-fraction <x>', 'share of rows held out for the metrics', fraction, 0.2)
    .option(
      '--created-at <iso>',
      'creation time recorded in the artifact (default: now; fix it for byte-identical rebuilds)',
    )
    .option('--out <file>', 'where to write the model artifact (JSON)')
    .option(
      '--upload',
      'publish to the model registry: S3 <prefix><version>/model.json and <prefix>latest.json',
      false,
    )
    .option('--bucket <name>', 'registry bucket for --upload (default: $MODEL_BUCKET, else $RAW_BUCKET)')
    .option('--prefix <prefix>', 'registry key prefix for --upload', process.env.MODEL_PREFIX || 'models/')
    .option('--no-progress', 'no progress bar on stderr')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  npx flexotwin train --data /tmp/h --out model.json            # maintenance-duration model from a history folder\n' +
        '  npx flexotwin train --data data.csv --target y --features a,b --trees 200 --min-samples-leaf 5 --out m.json\n' +
        '\n--upload uses AWS_REGION and the default credential chain; AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL point it\n' +
        "at an emulator (the local runtime's s3rver).",
    );
  command.action(async (options: Options) => {
    try {
      if (options.out === undefined && !options.upload)
        throw new DatasetError('give --out <file>, --upload, or both');
      const createdAt = options.createdAt ?? new Date().toISOString();
      if (Number.isNaN(Date.parse(createdAt)))
        throw new DatasetError(`--created-at ${createdAt} is not an ISO date`);
      const tables = await readCsvTables(options.data);
      const { dataset, maintenance } = selectDataset(tables, options);
      const defaultMaxFeatures = command.getOptionValueSource('maxFeatures') === 'default';
      const progress = options.progress ? progressBar(options.trees) : undefined;
      const started = performance.now();
      const model = trainModel(dataset, {
        trees: options.trees,
        minSamplesLeaf: options.minSamplesLeaf,
        maxFeatures: maintenance && defaultMaxFeatures ? 'all' : options.maxFeatures,
        ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
        seed: options.seed,
        testFraction: options.testFraction,
        createdAt,
        ...(progress === undefined ? {} : { onTree: progress }),
      });
      const trainSeconds = (performance.now() - started) / 1000;
      if (options.out !== undefined) await writeFile(options.out, model.body);
      const uploaded = options.upload ? await publish(model.body, model.version, options) : undefined;
      const { summary } = model;
      const report = {
        model: maintenance ? 'maintenance-duration' : 'custom',
        target: summary.target,
        rows: summary.rows,
        train_rows: summary.train_rows,
        test_rows: summary.test_rows,
        features: summary.features,
        trees: summary.trees,
        train_seconds: Math.round(trainSeconds * 1000) / 1000,
        oob_r2: summary.oob_r2 ?? null,
        holdout_r2: summary.holdout_r2 ?? null,
        mae: summary.mae ?? null,
        rmse: summary.rmse ?? null,
        model_bytes: summary.model_bytes,
        version: summary.version,
        date_range: summary.date_range,
        feature_importances: summary.feature_importances,
        ...(options.out === undefined ? {} : { out: options.out }),
        ...(uploaded === undefined ? {} : { uploaded }),
      };
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } catch (error) {
      console.error(`flexotwin train: ${describe(error)}`);
      process.exitCode = 1;
    }
  });
}
