/**
 * Option parsers shared by the simulator's commands (generate-history, simulate, import): they turn
 * bad input into commander's "error: option '--x <n>' argument 'y' is invalid. …" messages.
 */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../../simulator/time.js';

export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number ${min}–${max}.`);
    }
    return n;
  };
}

export function positiveNumber(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0.');
  return n;
}

export function duration(text: string): number {
  try {
    const ms = parseDuration(text);
    if (ms <= 0) throw new Error('must be longer than 0');
    return ms;
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message}.`);
  }
}

/** "+07:00", "-0530", "420" (minutes) → minutes east of UTC. */
export function utcOffset(text: string): number {
  const minutes = /^[-+]?\d+$/.test(text) ? Number(text) : undefined;
  const match = /^([-+])(\d{2}):?(\d{2})$/.exec(text);
  const value =
    minutes ??
    (match === null ? Number.NaN : (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])));
  if (!Number.isFinite(value) || Math.abs(value) > 14 * 60) {
    throw new InvalidArgumentError('expected an offset such as +07:00, -0530 or 420 (minutes).');
  }
  return value;
}

/** The message of whatever was thrown, for a one-line CLI error. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
