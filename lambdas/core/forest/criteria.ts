/**
 * Split criteria over binned features. A criterion keeps the statistics of the node being split and
 * finds a feature's best split in two steps: gather the node's rows into per-bin statistics, then
 * scan the bins in order. Gathering is a histogram pass when the node has many rows for the
 * feature's bins; for a small node it sorts the rows' bin numbers instead and keeps only the bins
 * present, so a deep node costs O(m log m), not O(bins) (measured in docs/FOREST.md).
 *
 * Splits are ranked by a proxy of the impurity decrease, as scikit-learn does: the parent's term is
 * the same for every candidate, so only the children's terms are computed.
 *   squared error: sL²/wL + sR²/wR                      (s = Σ w·y, w = Σ weights)
 *   gini:          Σk lk²/wL + Σk rk²/wR                 (lk, rk = class weights left, right)
 *   entropy:       −(wL ln wL − Σk lk ln lk) − (wR ln wR − Σk rk ln rk)
 * The weighted impurity decrease of a split (feature importances) is its proxy minus the proxy of the
 * node as a whole.
 *
 * Row weights are bootstrap counts. `minSamplesLeaf` counts distinct rows (scikit-learn's meaning).
 */

export type CriterionName = 'squared_error' | 'gini' | 'entropy';

export interface SplitCriterion {
  /** Values per leaf: 1 (the mean) for regression, one probability per class for classification. */
  readonly outputs: number;
  /** Row weights for the next tree (0 = not in the bootstrap sample). */
  setWeights(weights: Float64Array): void;
  /** Gathers the statistics of rows[start, end); true when the node is pure (nothing to split). */
  beginNode(rows: Int32Array, start: number, end: number): boolean;
  /** The proxy of the unsplit node. */
  nodeProxy(): number;
  /** Writes the node's leaf value(s) at out[at …]. */
  leafValue(out: number[], at: number): void;
  /**
   * Best split of one feature (its bins per row) over the node: returns the proxy, or −Infinity when
   * no split leaves ≥ minLeaf rows on both sides. The best split separates bins ≤ `leftBin` from bins
   * ≥ `rightBin` (the node has no rows in between): any edge leftBin … rightBin − 1 does it.
   */
  scan(
    bins: Uint16Array,
    binCount: number,
    rows: Int32Array,
    start: number,
    end: number,
    minLeaf: number,
  ): number;
  readonly leftBin: number;
  readonly rightBin: number;
  /** Whether the last scanned feature had a single value over the node. */
  readonly constant: boolean;
}

/** Nodes of at most this many rows may gather by sorting (the row's offset takes 12 bits of a key). */
const SORT_MAX_ROWS = 4096;
/** Gather by sorting when rows × this < the feature's bins. */
const SORT_FACTOR = 8;

/**
 * When to sort: then `sortByBin` leaves the node's rows ordered by bin in `keys` (bin << 12 | offset
 * from start) and returns how many; otherwise returns −1.
 */
function sortByBin(
  bins: Uint16Array,
  binCount: number,
  rows: Int32Array,
  start: number,
  end: number,
  keys: Uint32Array,
): number {
  const m = end - start;
  if (m > SORT_MAX_ROWS || m * SORT_FACTOR >= binCount) return -1;
  for (let i = 0; i < m; i++) keys[i] = ((bins[rows[start + i] as number] as number) << 12) | i;
  keys.subarray(0, m).sort();
  return m;
}

/**
 * Where a gather left the node's per-group statistics: a group is a bin (histogram), or the i-th bin
 * present in the node (sorted: its bin number is in `binIds`).
 */
interface Gathered {
  /** First and last group. */
  lo: number;
  hi: number;
  /** Whether groups are compacted (sorted path): group g is bin `binIds[g]`; else group g is bin g. */
  compact: boolean;
}

export class SquaredError implements SplitCriterion {
  readonly outputs = 1;
  leftBin = 0;
  rightBin = 0;
  constant = true;
  /** Per group: distinct rows, weight, weighted sum of y (interleaved: one cache line serves a group). */
  private readonly hist: Float64Array;
  private readonly binIds: Uint16Array;
  private readonly keys = new Uint32Array(SORT_MAX_ROWS);
  private readonly gathered: Gathered = { lo: 0, hi: 0, compact: false };
  private weights: Float64Array = new Float64Array(0);
  private readonly weighted: Float64Array;
  private count = 0;
  private weight = 0;
  private sum = 0;

  /** maxBinCount: the most bins any feature has. */
  constructor(
    private readonly y: Float64Array,
    maxBinCount: number,
  ) {
    this.weighted = new Float64Array(y.length);
    this.hist = new Float64Array(3 * maxBinCount);
    this.binIds = new Uint16Array(maxBinCount);
  }

  setWeights(weights: Float64Array): void {
    this.weights = weights;
    for (let r = 0; r < weights.length; r++)
      this.weighted[r] = (weights[r] as number) * (this.y[r] as number);
  }

  beginNode(rows: Int32Array, start: number, end: number): boolean {
    const { weights, weighted, y } = this;
    let weight = 0;
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = start; i < end; i++) {
      const r = rows[i] as number;
      weight += weights[r] as number;
      sum += weighted[r] as number;
      const v = y[r] as number;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    this.count = end - start;
    this.weight = weight;
    this.sum = sum;
    return min === max;
  }

  nodeProxy(): number {
    return (this.sum * this.sum) / this.weight;
  }

  leafValue(out: number[], at: number): void {
    out[at] = Math.fround(this.sum / this.weight);
  }

  private gather(
    bins: Uint16Array,
    binCount: number,
    rows: Int32Array,
    start: number,
    end: number,
  ): Gathered {
    const { hist, weights, weighted, keys, binIds, gathered } = this;
    const sorted = sortByBin(bins, binCount, rows, start, end, keys);
    if (sorted >= 0) {
      let g = -1;
      let last = -1;
      for (let i = 0; i < sorted; i++) {
        const key = keys[i] as number;
        const b = key >>> 12;
        const r = rows[start + (key & 0xfff)] as number;
        if (b !== last) {
          binIds[++g] = b;
          last = b;
        }
        const k = 3 * g;
        hist[k] = (hist[k] as number) + 1;
        hist[k + 1] = (hist[k + 1] as number) + (weights[r] as number);
        hist[k + 2] = (hist[k + 2] as number) + (weighted[r] as number);
      }
      gathered.lo = 0;
      gathered.hi = g;
      gathered.compact = true;
      return gathered;
    }
    let lo = binCount;
    let hi = 0;
    for (let i = start; i < end; i++) {
      const r = rows[i] as number;
      const b = bins[r] as number;
      const k = 3 * b;
      hist[k] = (hist[k] as number) + 1;
      hist[k + 1] = (hist[k + 1] as number) + (weights[r] as number);
      hist[k + 2] = (hist[k + 2] as number) + (weighted[r] as number);
      if (b < lo) lo = b;
      if (b > hi) hi = b;
    }
    gathered.lo = lo;
    gathered.hi = hi;
    gathered.compact = false;
    return gathered;
  }

  scan(
    bins: Uint16Array,
    binCount: number,
    rows: Int32Array,
    start: number,
    end: number,
    minLeaf: number,
  ): number {
    const { lo, hi, compact } = this.gather(bins, binCount, rows, start, end);
    const { hist, binIds, count, weight, sum } = this;
    let best = Number.NEGATIVE_INFINITY;
    let cL = 0;
    let wL = 0;
    let sL = 0;
    let prev = -1;
    for (let g = lo; g <= hi; g++) {
      const k = 3 * g;
      const c = hist[k] as number;
      if (c === 0) continue;
      const b = compact ? (binIds[g] as number) : g;
      if (cL >= minLeaf) {
        if (count - cL < minLeaf) break;
        const sR = sum - sL;
        const proxy = (sL * sL) / wL + (sR * sR) / (weight - wL);
        if (proxy > best) {
          best = proxy;
          this.leftBin = prev;
          this.rightBin = b;
        }
      }
      cL += c;
      wL += hist[k + 1] as number;
      sL += hist[k + 2] as number;
      prev = b;
    }
    this.constant = lo === hi;
    hist.fill(0, 3 * lo, 3 * hi + 3);
    return best;
  }
}

export class ClassImpurity implements SplitCriterion {
  leftBin = 0;
  rightBin = 0;
  constant = true;
  /** Distinct rows per group. */
  private readonly counts: Float64Array;
  /** Class weights per group: group × classes + class. */
  private readonly hist: Float64Array;
  private readonly binIds: Uint16Array;
  private readonly keys = new Uint32Array(SORT_MAX_ROWS);
  private readonly gathered: Gathered = { lo: 0, hi: 0, compact: false };
  private readonly left: Float64Array;
  private readonly right: Float64Array;
  private readonly totals: Float64Array;
  private weights: Float64Array = new Float64Array(0);
  private count = 0;
  private weight = 0;
  private readonly entropy: boolean;

  /** labels: class indices 0 … classes − 1; maxBinCount: the most bins any feature has. */
  constructor(
    private readonly labels: Int32Array,
    readonly outputs: number,
    criterion: 'gini' | 'entropy',
    maxBinCount: number,
  ) {
    this.entropy = criterion === 'entropy';
    this.counts = new Float64Array(maxBinCount);
    this.hist = new Float64Array(maxBinCount * outputs);
    this.binIds = new Uint16Array(maxBinCount);
    this.left = new Float64Array(outputs);
    this.right = new Float64Array(outputs);
    this.totals = new Float64Array(outputs);
  }

  setWeights(weights: Float64Array): void {
    this.weights = weights;
  }

  beginNode(rows: Int32Array, start: number, end: number): boolean {
    const { weights, labels, totals } = this;
    totals.fill(0);
    let weight = 0;
    for (let i = start; i < end; i++) {
      const r = rows[i] as number;
      const w = weights[r] as number;
      const k = labels[r] as number;
      totals[k] = (totals[k] as number) + w;
      weight += w;
    }
    this.count = end - start;
    this.weight = weight;
    let present = 0;
    for (let k = 0; k < this.outputs; k++) if ((totals[k] as number) > 0) present++;
    return present <= 1;
  }

  nodeProxy(): number {
    return this.childProxy(this.totals, this.weight);
  }

  leafValue(out: number[], at: number): void {
    for (let k = 0; k < this.outputs; k++)
      out[at + k] = Math.fround((this.totals[k] as number) / this.weight);
  }

  /** One child's term of the proxy. */
  private childProxy(classWeights: Float64Array, weight: number): number {
    let acc = 0;
    if (this.entropy) {
      for (let k = 0; k < this.outputs; k++) {
        const c = classWeights[k] as number;
        if (c > 0) acc += c * Math.log(c);
      }
      return acc - weight * Math.log(weight);
    }
    for (let k = 0; k < this.outputs; k++) {
      const c = classWeights[k] as number;
      acc += c * c;
    }
    return acc / weight;
  }

  private gather(
    bins: Uint16Array,
    binCount: number,
    rows: Int32Array,
    start: number,
    end: number,
  ): Gathered {
    const { counts, hist, weights, labels, keys, binIds, gathered, outputs: K } = this;
    const sorted = sortByBin(bins, binCount, rows, start, end, keys);
    if (sorted >= 0) {
      let g = -1;
      let last = -1;
      for (let i = 0; i < sorted; i++) {
        const key = keys[i] as number;
        const b = key >>> 12;
        const r = rows[start + (key & 0xfff)] as number;
        if (b !== last) {
          binIds[++g] = b;
          last = b;
        }
        counts[g] = (counts[g] as number) + 1;
        const k = g * K + (labels[r] as number);
        hist[k] = (hist[k] as number) + (weights[r] as number);
      }
      gathered.lo = 0;
      gathered.hi = g;
      gathered.compact = true;
      return gathered;
    }
    let lo = binCount;
    let hi = 0;
    for (let i = start; i < end; i++) {
      const r = rows[i] as number;
      const b = bins[r] as number;
      counts[b] = (counts[b] as number) + 1;
      const k = b * K + (labels[r] as number);
      hist[k] = (hist[k] as number) + (weights[r] as number);
      if (b < lo) lo = b;
      if (b > hi) hi = b;
    }
    gathered.lo = lo;
    gathered.hi = hi;
    gathered.compact = false;
    return gathered;
  }

  scan(
    bins: Uint16Array,
    binCount: number,
    rows: Int32Array,
    start: number,
    end: number,
    minLeaf: number,
  ): number {
    const { lo, hi, compact } = this.gather(bins, binCount, rows, start, end);
    const { counts, hist, binIds, left, right, totals, outputs: K, count, weight } = this;
    left.fill(0);
    let best = Number.NEGATIVE_INFINITY;
    let cL = 0;
    let wL = 0;
    let prev = -1;
    for (let g = lo; g <= hi; g++) {
      const c = counts[g] as number;
      if (c === 0) continue;
      const b = compact ? (binIds[g] as number) : g;
      if (cL >= minLeaf) {
        if (count - cL < minLeaf) break;
        for (let k = 0; k < K; k++) right[k] = (totals[k] as number) - (left[k] as number);
        const proxy = this.childProxy(left, wL) + this.childProxy(right, weight - wL);
        if (proxy > best) {
          best = proxy;
          this.leftBin = prev;
          this.rightBin = b;
        }
      }
      cL += c;
      for (let k = 0; k < K; k++) {
        const h = hist[g * K + k] as number;
        left[k] = (left[k] as number) + h;
        wL += h;
      }
      prev = b;
    }
    this.constant = lo === hi;
    counts.fill(0, lo, hi + 1);
    hist.fill(0, lo * K, (hi + 1) * K);
    return best;
  }
}
