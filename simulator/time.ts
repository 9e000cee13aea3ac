/**
 * Calendar facts the simulator shares with the reports it writes and reads: durations as people type
 * them ("5s", "1m30s"), the three 8 h shifts (06:00, 14:00, 22:00 UTC, as core/oee.ts counts them),
 * and the Indonesian month names of the original report files ("Laporan Flexo Oktober 2024.csv").
 */
import { SHIFT_MS } from '../lambdas/core/oee.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const SHIFT_MINUTES = SHIFT_MS / MINUTE_MS;
/** Shift 1 starts at 06:00 UTC; shift 2 at 14:00; shift 3 at 22:00 and runs into the next day. */
export const FIRST_SHIFT_HOUR_UTC = 6;

export type ShiftNumber = 1 | 2 | 3;

export const INDONESIAN_MONTHS = [
  'Januari',
  'Februari',
  'Maret',
  'April',
  'Mei',
  'Juni',
  'Juli',
  'Agustus',
  'September',
  'Oktober',
  'November',
  'Desember',
] as const;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS };

/**
 * "500ms", "5s", "2m", "1h", "1d" or combinations ("1m30s"); a bare number is seconds.
 * Throws with the offending text on anything else.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let end = 0;
  for (let match = part.exec(trimmed); match !== null; match = part.exec(trimmed)) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    end = part.lastIndex;
  }
  if (end === 0 || end !== trimmed.length) {
    throw new Error(`"${text}" is not a duration (examples: 500ms, 5s, 2m, 1h30m, 1d)`);
  }
  return Math.round(total);
}

/** The shortest readable form of a duration: 90000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let text = '';
  for (const [unit, size] of [
    ['d', DAY_MS],
    ['h', HOUR_MS],
    ['m', MINUTE_MS],
    ['s', 1000],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * size;
  }
  return rest > 0 ? `${text}${rest}ms` : text;
}

/** Epoch ms of midnight UTC of a "YYYY-MM-DD" date; throws on anything that is not a real date. */
export function parseDate(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) throw new Error(`"${text}" is not a date (YYYY-MM-DD)`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new Error(`"${text}" is not a real date`);
  }
  return ms;
}

/** "YYYY-MM-DD" of the UTC day containing `ms`. */
export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Start (epoch ms) of shift `shift` of the day `date` ("YYYY-MM-DD"). */
export function shiftStartOf(date: string, shift: ShiftNumber): number {
  return parseDate(date) + (FIRST_SHIFT_HOUR_UTC + (shift - 1) * 8) * HOUR_MS;
}

/** The report date and shift number of the shift that starts at `start` (a shift boundary). */
export function shiftOf(start: number): { date: string; shift: ShiftNumber } {
  const sinceFirst = start - FIRST_SHIFT_HOUR_UTC * HOUR_MS;
  const day = Math.floor(sinceFirst / DAY_MS) * DAY_MS;
  const shift = (Math.floor((sinceFirst - day) / SHIFT_MS) + 1) as ShiftNumber;
  return { date: formatDate(day), shift };
}

/** First day of the month `offset` months after the month of `from` (UTC). */
export function addMonths(from: number, offset: number): number {
  const d = new Date(from);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1);
}

/** "Laporan Flexo Oktober 2024.csv" for the month containing `ms`. */
export function reportFileName(ms: number): string {
  const d = new Date(ms);
  return `Laporan Flexo ${INDONESIAN_MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}.csv`;
}

/** The month (1–12) and year of a report file name, or undefined when the name is not one. */
export function parseReportFileName(name: string): { year: number; month: number } | undefined {
  const match = /^Laporan Flexo (\p{L}+) (\d{4})\.csv$/iu.exec(name);
  if (match === null) return undefined;
  const index = INDONESIAN_MONTHS.findIndex((m) => m.toLowerCase() === (match[1] as string).toLowerCase());
  return index < 0 ? undefined : { year: Number(match[2]), month: index + 1 };
}
