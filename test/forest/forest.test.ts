import { describe, expect, it } from 'vitest';
import {
  accuracy,
  CompiledForest,
  type ForestData,
  type ForestModel,
  loadPredictor,
  parseArtifact,
  resolveFeaturesPerSplit,
  rootMeanSquaredError,
  serializeArtifact,
  type TrainedForest,
  trainForest,
  trainTestSplit,
} from '../../lambdas/core/forest/index.js';
import type { TreeArrays } from '../../lambdas/core/forest/tree.js';
import { createRandom } from '../../lambdas/core/random.js';

/** Columns of `rows` rows from a per-row generator. */
function table(rows: number, features: number, row: (x: number[], r: number) => number): ForestData {
  const columns = Array.from({ length: features }, () => new Float64Array(rows));
  const target = new Float64Array(rows);
  const x = new Array<number>(features);
  for (let r = 0; r < rows; r++) {
    target[r] = row(x, r);
    for (let f = 0; f < features; f++) (columns[f] as Float64Array)[r] = x[f] as number;
  }
  return { features: columns.map((_, f) => `x${f}`), columns, target };
}

function rowsOf(data: ForestData, indices: Int32Array): ForestData {
  return {
    features: data.features,
    columns: data.columns.map((c) => Float64Array.from(indices, (r) => c[r] as number)),
    target: Float64Array.from(indices, (r) => data.target[r] as number),
  };
}

function artifactOf(trained: TrainedForest): string {
  return serializeArtifact({
    model: trained.model,
    info: {
      target: 'y',
      created_at: '2025-11-01T00:00:00.000Z',
      hyperparameters: trained.hyperparameters,
      training: {
        rows: 0,
        train_rows: 0,
        test_rows: 0,
        date_range: null,
        oob_score: trained.oobScore,
        holdout: null,
        feature_importances: {},
      },
    },
  });
}

/** Depth of the deepest leaf and the training rows reaching each leaf (by walking the raw values). */
function leafCounts(tree: TreeArrays, data: ForestData): Map<number, number> {
  const counts = new Map<number, number>();
  for (let r = 0; r < data.target.length; r++) {
    let i = 0;
    while ((tree.feature[i] as number) >= 0) {
      const f = tree.feature[i] as number;
      i =
        ((data.columns[f] as Float64Array)[r] as number) <= (tree.threshold[i] as number)
          ? i + 1
          : (tree.right[i] as number);
    }
    counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  return counts;
}

function depthOf(tree: TreeArrays, node = 0): number {
  if ((tree.feature[node] as number) < 0) return 0;
  return 1 + Math.max(depthOf(tree, node + 1), depthOf(tree, tree.right[node] as number));
}

describe('regression', () => {
  it('recovers a step function exactly: one split at the midpoint, the two levels as leaves', () => {
    const data = table(100, 1, (x, r) => {
      x[0] = r;
      return r < 50 ? 1.5 : 3.25;
    });
    const { model } = trainForest(data, { trees: 1, bootstrap: false, maxFeatures: 'all' });
    const tree = model.trees[0] as TreeArrays;
    expect(Array.from(tree.feature)).toEqual([0, -1, -1]);
    expect(tree.threshold[0]).toBe(49.5);
    expect(Array.from(tree.value)).toEqual([0, 1.5, 3.25]);
    const forest = new CompiledForest(model);
    expect(forest.predictRow([49.5])).toBe(1.5);
    expect(forest.predictRow([49.6])).toBe(3.25);
    expect(forest.predictRow([-1e9])).toBe(1.5);
  });

  it('on y = x + N(0, σ²) reaches a held-out RMSE of about σ and a sane OOB R²', () => {
    const sigma = 0.5;
    const random = createRandom(11);
    const data = table(5000, 2, (x) => {
      x[0] = random.next() * 10;
      x[1] = random.next();
      return (x[0] as number) + random.normal(0, sigma);
    });
    const split = trainTestSplit(5000, 0.2, 3);
    const trained = trainForest(rowsOf(data, split.train), { trees: 50, minSamplesLeaf: 20, seed: 5 });
    const test = rowsOf(data, split.test);
    const rmse = rootMeanSquaredError(test.target, new CompiledForest(trained.model).predict(test.columns));
    expect(rmse).toBeGreaterThan(0.9 * sigma);
    expect(rmse).toBeLessThan(1.1 * sigma);
    // var(x) = 100/12, so the best possible R² is 1 − σ² / (100/12 + σ²) ≈ 0.971.
    expect(trained.oobScore).toBeGreaterThan(0.95);
    expect(trained.oobScore).toBeLessThan(0.975);
  });

  it('keeps minSamplesLeaf rows in every leaf and stops at maxDepth', () => {
    const random = createRandom(2);
    const data = table(400, 3, (x) => {
      x[0] = random.next();
      x[1] = random.int(10);
      x[2] = random.normal();
      return Math.sin(6 * (x[0] as number)) + (x[1] as number) + random.normal(0, 0.1);
    });
    const leafy = trainForest(data, { trees: 3, bootstrap: false, minSamplesLeaf: 7, maxFeatures: 'all' });
    for (const tree of leafy.model.trees) {
      for (const count of leafCounts(tree, data).values()) expect(count).toBeGreaterThanOrEqual(7);
    }
    const shallow = trainForest(data, { trees: 3, maxDepth: 3 });
    for (const tree of shallow.model.trees) expect(depthOf(tree)).toBeLessThanOrEqual(3);
    expect(depthOf(leafy.model.trees[0] as TreeArrays)).toBeGreaterThan(3);
  });

  it('ranks the informative feature first in the importances, which sum to 1', () => {
    const random = createRandom(4);
    const data = table(2000, 3, (x) => {
      x[0] = random.normal();
      x[1] = random.normal();
      x[2] = random.normal();
      return 5 * (x[1] as number) + (x[2] as number) + random.normal(0, 0.3);
    });
    const { importances } = trainForest(data, { trees: 30, minSamplesLeaf: 5, seed: 1 });
    expect(importances[1]).toBeGreaterThan(importances[2] as number);
    expect(importances[2]).toBeGreaterThan(importances[0] as number);
    expect(importances.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});

describe('classification', () => {
  const random = createRandom(9);
  // Three classes in bands of x0 with gaps between them; x1 is noise.
  const data = table(600, 2, (x, r) => {
    const label = r % 3;
    x[0] = 2 * label + random.next();
    x[1] = random.normal();
    return label * 10;
  });
  const split = trainTestSplit(600, 0.25, 1);
  const train = rowsOf(data, split.train);
  const test = rowsOf(data, split.test);

  for (const criterion of ['gini', 'entropy'] as const) {
    it(`separates a separable set with ${criterion}`, () => {
      const trained = trainForest(train, {
        task: 'classification',
        criterion,
        trees: 20,
        maxFeatures: 'all',
        seed: 3,
      });
      expect(trained.model.classes).toEqual([0, 10, 20]);
      const forest = new CompiledForest(trained.model);
      expect(accuracy(test.target, forest.predict(test.columns))).toBe(1);
      expect(trained.oobScore).toBe(1);
      const proba = forest.probabilities([4.5, 0]);
      expect(proba[2]).toBe(1);
      expect(Array.from(forest.probabilities([0.5, 0])).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    });
  }

  it('refuses a criterion of the other task', () => {
    expect(() => trainForest(train, { task: 'regression', criterion: 'gini' })).toThrow(/does not fit/);
  });
});

describe('determinism and the artifact', () => {
  const random = createRandom(21);
  const data = table(1500, 4, (x) => {
    for (let f = 0; f < 4; f++) x[f] = Math.round(random.normal(50, 10) * 100) / 100;
    return (x[0] as number) * 0.3 + ((x[1] as number) > 55 ? 4 : 0) + random.normal(0, 1);
  });
  const options = { trees: 15, minSamplesLeaf: 3, maxFeatures: 0.5, seed: 7 };

  it('gives byte-identical artifacts for the same data and seed, different ones for another seed', () => {
    const a = artifactOf(trainForest(data, options));
    const b = artifactOf(trainForest(data, options));
    const c = artifactOf(trainForest(data, { ...options, seed: 8 }));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('round-trips: the loaded model predicts exactly as the trained one', () => {
    const trained = trainForest(data, options);
    const body = artifactOf(trained);
    const { model, info } = parseArtifact(body);
    expect(info.created_at).toBe('2025-11-01T00:00:00.000Z');
    expect(info.hyperparameters).toEqual(trained.hyperparameters);
    const before = new CompiledForest(trained.model).predict(data.columns);
    const after = new CompiledForest(model).predict(data.columns);
    expect(after).toEqual(before);
    expect(serializeArtifact({ model, info })).toBe(body);

    const predictor = loadPredictor(body, 'v1');
    expect(predictor.version).toBe('v1');
    expect(predictor.features).toEqual(['x0', 'x1', 'x2', 'x3']);
    for (let r = 0; r < 50; r++) {
      const row = Object.fromEntries(
        data.features.map((f, i) => [f, (data.columns[i] as Float64Array)[r] as number]),
      );
      expect(predictor.predict(row)).toBe(before[r]);
    }
  });

  it('names a missing or non-finite feature', () => {
    const predictor = loadPredictor(artifactOf(trainForest(data, options)));
    expect(predictor.version).toMatch(/^20251101T000000Z-[0-9a-f]{8}$/);
    expect(() => predictor.predict({ x0: 1, x1: 2, x3: 4 })).toThrow(/missing feature "x2"/);
    expect(() => predictor.predict({ x0: 1, x1: 2, x2: Number.NaN, x3: 4 })).toThrow(
      /"x2" must be a finite number/,
    );
  });

  it('refuses artifacts that are not ours, of another version, or damaged', () => {
    const body = artifactOf(trainForest(data, options));
    const doc = JSON.parse(body);
    expect(() => parseArtifact('{"format":"pickle"}')).toThrow(/not a usable forest artifact/);
    expect(() => parseArtifact(JSON.stringify({ ...doc, format_version: 2 }))).toThrow(/format_version 2/);
    const cut = { ...doc, trees: { ...doc.trees, threshold: doc.trees.threshold.slice(0, 40) } };
    expect(() => parseArtifact(JSON.stringify(cut))).toThrow(/trees.threshold holds/);
    expect(() => parseArtifact('{')).toThrow(/invalid JSON/);
    const withRoot = (byte: number) => {
      const feature = Buffer.from(doc.trees.feature, 'base64');
      feature[0] = byte;
      return JSON.stringify({ ...doc, trees: { ...doc.trees, feature: feature.toString('base64') } });
    };
    expect(() => parseArtifact(withRoot(200))).toThrow('tree 0, node 0: invalid split');
    expect(() => parseArtifact(withRoot(255))).toThrow(/tree 0 ends before its last node/);
  });

  it('stores a tree in about 5 bytes per node before base64', () => {
    const trained = trainForest(data, options);
    const nodes = trained.model.trees.reduce((sum, t) => sum + t.feature.length, 0);
    const bytes = Buffer.byteLength(artifactOf(trained));
    expect(bytes / nodes).toBeLessThan((5 * 4) / 3 + 1);
  });
});

describe('options', () => {
  it('resolves maxFeatures as scikit-learn does', () => {
    expect(resolveFeaturesPerSplit(0.33, 17)).toBe(5);
    expect(resolveFeaturesPerSplit(0.01, 17)).toBe(1);
    expect(resolveFeaturesPerSplit('sqrt', 17)).toBe(4);
    expect(resolveFeaturesPerSplit('all', 17)).toBe(17);
    expect(resolveFeaturesPerSplit(3, 17)).toBe(3);
    expect(resolveFeaturesPerSplit(40, 17)).toBe(17);
    expect(() => resolveFeaturesPerSplit(1.5, 17)).toThrow(/whole number/);
    expect(() => resolveFeaturesPerSplit(0, 17)).toThrow(RangeError);
  });

  it('refuses non-finite data with the feature and row', () => {
    const data: ForestData = {
      features: ['a'],
      columns: [Float64Array.from([1, Number.NaN])],
      target: Float64Array.from([1, 2]),
    };
    expect(() => trainForest(data)).toThrow(/feature "a", row 1/);
  });

  it('still splits a node whose drawn features are all constant on it (draws until one varies)', () => {
    // x0 constant; with one feature per split the tree must still find x1.
    const data = table(200, 2, (x, r) => {
      x[0] = 1;
      x[1] = r;
      return r < 100 ? 0 : 1;
    });
    const forest: ForestModel = trainForest(data, { trees: 5, maxFeatures: 1, bootstrap: false }).model;
    for (const tree of forest.trees) expect(tree.feature[0]).toBe(1);
  });
});
