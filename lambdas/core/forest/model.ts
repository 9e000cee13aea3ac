/**
 * A trained forest and its compiled, prediction-ready form. Compiling concatenates every tree into
 * one flat node array (child offsets made absolute), so predicting a row is a tight walk with no
 * allocation.
 */
import type { TreeArrays } from './tree.js';

export type Task = 'regression' | 'classification';

export interface ForestModel {
  readonly task: Task;
  readonly features: readonly string[];
  /** Classification: the class labels, ascending (leaf values are probabilities in this order). */
  readonly classes?: readonly number[];
  readonly trees: readonly TreeArrays[];
}

/** Values per leaf. */
export function outputsOf(model: Pick<ForestModel, 'task' | 'classes'>): number {
  return model.task === 'classification' ? (model.classes?.length ?? 0) : 1;
}

/** Throws unless every tree is well formed: in-range features, finite thresholds, children after parents. */
export function validateModel(model: ForestModel): void {
  const outputs = outputsOf(model);
  if (model.task === 'classification' && outputs < 1) throw new Error('a classification model needs classes');
  if (model.trees.length === 0) throw new Error('a forest needs at least one tree');
  model.trees.forEach((tree, t) => {
    const nodes = tree.feature.length;
    if (
      tree.threshold.length !== nodes ||
      tree.right.length !== nodes ||
      tree.value.length !== nodes * outputs
    )
      throw new Error(`tree ${t}: node arrays of different lengths`);
    for (let i = 0; i < nodes; i++) {
      const f = tree.feature[i] as number;
      if (f < 0) continue;
      const r = tree.right[i] as number;
      if (f >= model.features.length || !Number.isFinite(tree.threshold[i]) || r <= i + 1 || r >= nodes)
        throw new Error(`tree ${t}, node ${i}: invalid split`);
    }
  });
}

/**
 * Node layout of a compiled forest: 3 × 32 bits per node, in one buffer so a node is one cache access
 * and a left step (the next node) usually the same line.
 *   int32 [3i]     split feature, −1 for a leaf
 *   int32 [3i + 1] split: element offset (3 × index) of the right child; leaf: offset of its values
 *   float [3i + 2] split: threshold; leaf: its (first) value
 */
const STRIDE = 3;

export class CompiledForest {
  readonly task: Task;
  readonly features: readonly string[];
  readonly classes: readonly number[] | undefined;
  readonly outputs: number;
  /** Element offset of each tree's root. */
  private readonly roots: Int32Array;
  private readonly ints: Int32Array;
  private readonly floats: Float32Array;
  /** Leaf values × outputs, per node (for classification). */
  private readonly values: Float32Array;
  private readonly proba: Float64Array;

  /** `model` must be valid (trainForest and parseArtifact only make valid ones; see validateModel). */
  constructor(model: ForestModel) {
    this.task = model.task;
    this.features = model.features;
    this.classes = model.classes;
    const outputs = outputsOf(model);
    this.outputs = outputs;
    let total = 0;
    for (const tree of model.trees) total += tree.feature.length;
    const buffer = new ArrayBuffer(STRIDE * 4 * total);
    const ints = new Int32Array(buffer);
    const floats = new Float32Array(buffer);
    const values = new Float32Array(outputs === 1 ? 0 : total * outputs);
    const roots = new Int32Array(model.trees.length);
    let base = 0;
    model.trees.forEach((tree, t) => {
      roots[t] = STRIDE * base;
      const { feature, threshold, right, value } = tree;
      for (let i = 0; i < feature.length; i++) {
        const at = STRIDE * (base + i);
        const f = feature[i] as number;
        ints[at] = f;
        if (f >= 0) {
          ints[at + 1] = STRIDE * (base + (right[i] as number));
          floats[at + 2] = threshold[i] as number;
        } else {
          ints[at + 1] = (base + i) * outputs;
          floats[at + 2] = value[i * outputs] as number;
        }
      }
      if (outputs > 1) values.set(value, base * outputs);
      base += feature.length;
    });
    this.roots = roots;
    this.ints = ints;
    this.floats = floats;
    this.values = values;
    this.proba = new Float64Array(outputs);
  }

  get trees(): number {
    return this.roots.length;
  }

  get nodes(): number {
    return this.ints.length / STRIDE;
  }

  /** Element offset of the leaf x lands in, from the root at element offset `at`. */
  private leaf(at: number, x: ArrayLike<number>): number {
    const { ints, floats } = this;
    let i = at;
    for (let f = ints[i] as number; f >= 0; f = ints[i] as number) {
      i = (x[f] as number) <= (floats[i + 2] as number) ? i + STRIDE : (ints[i + 1] as number);
    }
    return i;
  }

  /**
   * Class probabilities of one row (features in model order), averaged over the trees; the returned
   * array is reused by the next call.
   */
  probabilities(x: ArrayLike<number>): Float64Array {
    const { roots, ints, values, proba, outputs } = this;
    proba.fill(0);
    for (let t = 0; t < roots.length; t++) {
      const at = ints[this.leaf(roots[t] as number, x) + 1] as number;
      for (let k = 0; k < outputs; k++) proba[k] = (proba[k] as number) + (values[at + k] as number);
    }
    for (let k = 0; k < outputs; k++) proba[k] = (proba[k] as number) / roots.length;
    return proba;
  }

  /** One row (features in model order): the mean of the trees, or the most probable class. */
  predictRow(x: ArrayLike<number>): number {
    const { roots, floats } = this;
    if (this.task === 'regression') {
      let sum = 0;
      for (let t = 0; t < roots.length; t++) sum += floats[this.leaf(roots[t] as number, x) + 2] as number;
      return sum / roots.length;
    }
    const proba = this.probabilities(x);
    let best = 0;
    for (let k = 1; k < proba.length; k++) if ((proba[k] as number) > (proba[best] as number)) best = k;
    return (this.classes as readonly number[])[best] as number;
  }

  /** Every row of feature columns (model order). */
  predict(columns: readonly Float64Array[]): Float64Array {
    if (columns.length !== this.features.length)
      throw new RangeError(`expected ${this.features.length} feature columns, got ${columns.length}`);
    const rows = columns[0]?.length ?? 0;
    const x = new Float64Array(columns.length);
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      for (let f = 0; f < columns.length; f++) x[f] = (columns[f] as Float64Array)[r] as number;
      out[r] = this.predictRow(x);
    }
    return out;
  }
}
