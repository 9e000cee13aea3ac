/**
 * Serving: a MaintenancePredictor over an artifact body, and the model registry's version names.
 */
import { createHash } from 'node:crypto';
import type { MaintenancePredictor } from '../ports.js';
import { parseArtifact } from './artifact.js';
import { CompiledForest } from './model.js';

/**
 * The registry version of an artifact (S3 key models/<version>/model.json): its creation time in UTC,
 * compact and sortable, then the first 8 hex digits of the SHA-256 of its bytes.
 */
export function modelVersion(body: string, createdAt: string): string {
  const time = new Date(createdAt);
  const stamp = Number.isNaN(time.getTime())
    ? 'undated'
    : time
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${createHash('sha256').update(body).digest('hex').slice(0, 8)}`;
}

/**
 * Loads an artifact for serving. `version` is the registry's name for it (a StoredModel's version);
 * by default the one `modelVersion` derives from the body.
 */
export function loadPredictor(body: string, version?: string): MaintenancePredictor {
  const { model, info } = parseArtifact(body);
  if (model.task !== 'regression') throw new Error('a maintenance predictor needs a regression forest');
  const forest = new CompiledForest(model);
  const features = model.features;
  const row = new Float64Array(features.length);
  const { training, hyperparameters } = info;
  return {
    version: version ?? modelVersion(body, info.created_at),
    features,
    info: {
      algorithm: 'Random Forest Regressor',
      target: info.target,
      features,
      trees: forest.trees,
      created_at: info.created_at,
      training_rows: training.train_rows,
      date_range: training.date_range,
      // Scores to four decimals: what a reader can use (the artifact keeps full precision).
      oob_r2: training.oob_score == null ? training.oob_score : round4(training.oob_score),
      holdout: training.holdout == null ? training.holdout : roundAll(training.holdout),
      feature_importances: roundAll(training.feature_importances),
      hyperparameters,
    },
    predict(values) {
      for (let f = 0; f < features.length; f++) {
        const name = features[f] as string;
        const v = values[name];
        if (typeof v !== 'number')
          throw new Error(`missing feature "${name}" (the model needs ${features.join(', ')})`);
        if (!Number.isFinite(v)) throw new Error(`feature "${name}" must be a finite number, got ${v}`);
        row[f] = v;
      }
      return forest.predictRow(row);
    },
  };
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

function roundAll<T extends Readonly<Record<string, number>>>(values: T): T {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, round4(v)])) as T;
}
