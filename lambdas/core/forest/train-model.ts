/**
 * From a dataset to a registry-ready artifact: seeded train/test split, forest, out-of-bag and
 * held-out metrics, artifact body and its version. The maintenance-duration model of the original
 * system (total_produksi, produk_cacat → durasi_maintenance_jam) is one preset of it.
 */
import { type ArtifactInfo, type HoldoutMetrics, serializeArtifact } from './artifact.js';
import { type Dataset, DatasetError, dateRangeOf } from './dataset.js';
import { type ForestOptions, trainForest } from './forest.js';
import { accuracy, meanAbsoluteError, r2Score, rootMeanSquaredError, trainTestSplit } from './metrics.js';
import { CompiledForest } from './model.js';
import { modelVersion } from './predictor.js';

export interface TrainModelOptions extends ForestOptions {
  /** Share of rows held out for the metrics (default 0.2; 0: none). */
  readonly testFraction?: number;
  /** The artifact's creation time, ISO-8601 (the core has no clock). */
  readonly createdAt: string;
}

/** What `flexotwin train` prints, less what only the caller can measure (time). */
export interface TrainSummary {
  readonly task: string;
  readonly target: string;
  readonly rows: number;
  readonly train_rows: number;
  readonly test_rows: number;
  readonly features: readonly string[];
  readonly trees: number;
  readonly oob_r2?: number | null;
  readonly holdout_r2?: number | null;
  readonly mae?: number | null;
  readonly rmse?: number | null;
  readonly oob_accuracy?: number | null;
  readonly holdout_accuracy?: number | null;
  readonly date_range: Dataset['dateRange'];
  readonly feature_importances: Readonly<Record<string, number>>;
  readonly model_bytes: number;
  readonly version: string;
}

export interface TrainedModel {
  /** The artifact (StoredModel body). */
  readonly body: string;
  readonly version: string;
  readonly forest: CompiledForest;
  readonly info: ArtifactInfo;
  readonly summary: TrainSummary;
}

function subset(columns: readonly Float64Array[], rows: Int32Array): Float64Array[] {
  return columns.map((column) => Float64Array.from(rows, (r) => column[r] as number));
}

export function trainModel(dataset: Dataset, options: TrainModelOptions): TrainedModel {
  const { testFraction = 0.2, createdAt, ...forestOptions } = options;
  const task = forestOptions.task ?? 'regression';
  const rows = dataset.y.length;
  const split = trainTestSplit(rows, testFraction, forestOptions.seed ?? 0);
  const trained = trainForest(
    {
      features: dataset.features,
      columns: subset(dataset.columns, split.train),
      target: Float64Array.from(split.train, (r) => dataset.y[r] as number),
    },
    forestOptions,
  );
  const forest = new CompiledForest(trained.model);
  let holdout: HoldoutMetrics | null = null;
  if (split.test.length > 0) {
    const truth = Float64Array.from(split.test, (r) => dataset.y[r] as number);
    const predicted = forest.predict(subset(dataset.columns, split.test));
    holdout =
      task === 'regression'
        ? {
            r2: r2Score(truth, predicted),
            mae: meanAbsoluteError(truth, predicted),
            rmse: rootMeanSquaredError(truth, predicted),
          }
        : { accuracy: accuracy(truth, predicted) };
  }
  const info: ArtifactInfo = {
    target: dataset.target,
    created_at: createdAt,
    hyperparameters: trained.hyperparameters,
    training: {
      rows,
      train_rows: split.train.length,
      test_rows: split.test.length,
      date_range: dataset.dateRange,
      oob_score: trained.oobScore,
      holdout,
      feature_importances: Object.fromEntries(
        dataset.features.map((f, i) => [f, trained.importances[i] as number]),
      ),
    },
  };
  const body = serializeArtifact({ model: trained.model, info });
  const version = modelVersion(body, createdAt);
  const metrics =
    task === 'regression'
      ? {
          oob_r2: trained.oobScore,
          holdout_r2: holdout && 'r2' in holdout ? holdout.r2 : null,
          mae: holdout && 'mae' in holdout ? holdout.mae : null,
          rmse: holdout && 'rmse' in holdout ? holdout.rmse : null,
        }
      : {
          oob_accuracy: trained.oobScore,
          holdout_accuracy: holdout && 'accuracy' in holdout ? holdout.accuracy : null,
        };
  const summary: TrainSummary = {
    task,
    target: dataset.target,
    rows,
    train_rows: split.train.length,
    test_rows: split.test.length,
    features: dataset.features,
    trees: trained.hyperparameters.trees,
    ...metrics,
    date_range: dataset.dateRange,
    feature_importances: info.training.feature_importances,
    model_bytes: Buffer.byteLength(body),
    version,
  };
  return { body, version, forest, info, summary };
}

// ---------------------------------------------------------------------------------------------- maintenance

/** The original system's model: production of a shift → hours of maintenance it ended up needing. */
export const MAINTENANCE_FEATURES = ['total_produksi', 'produk_cacat'] as const;
export const MAINTENANCE_TARGET = 'durasi_maintenance_jam';

/** Whether a CSV header is the production-report layout the maintenance model is trained from. */
export function isReportLayout(header: readonly string[]): boolean {
  return [...MAINTENANCE_FEATURES, MAINTENANCE_TARGET].every((c) => header.includes(c));
}

function numeric(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/**
 * The maintenance dataset from history rows (generated or imported report rows, by column name):
 * the rows with a maintenance duration; their production figures must be numbers.
 */
export function maintenanceDataset(rows: Iterable<Readonly<Record<string, unknown>>>): Dataset {
  const target: number[] = [];
  const columns: number[][] = MAINTENANCE_FEATURES.map(() => []);
  const dates: unknown[] = [];
  let index = 0;
  for (const row of rows) {
    const y = row[MAINTENANCE_TARGET];
    if (y !== null && y !== undefined && y !== '') {
      const hours = numeric(y);
      if (hours === undefined)
        throw new DatasetError(`row ${index}: ${MAINTENANCE_TARGET} ${String(y)} is not a number`);
      MAINTENANCE_FEATURES.forEach((name, f) => {
        const v = numeric(row[name]);
        if (v === undefined)
          throw new DatasetError(`row ${index}: ${name} ${String(row[name])} is not a number`);
        (columns[f] as number[]).push(v);
      });
      target.push(hours);
      dates.push(row.tanggal);
    }
    index++;
  }
  if (target.length === 0) throw new DatasetError(`no rows with a ${MAINTENANCE_TARGET} to train on`);
  return {
    target: MAINTENANCE_TARGET,
    features: [...MAINTENANCE_FEATURES],
    columns: columns.map((c) => Float64Array.from(c)),
    y: Float64Array.from(target),
    dateRange: dateRangeOf(dates),
  };
}

/**
 * Trains the maintenance-duration model from history rows (what the local runtime calls on first
 * start). Defaults: 100 trees, every feature per split (there are two), seed 0, 20 % held out.
 */
export function trainMaintenanceModel(
  rows: Iterable<Readonly<Record<string, unknown>>>,
  options: TrainModelOptions,
): TrainedModel {
  return trainModel(maintenanceDataset(rows), { maxFeatures: 'all', ...options, task: 'regression' });
}
