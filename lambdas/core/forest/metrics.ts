/** Regression metrics and a seeded train/test split. */
import { createRandom } from '../random.js';

type Values = ArrayLike<number>;

function checkLengths(truth: Values, predicted: Values): void {
  if (truth.length !== predicted.length)
    throw new RangeError(`${truth.length} true values but ${predicted.length} predictions`);
  if (truth.length === 0) throw new RangeError('no values to score');
}

/** Coefficient of determination; for a constant truth, 1 if predicted exactly, else 0 (as scikit-learn). */
export function r2Score(truth: Values, predicted: Values): number {
  checkLengths(truth, predicted);
  let mean = 0;
  for (let i = 0; i < truth.length; i++) mean += truth[i] as number;
  mean /= truth.length;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] as number;
    residual += (t - (predicted[i] as number)) ** 2;
    total += (t - mean) ** 2;
  }
  if (total === 0) return residual === 0 ? 1 : 0;
  return 1 - residual / total;
}

export function meanAbsoluteError(truth: Values, predicted: Values): number {
  checkLengths(truth, predicted);
  let sum = 0;
  for (let i = 0; i < truth.length; i++) sum += Math.abs((truth[i] as number) - (predicted[i] as number));
  return sum / truth.length;
}

export function rootMeanSquaredError(truth: Values, predicted: Values): number {
  checkLengths(truth, predicted);
  let sum = 0;
  for (let i = 0; i < truth.length; i++) sum += ((truth[i] as number) - (predicted[i] as number)) ** 2;
  return Math.sqrt(sum / truth.length);
}

export function accuracy(truth: Values, predicted: Values): number {
  checkLengths(truth, predicted);
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) correct++;
  return correct / truth.length;
}

export interface Split {
  /** Row indices, ascending. */
  readonly train: Int32Array;
  readonly test: Int32Array;
}

/** A seeded shuffle of 0 … rows − 1, ⌈testFraction × rows⌉ of them held out (scikit-learn's rounding). */
export function trainTestSplit(rows: number, testFraction: number, seed: number): Split {
  if (!(testFraction >= 0 && testFraction < 1)) throw new RangeError('testFraction must be in [0, 1)');
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  const random = createRandom(seed);
  for (let i = rows - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  const testRows = Math.ceil(testFraction * rows);
  if (testRows >= rows && rows > 0)
    throw new RangeError(`testFraction ${testFraction} leaves no training rows`);
  return { test: order.slice(0, testRows).sort(), train: order.slice(testRows).sort() };
}
