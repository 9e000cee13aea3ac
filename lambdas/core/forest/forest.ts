/**
 * Random Forest training: bootstrap samples (as row weights, so a tree works on its distinct rows),
 * a random subset of features per split, trees grown on binned features, the out-of-bag score and
 * normalised impurity-decrease feature importances. Deterministic: one seed fixes every draw, and
 * each tree draws from its own seed so the result does not depend on the order trees are grown in.
 */
import { createRandom } from '../random.js';
import { binFeatures, MAX_BINS } from './binning.js';
import { ClassImpurity, type CriterionName, type SplitCriterion, SquaredError } from './criteria.js';
import { r2Score } from './metrics.js';
import { type ForestModel, type Task, validateModel } from './model.js';
import { growTree, leafOfBinnedRow, type TreeArrays } from './tree.js';

/**
 * Features per split: a fraction in (0, 1) of the features (at least one; scikit-learn's float), a
 * whole count ≥ 1, 'sqrt' or 'all'.
 */
export type MaxFeatures = number | 'sqrt' | 'all';

export interface ForestOptions {
  readonly task?: Task;
  /** Default: squared_error for regression, gini for classification. */
  readonly criterion?: CriterionName;
  readonly trees?: number;
  /** Default: 1/3 for regression (Breiman), 'sqrt' for classification. */
  readonly maxFeatures?: MaxFeatures;
  readonly minSamplesLeaf?: number;
  /** Default: unlimited. */
  readonly maxDepth?: number;
  readonly bootstrap?: boolean;
  readonly seed?: number;
  /** Bins per feature, 2 … 255. */
  readonly maxBins?: number;
  /** Called after each tree (progress). */
  readonly onTree?: (done: number, total: number) => void;
}

export interface ForestData {
  readonly features: readonly string[];
  /** One column per feature, all of the same length, finite values. */
  readonly columns: readonly Float64Array[];
  /** The target per row; for classification, class labels (any numbers). */
  readonly target: Float64Array;
}

/** The settings a forest was grown with, as stored in its artifact. */
export interface Hyperparameters {
  readonly task: Task;
  readonly criterion: CriterionName;
  readonly trees: number;
  readonly max_features: MaxFeatures;
  readonly features_per_split: number;
  readonly min_samples_leaf: number;
  readonly max_depth: number | null;
  readonly bootstrap: boolean;
  readonly seed: number;
  readonly max_bins: number;
}

export interface TrainedForest {
  readonly model: ForestModel;
  readonly hyperparameters: Hyperparameters;
  /** Out-of-bag R² (regression) or accuracy (classification); null without bootstrap or OOB rows. */
  readonly oobScore: number | null;
  /** Normalised impurity decrease per feature (sums to 1 unless no tree split at all). */
  readonly importances: Float64Array;
}

export function resolveFeaturesPerSplit(maxFeatures: MaxFeatures, featureCount: number): number {
  if (maxFeatures === 'all') return featureCount;
  if (maxFeatures === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(featureCount)));
  if (!(maxFeatures > 0) || !Number.isFinite(maxFeatures))
    throw new RangeError(`maxFeatures must be a fraction in (0, 1), a count ≥ 1, 'sqrt' or 'all'`);
  if (maxFeatures < 1) return Math.max(1, Math.floor(maxFeatures * featureCount));
  if (!Number.isInteger(maxFeatures))
    throw new RangeError(`maxFeatures ${maxFeatures}: a count must be a whole number (a fraction is < 1)`);
  return Math.min(maxFeatures, featureCount);
}

function checkData(data: ForestData): void {
  const { features, columns, target } = data;
  if (features.length === 0) throw new RangeError('at least one feature is needed');
  if (features.length !== columns.length)
    throw new RangeError(`${features.length} feature names for ${columns.length} columns`);
  if (new Set(features).size !== features.length) throw new RangeError('feature names must be unique');
  if (target.length === 0) throw new RangeError('no rows to train on');
  columns.forEach((column, f) => {
    if (column.length !== target.length)
      throw new RangeError(`feature "${features[f]}" has ${column.length} rows, the target ${target.length}`);
    const bad = column.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new RangeError(`feature "${features[f]}", row ${bad}: ${column[bad]} is not finite`);
  });
  const bad = target.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`target, row ${bad}: ${target[bad]} is not finite`);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number ≥ 1`);
  return value;
}

export function trainForest(data: ForestData, options: ForestOptions = {}): TrainedForest {
  checkData(data);
  const task = options.task ?? 'regression';
  const criterionName = options.criterion ?? (task === 'regression' ? 'squared_error' : 'gini');
  if ((task === 'regression') !== (criterionName === 'squared_error'))
    throw new RangeError(`criterion ${criterionName} does not fit a ${task} forest`);
  const trees = positiveInteger('trees', options.trees ?? 100);
  const minSamplesLeaf = positiveInteger('minSamplesLeaf', options.minSamplesLeaf ?? 1);
  const maxDepth = options.maxDepth === undefined ? null : positiveInteger('maxDepth', options.maxDepth);
  const maxFeatures = options.maxFeatures ?? (task === 'regression' ? 1 / 3 : 'sqrt');
  const featureCount = data.features.length;
  const featuresPerSplit = resolveFeaturesPerSplit(maxFeatures, featureCount);
  const bootstrap = options.bootstrap ?? true;
  const seed = options.seed ?? 0;
  const maxBins = options.maxBins ?? MAX_BINS;

  const binned = binFeatures(data.columns, maxBins);
  const maxBinCount = binned.edges.reduce((most, e) => Math.max(most, e.length + 1), 0);
  const n = data.target.length;
  let classes: number[] | undefined;
  let criterion: SplitCriterion;
  let labels: Int32Array | undefined;
  if (task === 'classification') {
    classes = [...new Set(data.target)].sort((a, b) => a - b);
    const index = new Map(classes.map((c, k) => [c, k]));
    labels = Int32Array.from(data.target, (v) => index.get(v) as number);
    criterion = new ClassImpurity(labels, classes.length, criterionName as 'gini' | 'entropy', maxBinCount);
  } else {
    criterion = new SquaredError(data.target, maxBinCount);
  }
  const outputs = criterion.outputs;

  const importances = new Float64Array(featureCount);
  const treeImportances = new Float64Array(featureCount);
  const settings = {
    binned,
    criterion,
    featuresPerSplit,
    minSamplesLeaf,
    maxDepth: maxDepth ?? Number.POSITIVE_INFINITY,
    importances: treeImportances,
  };
  const master = createRandom(seed);
  const treeSeeds = Array.from({ length: trees }, () => master.int(2 ** 32));
  const weights = new Float64Array(n);
  const oobSum = new Float64Array(n * outputs);
  const oobVotes = new Int32Array(n);
  const order = Int32Array.from({ length: featureCount }, (_, f) => f);
  const grown: TreeArrays[] = [];

  for (let t = 0; t < trees; t++) {
    const random = createRandom(treeSeeds[t] as number);
    weights.fill(bootstrap ? 0 : 1);
    if (bootstrap)
      for (let i = 0; i < n; i++) {
        const r = random.int(n);
        weights[r] = (weights[r] as number) + 1;
      }
    let inBag = 0;
    for (let r = 0; r < n; r++) if ((weights[r] as number) > 0) inBag++;
    const rows = new Int32Array(inBag);
    for (let r = 0, i = 0; r < n; r++) if ((weights[r] as number) > 0) rows[i++] = r;

    criterion.setWeights(weights);
    treeImportances.fill(0);
    const tree = growTree(settings, rows, random, order);
    grown.push(tree.tree);

    let total = 0;
    for (const v of treeImportances) total += v;
    if (total > 0)
      for (let f = 0; f < featureCount; f++)
        importances[f] = (importances[f] as number) + (treeImportances[f] as number) / total;

    if (bootstrap) {
      for (let r = 0; r < n; r++) {
        if ((weights[r] as number) > 0) continue;
        const leaf = leafOfBinnedRow(tree, binned, r) * outputs;
        for (let k = 0; k < outputs; k++) {
          const at = r * outputs + k;
          oobSum[at] = (oobSum[at] as number) + (tree.tree.value[leaf + k] as number);
        }
        oobVotes[r] = (oobVotes[r] as number) + 1;
      }
    }
    options.onTree?.(t + 1, trees);
  }

  let total = 0;
  for (const v of importances) total += v;
  if (total > 0) for (let f = 0; f < featureCount; f++) importances[f] = (importances[f] as number) / total;

  const model: ForestModel = {
    task,
    features: [...data.features],
    ...(classes === undefined ? {} : { classes }),
    trees: grown,
  };
  validateModel(model);
  return {
    model,
    hyperparameters: {
      task,
      criterion: criterionName,
      trees,
      max_features: maxFeatures,
      features_per_split: featuresPerSplit,
      min_samples_leaf: minSamplesLeaf,
      max_depth: maxDepth,
      bootstrap,
      seed,
      max_bins: maxBins,
    },
    oobScore: bootstrap ? oobScore(data.target, labels, oobSum, oobVotes, outputs) : null,
    importances,
  };
}

function oobScore(
  target: Float64Array,
  labels: Int32Array | undefined,
  sums: Float64Array,
  votes: Int32Array,
  outputs: number,
): number | null {
  const truth: number[] = [];
  const predicted: number[] = [];
  let correct = 0;
  for (let r = 0; r < votes.length; r++) {
    const v = votes[r] as number;
    if (v === 0) continue;
    if (labels === undefined) {
      truth.push(target[r] as number);
      predicted.push((sums[r] as number) / v);
    } else {
      let best = 0;
      for (let k = 1; k < outputs; k++)
        if ((sums[r * outputs + k] as number) > (sums[r * outputs + best] as number)) best = k;
      if (best === labels[r]) correct++;
      truth.push(0);
    }
  }
  if (truth.length === 0) return null;
  return labels === undefined ? r2Score(truth, predicted) : correct / truth.length;
}
