/** How the dashboard writes numbers, times and states. */
import { describe, expect, it } from 'vitest';
import {
  categoryLabel,
  formatAlarmValue,
  formatDuration,
  formatHours,
  formatPercent,
  formatSensor,
  formatTime,
  freshness,
  relativeTime,
  SENSOR_DISPLAY,
  stateLabel,
  timeAxisLabels,
} from '../../dashboard/src/format.js';
import { SENSOR_NAMES } from '../../lambdas/core/sensors.js';

const NOW = Date.parse('2025-10-23T10:30:00.000Z');

describe('dashboard formatting', () => {
  it('shows sensor values in floor units: pressure in bar, vibration to 0.01 mm/s', () => {
    expect(formatSensor('pressure', 601_000)).toBe('6.01 bar');
    expect(formatSensor('temperature_coil', 72.44)).toBe('72.4 °C');
    expect(formatSensor('vibration_rotor', 2.1)).toBe('2.10 mm/s');
    expect(formatSensor('humidity_env', 64.4)).toBe('64 %');
    expect(formatSensor('voltage', 398)).toBe('398.0 V');
    expect(formatSensor('current', undefined)).toBe('—');
    expect(formatSensor('current', Number.NaN)).toBe('—');
    expect(formatSensor('oil_level', 12.3456)).toBe('12.35');
    // Every sensor of the pipeline has a label and a unit.
    for (const s of SENSOR_NAMES) expect(SENSOR_DISPLAY[s].unit).not.toBe('');
  });

  it("writes an alarm's values in the alarm's own unit, converted for display", () => {
    expect(formatAlarmValue('temperature_coil', '°C', 148.1)).toBe('148.1 °C');
    expect(formatAlarmValue('temperature_coil', '°C/min', 68.33)).toBe('68.3 °C/min');
    expect(formatAlarmValue('pressure', 'Pa', 525_126)).toBe('5.25 bar');
    expect(formatAlarmValue('pressure', 'Pa (σ)', 20_304)).toBe('0.20 bar (σ)');
    expect(formatAlarmValue('current', 'readings', 60)).toBe('60 readings');
    expect(formatAlarmValue('voltage', 'messages', 12)).toBe('12 messages');
  });

  it('writes percentages with one decimal and a dash for undefined figures', () => {
    expect(formatPercent(85.4)).toBe('85.4 %');
    expect(formatPercent(100)).toBe('100.0 %');
    expect(formatPercent(null)).toBe('—');
  });

  it.each([
    [NOW - 2000, 'just now'],
    [NOW + 3000, 'just now'],
    [NOW - 12_000, '12 s ago'],
    [NOW - 4 * 60_000 - 59_000, '4 min ago'],
    [NOW - 3 * 3_600_000, '3 h ago'],
    [NOW - 2 * 86_400_000, '2 d ago'],
  ])('relative time of %s', (at, text) => {
    expect(relativeTime(at, NOW)).toBe(text);
    expect(relativeTime(new Date(at).toISOString(), NOW)).toBe(text);
  });

  it('says "never" for a machine never seen and a dash for an unreadable time', () => {
    expect(relativeTime(null, NOW)).toBe('never');
    expect(relativeTime('yesterday', NOW)).toBe('—');
  });

  it('calls data live under 30 s, stale under 5 min, offline after', () => {
    const ago = (ms: number) => new Date(NOW - ms).toISOString();
    expect(freshness(ago(29_999), NOW)).toBe('live');
    expect(freshness(ago(30_000), NOW)).toBe('stale');
    expect(freshness(ago(299_999), NOW)).toBe('stale');
    expect(freshness(ago(300_000), NOW)).toBe('offline');
    expect(freshness(null, NOW)).toBe('never');
  });

  it('writes durations as an operator would say them', () => {
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(12 * 60_000)).toBe('12 min');
    expect(formatDuration(2 * 3_600_000)).toBe('2 h');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe('3 d 4 h');
    expect(formatDuration(-1)).toBe('—');
    // The original API's "2.35 jam" is 2 h 21 min.
    expect(formatHours(2.35)).toBe('2 h 21 min');
    expect(formatHours(0.78)).toBe('47 min');
  });

  it('shows the time of day today, and the date with it on another day (24-hour clock)', () => {
    const utc = { timeZone: 'UTC', now: NOW };
    expect(formatTime('2025-10-23T08:05:09.000Z', utc)).toBe('08:05:09');
    expect(formatTime('2025-10-22T23:15:00.000Z', utc)).toBe('22 Oct, 23:15');
    expect(formatTime('2025-10-23T23:15:00.000Z', { timeZone: 'Asia/Jakarta', now: NOW })).toBe(
      '24 Oct, 06:15',
    );
    expect(formatTime('not a time')).toBe('—');
  });

  it('labels time axes by the hour within two days and by the day beyond', () => {
    const s = (iso: string) => Date.parse(iso) / 1000;
    expect(timeAxisLabels([s('2025-10-23T10:30:00Z'), s('2025-10-23T14:00:00Z')], 3_600_000, 'UTC')).toEqual([
      '10:30',
      '14:00',
    ]);
    expect(timeAxisLabels([s('2025-10-20T00:00:00Z')], 7 * 86_400_000, 'UTC')).toEqual(['20 Oct']);
  });

  it('names alarm states and categories in words', () => {
    expect(stateLabel('active_unacknowledged')).toBe('Active, unacknowledged');
    expect(stateLabel('cleared')).toBe('Cleared');
    expect(categoryLabel('support_system')).toBe('Support system');
    expect(categoryLabel('sensor')).toBe('Sensor fault');
    expect(categoryLabel('unknown_kind')).toBe('unknown_kind');
  });
});
