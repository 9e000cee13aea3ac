/**
 * Feature binning: every feature column becomes bin numbers (Uint16), so a split search is a
 * histogram pass over a node's rows (or, for a small node, a sort of its rows' bin numbers) and a
 * scan over the node's bins — never a sort of float values.
 *
 * A feature with ≤ maxBins distinct values (default 65,535, so in practice every feature of a
 * production report) gets one bin per value and an edge between each pair of neighbours: split
 * search is exact, as in scikit-learn, not approximated by 255 quantile bins (measured in
 * docs/FOREST.md: 255 bins cost ~2 % RMSE on data with sharp thresholds). Beyond maxBins distinct
 * values, edges are quantiles (~equal row counts per bin, never cutting a run of equal values).
 *
 * Edges are float32 values — the artifact stores thresholds as float32 — chosen so that
 * `x <= edge[b]` ⟺ `binOf(edges, x) <= b` holds for float64 inputs: a model predicts on raw values
 * with the outcome training saw on bins. Two values closer than float32 can separate (relative
 * ~6e-8) share a bin.
 */

export const MAX_BINS = 65_535;

export interface BinnedFeatures {
  /** Rows per feature. */
  readonly rows: number;
  /** Per feature, ascending float32-exact thresholds; bin b holds edges[b-1] < x <= edges[b]. */
  readonly edges: readonly Float64Array[];
  /** Feature-major bins: the bin of row r of feature f is at f × rows + r. */
  readonly bins: Uint16Array;
  /** Per feature and bin, the smallest and the largest value in it (one value for an exact bin). */
  readonly low: readonly Float64Array[];
  readonly high: readonly Float64Array[];
}

const f32 = new Float32Array(1);
const f32Bits = new Int32Array(f32.buffer);

/** The smallest float32 greater than the float32 x. */
function nextFloat32Up(x: number): number {
  if (x === 0) return 1.401298464324817e-45;
  f32[0] = x;
  f32Bits[0] = (f32Bits[0] as number) + (x > 0 ? 1 : -1);
  return f32[0] as number;
}

/**
 * A float32 threshold t with a <= t < b between neighbouring values a < b: the float32 nearest
 * their midpoint (scikit-learn's threshold) if it separates them, else the float32 at or just above
 * a; undefined when no float32 separates them.
 */
export function separatingThreshold(a: number, b: number): number | undefined {
  const mid = Math.fround(a / 2 + b / 2);
  if (mid >= a && mid < b) return mid;
  let t = Math.fround(a);
  if (t < a) t = nextFloat32Up(t);
  return t >= a && t < b && Number.isFinite(t) ? t : undefined;
}

/** Split thresholds for one column (finite values), at most maxBins − 1 of them. */
export function featureEdges(column: Float64Array, maxBins: number = MAX_BINS): Float64Array {
  const sorted = Float64Array.from(column).sort();
  const n = sorted.length;
  let distinct = n === 0 ? 0 : 1;
  for (let i = 1; i < n; i++) if ((sorted[i] as number) !== (sorted[i - 1] as number)) distinct++;
  const edges: number[] = [];
  const cutAt = (i: number) => {
    const edge = separatingThreshold(sorted[i - 1] as number, sorted[i] as number);
    if (edge !== undefined && (edges.length === 0 || edge > (edges[edges.length - 1] as number)))
      edges.push(edge);
  };
  if (distinct <= maxBins) {
    for (let i = 1; i < n; i++) if ((sorted[i] as number) !== (sorted[i - 1] as number)) cutAt(i);
  } else {
    // For each of the maxBins − 1 target positions, cut at the first change of value at or after it.
    for (let k = 1; k < maxBins; k++) {
      let i = Math.max(1, Math.floor((k * n) / maxBins));
      while (i < n && (sorted[i] as number) === (sorted[i - 1] as number)) i++;
      if (i < n) cutAt(i);
    }
  }
  return Float64Array.from(edges);
}

/** The bin of x: the first edge x does not exceed, or edges.length past the last one. */
export function binOf(edges: Float64Array, x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x <= (edges[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function binFeatures(columns: readonly Float64Array[], maxBins: number = MAX_BINS): BinnedFeatures {
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > MAX_BINS)
    throw new RangeError(`maxBins must be a whole number within 2..${MAX_BINS}`);
  const rows = columns[0]?.length ?? 0;
  const bins = new Uint16Array(columns.length * rows);
  const low: Float64Array[] = [];
  const high: Float64Array[] = [];
  const edges = columns.map((column, f) => {
    const e = featureEdges(column, maxBins);
    const out = bins.subarray(f * rows, (f + 1) * rows);
    const lo = new Float64Array(e.length + 1).fill(Number.POSITIVE_INFINITY);
    const hi = new Float64Array(e.length + 1).fill(Number.NEGATIVE_INFINITY);
    for (let r = 0; r < rows; r++) {
      const x = column[r] as number;
      const b = binOf(e, x);
      out[r] = b;
      if (x < (lo[b] as number)) lo[b] = x;
      if (x > (hi[b] as number)) hi[b] = x;
    }
    low.push(lo);
    high.push(hi);
    return e;
  });
  return { rows, edges, bins, low, high };
}
