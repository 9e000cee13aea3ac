/**
 * The model artifact: one JSON document, metadata first (readable with `head`), then the forest as
 * base64-packed little-endian typed arrays.
 *
 *   trees.nodes      u32 per tree      node count of each tree
 *   trees.feature    u8 per node, preorder (u16 when > 255 features); all ones marks a leaf
 *   trees.threshold  f32 per split node   go left when x ≤ threshold
 *   trees.value      f32 per leaf × outputs   the leaf's mean (regression) or class probabilities
 *
 * Child pointers are not stored: in preorder the left child is the next node, and a stack rebuilds
 * the right ones. A node costs 5 bytes (regression) before base64, against ~64 for a pickled
 * scikit-learn node. Thresholds and leaf values are float32 already in training (binning.ts), so
 * a loaded model predicts exactly as the trained one. The same forest and metadata serialise to the
 * same bytes.
 */
import type { DateRange } from './dataset.js';
import type { Hyperparameters } from './forest.js';
import { type ForestModel, outputsOf, type Task, validateModel } from './model.js';
import type { TreeArrays } from './tree.js';

export const ARTIFACT_FORMAT = 'flexotwin-forest';
export const ARTIFACT_VERSION = 1;

export type HoldoutMetrics =
  | { readonly r2: number; readonly mae: number; readonly rmse: number }
  | { readonly accuracy: number };

export interface TrainingInfo {
  /** Usable rows in the data, before the train/test split. */
  readonly rows: number;
  readonly train_rows: number;
  readonly test_rows: number;
  readonly date_range: DateRange | null;
  /** Out-of-bag R² (regression) or accuracy (classification). */
  readonly oob_score: number | null;
  /** On the held-out rows; null when none were held out. */
  readonly holdout: HoldoutMetrics | null;
  readonly feature_importances: Readonly<Record<string, number>>;
}

/** Everything the artifact says about the model besides the trees. */
export interface ArtifactInfo {
  readonly target: string;
  /** Supplied by the caller (the core has no clock); ISO-8601. */
  readonly created_at: string;
  readonly hyperparameters: Hyperparameters;
  readonly training: TrainingInfo;
}

export interface Artifact {
  readonly model: ForestModel;
  readonly info: ArtifactInfo;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function encode(array: ArrayBufferView): string {
  if (!LITTLE_ENDIAN) throw new Error('forest artifacts are little-endian; this platform is not');
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
}

/** Decodes base64 into a fresh (aligned) buffer of exactly `bytes` bytes (or a multiple of `unit`). */
function decode(text: unknown, bytes: number | { readonly unit: number }, what: string): ArrayBuffer {
  if (!LITTLE_ENDIAN) throw new Error('forest artifacts are little-endian; this platform is not');
  if (typeof text !== 'string') throw new Error(`artifact: ${what} is missing`);
  const raw = Buffer.from(text, 'base64');
  if (typeof bytes === 'number' ? raw.length !== bytes : raw.length % bytes.unit !== 0)
    throw new Error(
      `artifact: ${what} holds ${raw.length} bytes, ${typeof bytes === 'number' ? bytes : `a multiple of ${bytes.unit}`} expected`,
    );
  const out = new ArrayBuffer(raw.length);
  new Uint8Array(out).set(raw);
  return out;
}

export function serializeArtifact({ model, info }: Artifact): string {
  validateModel(model);
  const outputs = outputsOf(model);
  const wide = model.features.length > 255;
  const leafMark = wide ? 0xffff : 0xff;
  let nodes = 0;
  let splits = 0;
  for (const tree of model.trees) {
    nodes += tree.feature.length;
    for (const f of tree.feature) if (f >= 0) splits++;
  }
  const feature = wide ? new Uint16Array(nodes) : new Uint8Array(nodes);
  const threshold = new Float32Array(splits);
  const value = new Float32Array((nodes - splits) * outputs);
  let n = 0;
  let s = 0;
  let v = 0;
  for (const tree of model.trees) {
    for (let i = 0; i < tree.feature.length; i++) {
      const f = tree.feature[i] as number;
      if (f >= 0) {
        feature[n++] = f;
        threshold[s++] = tree.threshold[i] as number;
      } else {
        feature[n++] = leafMark;
        for (let k = 0; k < outputs; k++) value[v++] = tree.value[i * outputs + k] as number;
      }
    }
  }
  const document = {
    format: ARTIFACT_FORMAT,
    format_version: ARTIFACT_VERSION,
    task: model.task,
    target: info.target,
    features: model.features,
    ...(model.classes === undefined ? {} : { classes: model.classes }),
    created_at: info.created_at,
    hyperparameters: info.hyperparameters,
    training: info.training,
    trees: {
      count: model.trees.length,
      nodes: encode(Uint32Array.from(model.trees, (t) => t.feature.length)),
      feature_bytes: wide ? 2 : 1,
      feature: encode(feature),
      threshold: encode(threshold),
      value: encode(value),
    },
  };
  return JSON.stringify(document);
}

function fail(message: string): never {
  throw new Error(`not a usable forest artifact: ${message}`);
}

export function parseArtifact(body: string): Artifact {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body);
  } catch (error) {
    fail(`invalid JSON (${(error as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || doc.format !== ARTIFACT_FORMAT)
    fail(`"format" is not "${ARTIFACT_FORMAT}"`);
  if (doc.format_version !== ARTIFACT_VERSION)
    fail(`format_version ${String(doc.format_version)}; this reader knows ${ARTIFACT_VERSION}`);
  const task = doc.task as Task;
  if (task !== 'regression' && task !== 'classification') fail(`unknown task ${String(task)}`);
  const features = doc.features;
  if (!Array.isArray(features) || !features.every((f) => typeof f === 'string') || features.length === 0)
    fail('"features" must be a non-empty list of names');
  const classes = doc.classes;
  if (task === 'classification' && (!Array.isArray(classes) || !classes.every((c) => typeof c === 'number')))
    fail('a classification artifact needs "classes"');
  const treesDoc = (doc.trees ?? {}) as Record<string, unknown>;
  const treeCount = treesDoc.count;
  if (typeof treeCount !== 'number' || !Number.isInteger(treeCount) || treeCount < 1) fail('"trees.count"');
  const wide = treesDoc.feature_bytes === 2;
  if (!wide && treesDoc.feature_bytes !== 1) fail('"trees.feature_bytes" must be 1 or 2');
  const outputs = outputsOf({ task, classes: classes as number[] | undefined });

  const nodeCounts = new Uint32Array(decode(treesDoc.nodes, 4 * treeCount, 'trees.nodes'));
  const nodes = nodeCounts.reduce((sum, c) => sum + c, 0);
  const featureBuffer = decode(treesDoc.feature, (wide ? 2 : 1) * nodes, 'trees.feature');
  const feature = wide ? new Uint16Array(featureBuffer) : new Uint8Array(featureBuffer);
  const leafMark = wide ? 0xffff : 0xff;
  // Leaves have values, splits thresholds: their counts follow from the value bytes.
  const value = new Float32Array(decode(treesDoc.value, { unit: 4 * outputs }, 'trees.value'));
  const splits = nodes - value.length / outputs;
  const threshold = new Float32Array(decode(treesDoc.threshold, 4 * splits, 'trees.threshold'));

  const model: ForestModel = {
    task,
    features: features as string[],
    ...(task === 'classification' ? { classes: classes as number[] } : {}),
    trees: rebuildTrees(feature, leafMark, features.length, threshold, value, nodeCounts, outputs),
  };
  const info: ArtifactInfo = {
    target: String(doc.target ?? ''),
    created_at: String(doc.created_at ?? ''),
    hyperparameters: doc.hyperparameters as Hyperparameters,
    training: doc.training as TrainingInfo,
  };
  return { model, info };
}

/**
 * One pass over every node into flat arrays (each tree a view of them); a stack of the split nodes
 * still waiting for their right child rebuilds the pointers. Checks what `validateModel` would, so
 * a parsed model is valid by construction.
 */
function rebuildTrees(
  packedFeature: Uint8Array | Uint16Array,
  leafMark: number,
  featureCount: number,
  packedThreshold: Float32Array,
  packedValue: Float32Array,
  nodeCounts: Uint32Array,
  outputs: number,
): TreeArrays[] {
  const nodes = packedFeature.length;
  const feature = new Int32Array(nodes);
  const threshold = new Float32Array(nodes);
  const right = new Int32Array(nodes);
  const value = new Float32Array(nodes * outputs);
  const pending = new Int32Array(nodes);
  const trees: TreeArrays[] = [];
  let n = 0;
  let s = 0;
  let v = 0;
  for (let t = 0; t < nodeCounts.length; t++) {
    const start = n;
    const count = nodeCounts[t] as number;
    let depth = 0;
    for (let i = 0; i < count; i++, n++) {
      const f = packedFeature[n] as number;
      if (f !== leafMark) {
        const x = packedThreshold[s++] as number;
        if (f >= featureCount || !Number.isFinite(x)) fail(`tree ${t}, node ${i}: invalid split`);
        feature[n] = f;
        threshold[n] = x;
        pending[depth++] = i;
        continue;
      }
      feature[n] = -1;
      for (let k = 0; k < outputs; k++) value[n * outputs + k] = packedValue[v++] as number;
      if (depth > 0) right[start + (pending[--depth] as number)] = i + 1;
      else if (i !== count - 1) fail(`tree ${t} ends before its last node`);
    }
    if (depth > 0) fail(`tree ${t} is incomplete`);
    trees.push({
      feature: feature.subarray(start, n),
      threshold: threshold.subarray(start, n),
      right: right.subarray(start, n),
      value: value.subarray(start * outputs, n * outputs),
    });
  }
  if (s !== packedThreshold.length || v !== packedValue.length)
    fail('the split and leaf nodes do not match the thresholds and values');
  return trees;
}
