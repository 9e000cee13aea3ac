/**
 * One decision tree grown on binned features, depth first, its nodes numbered in preorder: the left
 * child of node i is node i + 1, so only the right child needs a pointer (and the artifact stores
 * none: preorder with leaf markers rebuilds them).
 */
import type { Random } from '../random.js';
import type { BinnedFeatures } from './binning.js';
import type { SplitCriterion } from './criteria.js';

export interface TreeArrays {
  /** Per node: the split feature, or −1 for a leaf. */
  readonly feature: Int32Array;
  /** Per node: go left when x ≤ threshold (float32-exact); 0 for a leaf. */
  readonly threshold: Float32Array;
  /** Per node: the right child; 0 for a leaf. */
  readonly right: Int32Array;
  /** Per node × outputs: the leaf's value(s), float32-exact; 0 for an internal node. */
  readonly value: Float32Array;
}

export interface GrowSettings {
  readonly binned: BinnedFeatures;
  readonly criterion: SplitCriterion;
  /** Features drawn per split (more are drawn while every drawn one is constant on the node). */
  readonly featuresPerSplit: number;
  readonly minSamplesLeaf: number;
  readonly maxDepth: number;
  /** Weighted impurity decrease per feature, accumulated across trees. */
  readonly importances: Float64Array;
}

/** A tree as grown: its model form, and each split as an edge index (go left when bin ≤ it). */
export interface GrownTree {
  readonly tree: TreeArrays;
  readonly bin: Uint16Array;
}

/**
 * Grows a tree over `rows` (the distinct in-bag rows; reordered in place), the criterion's weights
 * already set. `order` is a scratch permutation of the feature indices.
 */
export function growTree(
  settings: GrowSettings,
  rows: Int32Array,
  random: Random,
  order: Int32Array,
): GrownTree {
  const { binned, criterion, featuresPerSplit, minSamplesLeaf, maxDepth, importances } = settings;
  const { bins, rows: n, edges } = binned;
  const featureCount = edges.length;
  const columns = edges.map((_, f) => bins.subarray(f * n, (f + 1) * n));
  const binCounts = edges.map((e) => e.length + 1);
  const outputs = criterion.outputs;
  const spill = new Int32Array(rows.length);

  const feature: number[] = [];
  const splitBin: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  // Pending nodes: start, end, depth, and the parent whose right child it is (−1 for a left child).
  const stack: number[] = [0, rows.length, 0, -1];

  while (stack.length > 0) {
    const parent = stack.pop() as number;
    const depth = stack.pop() as number;
    const end = stack.pop() as number;
    const start = stack.pop() as number;
    const node = feature.length;
    if (parent >= 0) right[parent] = node;

    const pure = criterion.beginNode(rows, start, end);
    let bestFeature = -1;
    let bestLeft = 0;
    let bestRight = 0;
    let best = Number.NEGATIVE_INFINITY;
    if (!pure && depth < maxDepth && end - start >= 2 * minSamplesLeaf) {
      let drawn = 0;
      let varying = 0;
      for (let i = 0; i < featureCount && (drawn < featuresPerSplit || varying === 0); i++) {
        const j = i + random.int(featureCount - i);
        const f = order[j] as number;
        order[j] = order[i] as number;
        order[i] = f;
        drawn++;
        const proxy = criterion.scan(
          columns[f] as Uint16Array,
          binCounts[f] as number,
          rows,
          start,
          end,
          minSamplesLeaf,
        );
        if (!criterion.constant) varying++;
        if (proxy > best) {
          best = proxy;
          bestFeature = f;
          bestLeft = criterion.leftBin;
          bestRight = criterion.rightBin;
        }
      }
    }

    feature.push(bestFeature);
    right.push(0);
    if (bestFeature < 0) {
      splitBin.push(0);
      criterion.leafValue(value, node * outputs);
      continue;
    }
    const middle =
      ((binned.high[bestFeature] as Float64Array)[bestLeft] as number) / 2 +
      ((binned.low[bestFeature] as Float64Array)[bestRight] as number) / 2;
    const bestBin = middleEdge(edges[bestFeature] as Float64Array, bestLeft, bestRight - 1, middle);
    splitBin.push(bestBin);
    for (let k = 0; k < outputs; k++) value[node * outputs + k] = 0;
    importances[bestFeature] = (importances[bestFeature] as number) + best - criterion.nodeProxy();

    // Stable partition: rows stay ascending, so the gathers of the children walk memory forwards.
    const column = columns[bestFeature] as Uint16Array;
    let i = start;
    let spilled = 0;
    for (let k = start; k < end; k++) {
      const r = rows[k] as number;
      if ((column[r] as number) <= bestBin) rows[i++] = r;
      else spill[spilled++] = r;
    }
    rows.set(spill.subarray(0, spilled), i);
    stack.push(i, end, depth + 1, node, start, i, depth + 1, -1);
  }

  const tree: TreeArrays = {
    feature: Int32Array.from(feature),
    threshold: Float32Array.from(feature, (f, i) =>
      f < 0 ? 0 : ((edges[f] as Float64Array)[splitBin[i] as number] as number),
    ),
    right: Int32Array.from(right),
    value: Float32Array.from(value),
  };
  return { tree, bin: Uint16Array.from(splitBin) };
}

/**
 * Of the edges lo … hi (all separating the node's rows alike), the one nearest `middle`, the midpoint
 * between the node's neighbouring values where scikit-learn splits: a row outside the bootstrap
 * sample (or a new one) falling between them goes to the side it is nearer to.
 */
export function middleEdge(edges: Float64Array, lo: number, hi: number, middle: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const m = (a + b) >>> 1;
    if ((edges[m] as number) < middle) a = m + 1;
    else b = m;
  }
  return a > lo && middle - (edges[a - 1] as number) <= (edges[a] as number) - middle ? a - 1 : a;
}

/** The leaf a training row (by its bins) lands in. */
export function leafOfBinnedRow({ tree, bin }: GrownTree, binned: BinnedFeatures, row: number): number {
  const { feature, right } = tree;
  const { bins, rows } = binned;
  let i = 0;
  for (let f = feature[0] as number; f >= 0; f = feature[i] as number) {
    i = (bins[f * rows + row] as number) <= (bin[i] as number) ? i + 1 : (right[i] as number);
  }
  return i;
}
