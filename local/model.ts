/**
 * The maintenance-duration model the API's POST /api/predict serves. On a first start the model store
 * is empty, so the runtime trains one — the original system's Random Forest (total_produksi,
 * produk_cacat → durasi_maintenance_jam) — from the generated history of the fleet and publishes it
 * like `flexotwin train --upload` would (models/<version>/model.json, then models/latest.json).
 */
import { trainMaintenanceModel } from '../lambdas/core/forest/index.js';
import type { ModelStore } from '../lambdas/core/ports.js';
import type { HistoryRow } from '../simulator/history.js';

export type ModelStatus =
  | { readonly trained: false; readonly version: string }
  | {
      readonly trained: true;
      readonly version: string;
      /** Rows with a maintenance duration it was trained on. */
      readonly rows: number;
      readonly ms: number;
      readonly holdoutR2: number | null;
    };

/** The latest model's version, training and storing one first if there is none. */
export async function ensureMaintenanceModel(
  models: ModelStore,
  history: () => readonly HistoryRow[],
  now: () => number = Date.now,
): Promise<ModelStatus> {
  const latest = await models.latest();
  if (latest !== undefined) return { trained: false, version: latest.version };
  const started = performance.now();
  const model = trainMaintenanceModel(history() as unknown as Readonly<Record<string, unknown>>[], {
    createdAt: new Date(now()).toISOString(),
  });
  await models.put({ version: model.version, body: model.body });
  return {
    trained: true,
    version: model.version,
    rows: model.summary.rows,
    ms: performance.now() - started,
    holdoutR2: model.summary.holdout_r2 ?? null,
  };
}
