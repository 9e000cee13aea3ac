/**
 * Maintenance-duration predictions: the current model (ModelStore → loadPredictor, cached per container
 * and re-checked every minute, so a newly trained model is served without a deploy) and the original
 * API's response: `prediction_formatted` in hours ("2.35 jam"), `model_info`, and a recommendation by
 * duration band.
 */
import type { MaintenancePredictor, ModelStore } from '../../core/ports.js';

export type LoadPredictor = (body: string, version?: string) => MaintenancePredictor;

export type PredictorLookup =
  | { readonly ok: true; readonly predictor: MaintenancePredictor }
  | { readonly ok: false; readonly message: string };

export const MODEL_RECHECK_MS = 60_000;

export class PredictorCache {
  private current: { version: string; predictor: MaintenancePredictor } | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly models: ModelStore,
    private readonly load: LoadPredictor,
    private readonly clock: () => number,
    private readonly where: string,
  ) {}

  async get(): Promise<PredictorLookup> {
    const now = this.clock();
    if (this.current !== undefined && now - this.checkedAt < MODEL_RECHECK_MS) {
      return { ok: true, predictor: this.current.predictor };
    }
    let stored: Awaited<ReturnType<ModelStore['latest']>>;
    try {
      stored = await this.models.latest();
    } catch (error) {
      // Keep serving the model we have through a store outage.
      if (this.current !== undefined) return { ok: true, predictor: this.current.predictor };
      return { ok: false, message: `The model store is unreachable: ${messageOf(error)}` };
    }
    this.checkedAt = now;
    if (stored === undefined) {
      this.current = undefined;
      return {
        ok: false,
        message: `No trained model found at ${this.where}. Train one with "flexotwin train" and try again.`,
      };
    }
    if (this.current?.version !== stored.version) {
      try {
        this.current = { version: stored.version, predictor: this.load(stored.body, stored.version) };
      } catch (error) {
        this.current = undefined;
        return { ok: false, message: `Model ${stored.version} could not be loaded: ${messageOf(error)}` };
      }
    }
    return { ok: true, predictor: this.current.predictor };
  }
}

/** Duration bands of the recommendation (hours). */
export const RECOMMENDATION_BANDS = [
  { below: 1, text: 'Short maintenance expected. Handle it in the next planned stop.' },
  { below: 4, text: 'Maintenance needed soon. Prepare the maintenance team.' },
  {
    below: Number.POSITIVE_INFINITY,
    text: 'Major maintenance expected. Plan a production stop, spare parts and a full maintenance crew.',
  },
] as const;

export function recommendationFor(hours: number): string {
  return (RECOMMENDATION_BANDS.find((b) => hours < b.below) ?? RECOMMENDATION_BANDS[2]).text;
}

export interface PredictionBody {
  success: true;
  prediction: number;
  prediction_formatted: string;
  input_data: Record<string, number>;
  timestamp: string;
  model_info: { algorithm: string; trained_on: string; version: string; [key: string]: unknown };
  recommendation: string;
}

/** Features the model needs that the input does not carry. */
export function missingFeatures(
  predictor: MaintenancePredictor,
  input: Readonly<Record<string, number>>,
): string[] {
  return predictor.features.filter((f) => typeof input[f] !== 'number');
}

export function predict(
  predictor: MaintenancePredictor,
  input: Readonly<Record<string, number>>,
  now: number,
): PredictionBody {
  const hours = predictor.predict(input);
  if (!Number.isFinite(hours)) throw new Error(`model ${predictor.version} predicted ${hours}`);
  const prediction = Math.round(Math.max(0, hours) * 100) / 100;
  return {
    success: true,
    prediction,
    prediction_formatted: `${prediction.toFixed(2)} jam`,
    input_data: { ...input },
    timestamp: new Date(now).toISOString(),
    model_info: modelInfo(predictor),
    recommendation: recommendationFor(prediction),
  };
}

function modelInfo(predictor: MaintenancePredictor): PredictionBody['model_info'] {
  const info = predictor.info;
  const algorithm = typeof info.algorithm === 'string' ? info.algorithm : 'Random Forest Regressor';
  const rows = typeof info.training_rows === 'number' ? info.training_rows : undefined;
  const range = info.date_range as { from?: unknown; to?: unknown } | null | undefined;
  const span =
    range != null && typeof range.from === 'string' && typeof range.to === 'string'
      ? ` from ${range.from} to ${range.to}`
      : '';
  const trainedOn =
    typeof info.trained_on === 'string'
      ? info.trained_on
      : rows !== undefined
        ? `${rows} historical production records${span}`
        : 'historical production data';
  return { ...info, algorithm, trained_on: trainedOn, version: predictor.version };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
