/**
 * The Random Forest of FlexoTwin's maintenance-duration prediction (and, later, failure
 * classification): pure training, a compact versioned artifact, and fast single-row serving.
 * See docs/FOREST.md for the design and its measurements.
 */
export {
  ARTIFACT_FORMAT,
  ARTIFACT_VERSION,
  type Artifact,
  type ArtifactInfo,
  type HoldoutMetrics,
  parseArtifact,
  serializeArtifact,
  type TrainingInfo,
} from './artifact.js';
export { binFeatures, binOf, featureEdges, MAX_BINS } from './binning.js';
export type { CriterionName } from './criteria.js';
export {
  type CsvTable,
  columnIndex,
  csvDataset,
  type Dataset,
  DatasetError,
  type DateRange,
  dateRangeOf,
  numericColumns,
  parseCsv,
  parseNumber,
  rowsWithValue,
} from './dataset.js';
export {
  type ForestData,
  type ForestOptions,
  type Hyperparameters,
  type MaxFeatures,
  resolveFeaturesPerSplit,
  type TrainedForest,
  trainForest,
} from './forest.js';
export {
  accuracy,
  meanAbsoluteError,
  r2Score,
  rootMeanSquaredError,
  type Split,
  trainTestSplit,
} from './metrics.js';
export { CompiledForest, type ForestModel, type Task } from './model.js';
export { loadPredictor, modelVersion } from './predictor.js';
export {
  isReportLayout,
  MAINTENANCE_FEATURES,
  MAINTENANCE_TARGET,
  maintenanceDataset,
  type TrainedModel,
  type TrainModelOptions,
  type TrainSummary,
  trainMaintenanceModel,
  trainModel,
} from './train-model.js';
