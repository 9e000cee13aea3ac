/**
 * The maintenance forest against scikit-learn, side by side in one run on the same CSV files and the
 * same settings (100 trees, min_samples_leaf 5, max_features 0.33, one thread): training time, held-out
 * RMSE, model bytes (our artifact vs scikit-learn's pickle) and single-row predict latency.
 *
 * Data: the project's history generator, 20 machines × 13 months of shift reports (~23,700 rows). The
 * regression target is `produk_cacat` (defective pieces of a shift) from the production minutes, the
 * production count, availability and performance, the shift and the ten motor-sensor aggregates
 * (17 features). quality_rate is left out because it is (total − defects)/total — it would leak the
 * target — and durasi_maintenance_jam / jenis_maintenance are empty on most rows. Every row counts.
 *
 * Training time is judged on process CPU time (both sides single-threaded), because the machine is
 * shared and wall time depends on what else runs; wall time is shown beside it. Ours is timed after a
 * JIT warm-up on a slice (scikit-learn's Cython is compiled ahead of time).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CompiledForest,
  csvDataset,
  type Dataset,
  loadPredictor,
  parseCsv,
  r2Score,
  rootMeanSquaredError,
  serializeArtifact,
  trainForest,
  trainTestSplit,
} from '../../lambdas/core/forest/index.js';
import { generateHistory, SENSOR_AGGREGATE_COLUMNS, writeHistory } from '../../simulator/index.js';
import { type Figure, median, type Section } from '../report.js';

const PYTHON = '/usr/bin/python3';
const SKLEARN_SCRIPT = fileURLToPath(new URL('../sklearn_forest.py', import.meta.url));
const TARGET = 'produk_cacat';
const FEATURES = [
  'shift',
  'planned_minutes',
  'run_minutes',
  'downtime_minutes',
  'total_produksi',
  'availability_rate',
  'performance_rate',
  ...SENSOR_AGGREGATE_COLUMNS,
];
const MIN_SAMPLES_LEAF = 5;
const MAX_FEATURES = 0.33;
const SEED = 0;
const TEST_FRACTION = 0.2;
const PREDICT_CALLS = 20_000;

interface SklearnResult {
  readonly sklearn_version: string;
  readonly fit_seconds: number;
  readonly fit_cpu_seconds: number;
  readonly rmse: number;
  readonly pickle_bytes: number;
  readonly predict_row_us: number;
  readonly nodes: number;
}

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

/** Why scikit-learn cannot run here, or undefined when it can. */
async function sklearnMissing(): Promise<string | undefined> {
  if (!existsSync(PYTHON)) return `${PYTHON} not found (Debian: apt-get install python3-sklearn)`;
  try {
    await run(PYTHON, ['-c', 'import sklearn']);
    return undefined;
  } catch {
    return `scikit-learn is not importable by ${PYTHON} (Debian: apt-get install python3-sklearn)`;
  }
}

function subset(dataset: Dataset, rows: Int32Array): { columns: Float64Array[]; y: Float64Array } {
  return {
    columns: dataset.columns.map((c) => Float64Array.from(rows, (r) => c[r] as number)),
    y: Float64Array.from(rows, (r) => dataset.y[r] as number),
  };
}

function toCsv(names: readonly string[], columns: readonly Float64Array[]): string {
  const rows = columns[0]?.length ?? 0;
  const lines = [names.join(',')];
  for (let r = 0; r < rows; r++) lines.push(columns.map((c) => c[r]).join(','));
  return `${lines.join('\n')}\n`;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function ratioFigure(name: string, value: number, limit: number, target: string): Figure {
  return { name, value: round3(value), unit: '×', target, pass: value <= limit };
}

export const mlSection: Section = {
  name: 'ml',
  title: 'ML: Random Forest regression vs scikit-learn (same CSV, same settings, one thread)',
  async run({ quick, log }) {
    const machines = quick ? 4 : 20;
    const trees = quick ? 20 : 100;
    const dir = await mkdtemp(join(os.tmpdir(), 'flexotwin-bench-ml-'));
    try {
      log(`generating the history of ${machines} machines × 13 months…`);
      const history = generateHistory({ from: '2024-10-01', months: 13, machines, seed: 1 });
      const reports = join(dir, 'reports');
      await writeHistory(reports, history);
      const files = (await readdir(reports)).filter((f) => f.endsWith('.csv')).sort();
      const tables = await Promise.all(
        files.map(async (f) => parseCsv(await readFile(join(reports, f), 'utf8'), f)),
      );
      const all = csvDataset(tables, TARGET, FEATURES);
      const split = trainTestSplit(all.y.length, TEST_FRACTION, SEED);
      const train = subset(all, split.train);
      const test = subset(all, split.test);
      const trainCsv = join(dir, 'train.csv');
      const testCsv = join(dir, 'test.csv');
      await writeFile(trainCsv, toCsv([...FEATURES, TARGET], [...train.columns, train.y]));
      await writeFile(testCsv, toCsv([...FEATURES, TARGET], [...test.columns, test.y]));

      // Ours, from the same train.csv / test.csv scikit-learn reads.
      const ours = csvDataset([parseCsv(await readFile(trainCsv, 'utf8'), 'train.csv')], TARGET, FEATURES);
      const held = csvDataset([parseCsv(await readFile(testCsv, 'utf8'), 'test.csv')], TARGET, FEATURES);
      // Warm the JIT up on a slice (scikit-learn's Cython is compiled ahead of time), as the core section does.
      const warm = Math.min(5000, ours.y.length);
      trainForest(
        {
          features: FEATURES,
          columns: ours.columns.map((c) => c.subarray(0, warm)),
          target: ours.y.subarray(0, warm),
        },
        { trees: 10, minSamplesLeaf: MIN_SAMPLES_LEAF, maxFeatures: MAX_FEATURES, seed: SEED + 1 },
      );
      log(`training ours: ${trees} trees on ${ours.y.length} rows × ${FEATURES.length} features…`);
      const wall0 = performance.now();
      const cpu0 = process.cpuUsage();
      const trained = trainForest(
        { features: FEATURES, columns: ours.columns, target: ours.y },
        { trees, minSamplesLeaf: MIN_SAMPLES_LEAF, maxFeatures: MAX_FEATURES, seed: SEED },
      );
      const cpu = process.cpuUsage(cpu0);
      const ourWall = (performance.now() - wall0) / 1000;
      const ourCpu = (cpu.user + cpu.system) / 1e6;
      const forest = new CompiledForest(trained.model);
      const predicted = forest.predict(held.columns);
      const ourRmse = rootMeanSquaredError(held.y, predicted);
      const body = serializeArtifact({
        model: trained.model,
        info: {
          target: TARGET,
          created_at: '2025-11-01T00:00:00.000Z',
          hyperparameters: trained.hyperparameters,
          training: {
            rows: all.y.length,
            train_rows: ours.y.length,
            test_rows: held.y.length,
            date_range: all.dateRange,
            oob_score: trained.oobScore,
            holdout: null,
            feature_importances: {},
          },
        },
      });
      const ourBytes = Buffer.byteLength(body);
      // First load in this process (cold code, as in a fresh Lambda), with the registry's version name.
      const loadStart = performance.now();
      const predictor = loadPredictor(body, 'bench');
      const loadMs = performance.now() - loadStart;
      const records = Array.from({ length: 1000 }, (_, r) =>
        Object.fromEntries(
          FEATURES.map((f, i) => [f, (held.columns[i] as Float64Array)[r % held.y.length] as number]),
        ),
      );
      let sink = 0;
      for (let i = 0; i < 2000; i++)
        sink += predictor.predict(records[i % records.length] as Record<string, number>);
      const latencies = new Float64Array(PREDICT_CALLS);
      for (let i = 0; i < PREDICT_CALLS; i++) {
        const record = records[i % records.length] as Record<string, number>;
        const t = performance.now();
        sink += predictor.predict(record);
        latencies[i] = performance.now() - t;
      }
      const ourPredictUs = median(Array.from(latencies)) * 1000;
      log(
        `ours: ${ourWall.toFixed(2)} s wall, ${ourCpu.toFixed(2)} s CPU, RMSE ${ourRmse.toFixed(4)}, ` +
          `${ourBytes} bytes, ${ourPredictUs.toFixed(1)} µs/row (checksum ${Math.round(sink)})`,
      );

      const setup = {
        data: `generateHistory(${machines} machines, 13 months, seed 1)`,
        target: TARGET,
        features: FEATURES.length,
        rows: all.y.length,
        train_rows: ours.y.length,
        test_rows: held.y.length,
        trees,
        min_samples_leaf: MIN_SAMPLES_LEAF,
        max_features: MAX_FEATURES,
        seed: SEED,
        nodes: forest.nodes,
      };
      const figures: Figure[] = [
        { name: 'ours: train (wall)', value: ourWall, unit: 's' },
        { name: 'ours: train (CPU)', value: ourCpu, unit: 's' },
        { name: 'ours: held-out RMSE', value: ourRmse, unit: '' },
        { name: 'ours: held-out R²', value: r2Score(held.y, predicted), unit: '' },
        { name: 'ours: OOB R²', value: trained.oobScore ?? Number.NaN, unit: '' },
        { name: 'ours: artifact', value: ourBytes / 1e6, unit: 'MB' },
        { name: 'ours: artifact load (first, cold)', value: loadMs, unit: 'ms' },
        {
          name: 'ours: single-row predict (median)',
          value: ourPredictUs,
          unit: 'µs',
          target: '≤ 50 µs',
          pass: ourPredictUs <= 50,
        },
      ];

      const missing = await sklearnMissing();
      if (missing !== undefined) {
        log(`scikit-learn skipped: ${missing}`);
        return { section: 'ml', title: mlSection.title, setup, figures, skipped: missing };
      }
      log(`training scikit-learn (${PYTHON}, n_jobs=1)…`);
      const sk = JSON.parse(
        await run(PYTHON, [
          SKLEARN_SCRIPT,
          trainCsv,
          testCsv,
          String(trees),
          String(MIN_SAMPLES_LEAF),
          String(MAX_FEATURES),
          String(SEED),
        ]),
      ) as SklearnResult;
      log(
        `scikit-learn ${sk.sklearn_version}: ${sk.fit_seconds.toFixed(2)} s wall, ${sk.fit_cpu_seconds.toFixed(2)} s CPU, ` +
          `RMSE ${sk.rmse.toFixed(4)}, ${sk.pickle_bytes} bytes, ${sk.predict_row_us.toFixed(0)} µs/row, ${sk.nodes} nodes`,
      );
      return {
        section: 'ml',
        title: mlSection.title,
        setup: { ...setup, sklearn: sk.sklearn_version, sklearn_nodes: sk.nodes },
        figures: [
          ...figures,
          { name: 'scikit-learn: train (wall)', value: sk.fit_seconds, unit: 's' },
          { name: 'scikit-learn: train (CPU)', value: sk.fit_cpu_seconds, unit: 's' },
          { name: 'scikit-learn: held-out RMSE', value: sk.rmse, unit: '' },
          { name: 'scikit-learn: pickle', value: sk.pickle_bytes / 1e6, unit: 'MB' },
          { name: 'scikit-learn: single-row predict (median)', value: sk.predict_row_us, unit: 'µs' },
          // The target is set for the full workload; a --quick run trains for ~0.2 s, where JIT compilation
          // and collecting the generator's garbage weigh more than the training itself.
          quick
            ? {
                name: 'train CPU time: ours / sklearn (full runs only)',
                value: round3(ourCpu / sk.fit_cpu_seconds),
                unit: '×',
              }
            : ratioFigure('train CPU time: ours / scikit-learn', ourCpu / sk.fit_cpu_seconds, 1, '≤ 1.0 ×'),
          {
            name: 'train wall time: ours / scikit-learn',
            value: Math.round((ourWall / sk.fit_seconds) * 1000) / 1000,
            unit: '×',
          },
          ratioFigure('held-out RMSE: ours / scikit-learn', ourRmse / sk.rmse, 1.03, '≤ 1.03 ×'),
          ratioFigure('model bytes: ours / pickle', ourBytes / sk.pickle_bytes, 0.2, '≤ 0.2 ×'),
        ],
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
