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

/** Monthly table value at `t`, interpolated linearly between mid-months so there is no step at the 1st. */
function seasonal(table: readonly number[], t: number): number {
  const d = new Date(t);
  const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const monthLength = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - monthStart;
  const position = d.getUTCMonth() + (t - monthStart) / monthLength - 0.5;
  const i = Math.floor(position);
  const frac = position - i;
  const a = table[(i + 12) % 12] as number;
  const b = table[(i + 13) % 12] as number;
  return a + (b - a) * frac;
}

/** The last days' weather values: generators and devices ask for the same few days over and over. */
const weatherCache = new Map<string, number>();

function dailyWeather(seed: number, what: string, day: number): number {
  const key = `${seed}/${what}/${day}`;
  let value = weatherCache.get(key);
  if (value === undefined) {
    if (weatherCache.size > 4096) weatherCache.clear();
    value = hashedNormal(seed, what, day);
    weatherCache.set(key, value);
  }
  return value;
}

/** Day-to-day weather: one value per day, interpolated between noons. */
function weather(seed: number, t: number, what: string): number {
  const position = (t - DAY_MS / 2) / DAY_MS;
  const day = Math.floor(position);
  const frac = position - day;
  const a = dailyWeather(seed, what, day);
  const b = dailyWeather(seed, what, day + 1);
  return a + (b - a) * frac;
}

export function climateAt(seed: number, t: number): Climate {
  const hourUtc = (t % DAY_MS) / HOUR_MS;
  const daily = Math.cos((2 * Math.PI * (hourUtc - PEAK_HOUR_UTC)) / 24);
  return {
    temperatureC:
      seasonal(MONTHLY_TEMP_C, t) + DIURNAL_TEMP_C * daily + WEATHER_TEMP_C * weather(seed, t, 'temp'),
    humidityPct:
      seasonal(MONTHLY_HUMIDITY, t) - DIURNAL_HUMIDITY * daily + WEATHER_HUMIDITY * weather(seed, t, 'rh'),
  };
}
