/**
 * The production hall's climate, a pure function of the plant seed and the time, so the history
 * generator and a live device replaying it see the same weather. A tropical plant (West Java, WIB =
 * UTC+7): warm all year, hottest in the dry-to-wet transition (Oct, Apr–May), most humid in the wet
 * season (Dec–Feb); a daily cycle peaking at 14:00 local; day-to-day weather on top.
 * Values stay inside the environment rules (ambient ≤ 40 °C, humidity ≤ 85 %) with room to spare:
 * environment alarms are not part of the fault catalogue.
 */
import { unitHash } from './seeds.js';
import { DAY_MS, HOUR_MS } from './time.js';

/** Monthly means, January first: hall temperature °C and relative humidity %. */
const MONTHLY_TEMP_C = [28.0, 28.0, 28.6, 29.5, 30.0, 29.5, 29.0, 29.4, 30.0, 30.5, 29.6, 28.6];
const MONTHLY_HUMIDITY = [75, 75, 73, 71, 69, 67, 65, 63, 63, 66, 70, 74];
const DIURNAL_TEMP_C = 2.4;
const DIURNAL_HUMIDITY = 4;
/** Local 14:00 (UTC+7) in UTC hours: the warmest, driest time of day. */
const PEAK_HOUR_UTC = 7;
const WEATHER_TEMP_C = 0.8;
const WEATHER_HUMIDITY = 1.2;

export interface Climate {
  readonly temperatureC: number;
  readonly humidityPct: number;
}

/** An approximately standard-normal, bounded (±3) number that is a pure function of its key. */
function hashedNormal(...key: readonly (number | string)[]): number {
  return (unitHash(...key, 1) + unitHash(...key, 2) + unitHash(...key, 3) - 1.5) * 2;
}

/**
 * The month containing the last time asked about. Generators and devices walk forward in time, so a
 * one-month memo turns the calendar arithmetic of every sample into two comparisons.
 */
const month = { start: 0, end: -1, index: 0 };

function monthPosition(t: number): number {
  if (t < month.start || t >= month.end) {
    const d = new Date(t);
    month.start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    month.end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    month.index = d.getUTCMonth();
  }
  return month.index + (t - month.start) / (month.end - month.start);
}

/** Monthly table value at month position `position`, interpolated between mid-months (no step on the 1st). */
function seasonal(table: readonly number[], position: number): number {
  const shifted = position - 0.5;
  const i = Math.floor(shifted);
  const frac = shifted - i;
  const a = table[(i + 12) % 12] as number;
  const b = table[(i + 13) % 12] as number;
  return a + (b - a) * frac;
}

/** Day-to-day weather of the last two days asked about: one value per day and quantity. */
const days = { seed: Number.NaN, day: Number.NaN, tempA: 0, tempB: 0, rhA: 0, rhB: 0 };

export function climateAt(seed: number, t: number): Climate {
  // Weather values belong to noons and are interpolated between them.
  const position = (t - DAY_MS / 2) / DAY_MS;
  const day = Math.floor(position);
  if (day !== days.day || seed !== days.seed) {
    days.seed = seed;
    days.day = day;
    days.tempA = hashedNormal(seed, 'temp', day);
    days.tempB = hashedNormal(seed, 'temp', day + 1);
    days.rhA = hashedNormal(seed, 'rh', day);
    days.rhB = hashedNormal(seed, 'rh', day + 1);
  }
  const frac = position - day;
  const hourUtc = (t % DAY_MS) / HOUR_MS;
  const daily = Math.cos((2 * Math.PI * (hourUtc - PEAK_HOUR_UTC)) / 24);
  const m = monthPosition(t);
  return {
    temperatureC:
      seasonal(MONTHLY_TEMP_C, m) +
      DIURNAL_TEMP_C * daily +
      WEATHER_TEMP_C * (days.tempA + (days.tempB - days.tempA) * frac),
    humidityPct:
      seasonal(MONTHLY_HUMIDITY, m) -
      DIURNAL_HUMIDITY * daily +
      WEATHER_HUMIDITY * (days.rhA + (days.rhB - days.rhA) * frac),
  };
}
