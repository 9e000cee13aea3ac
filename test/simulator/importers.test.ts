/**
 * The importers: a plant's own CSV reports (column mapping, delimiter, decimal comma, day-first dates),
 * a round trip of generated history through CSV, flat JSONL sensor records, and malformed input, which
 * must be refused with the file and line to fix.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TelemetryMessage } from '../../lambdas/core/messages.js';
import { validatePayload } from '../../lambdas/core/validate.js';
import { parseCsv, writeHistory } from '../../simulator/csv.js';
import { startFleet } from '../../simulator/fleet.js';
import { generateHistory } from '../../simulator/generator.js';
import { columnMappingSchema, importHistoryFolder, parseReportCsv } from '../../simulator/import-csv.js';
import { ImportError } from '../../simulator/import-error.js';
import { importSensorRecords, parseSensorRecords } from '../../simulator/import-jsonl.js';
import { loadHistory } from '../../simulator/load-history.js';
import { machineStats } from '../../simulator/stats.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/simulator');
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('CSV report importer', () => {
  it("reads a plant's reports through its mapping file: headers, ';', decimal comma, DD/MM/YYYY, quotes", async () => {
    const { rows, labels, files } = await importHistoryFolder(join(FIXTURES, 'plant-reports'));
    expect(files.map((f) => f.split('/').at(-1))).toEqual([
      'Laporan Flexo Januari 2025.csv',
      'Laporan Flexo Februari 2025.csv',
    ]);
    expect(labels).toEqual([]);
    expect(rows).toHaveLength(9);
    expect(rows.map((r) => `${r.tanggal}/${r.shift}/${r.mesin}`).slice(0, 4)).toEqual([
      '2025-01-01/1/C_FL104',
      '2025-01-01/1/C_FL105',
      '2025-01-01/2/C_FL104',
      '2025-01-01/2/C_FL105',
    ]);
    const breakdown = rows.find((r) => r.tanggal === '2025-01-01' && r.shift === 2 && r.mesin === 'C_FL104');
    expect(breakdown).toMatchObject({
      status: 'Downtime',
      planned_minutes: 480,
      run_minutes: 290,
      downtime_minutes: 190,
      downtime_reason: 'Kerusakan; bearing aus',
      total_produksi: 3120,
      produk_cacat: 210,
      availability_rate: 60.42,
      performance_rate: 86.07,
      quality_rate: 93.27,
      durasi_maintenance_jam: 3.5,
      jenis_maintenance: 'bearing_wear',
      temp_coil_avg: null,
    });
    expect(rows.find((r) => r.mesin === 'C_FL105' && r.shift === 3)).toMatchObject({
      status: 'Downtime',
      total_produksi: 1210,
      downtime_reason: 'Mati listrik',
    });
    expect(
      rows.find((r) => r.tanggal === '2025-01-01' && r.shift === 1 && r.mesin === 'C_FL104'),
    ).toMatchObject({
      status: 'Running',
      downtime_reason: null,
      durasi_maintenance_jam: null,
    });
    expect(machineStats(rows, 'C_FL104')).toMatchObject({ records: 5, maintenance_events: 2 });
  });

  it('replays imported reports: every message valid, production counts from the reports', async () => {
    const loaded = await loadHistory(join(FIXTURES, 'plant-reports'));
    expect(loaded.kind).toBe('reports');
    const lines: { topic: string; payload: string }[] = [];
    const fleet = startFleet({
      history: loaded.kind === 'reports' ? loaded.history : generateHistory(),
      historyTime: true,
      intervalMs: 5 * 60_000,
      speed: 1,
      clock: 'virtual',
      publish: async (topic, payload) => {
        lines.push({ topic, payload });
      },
    });
    await fleet.done;
    expect(fleet.machines).toEqual(['C_FL104', 'C_FL105']);
    for (const { topic, payload } of lines) {
      const kind = topic.endsWith('/telemetry') ? 'telemetry' : 'production';
      expect(validatePayload(kind, payload, { now: Date.now() }), payload).toMatchObject({ ok: true });
    }
    // History time: the snapshot at the end of 2025-01-01 shift 1 holds (almost) that shift's report.
    const last = lines
      .map(
        (l) =>
          JSON.parse(l.payload) as {
            machine_id: string;
            ts: string;
            total_produksi?: number;
            run_minutes?: number;
          },
      )
      .filter(
        (m) =>
          m.machine_id === 'C_FL104' && m.total_produksi !== undefined && m.ts < '2025-01-01T14:00:00.000Z',
      )
      .at(-1);
    expect(last?.ts).toBe('2025-01-01T13:55:00.000Z');
    // Its 40 min stop is laid out at the end of the shift (changeover before the handover).
    expect(last?.run_minutes).toBe(440);
    expect(last?.total_produksi).toBeGreaterThan(4980 * 0.97);
    expect(last?.total_produksi).toBeLessThan(4980 * 1.03);
  });

  it('refuses a malformed row with the file, the line and the column', async () => {
    const dir = join(FIXTURES, 'malformed-reports');
    await expect(importHistoryFolder(dir)).rejects.toThrow(ImportError);
    await expect(importHistoryFolder(dir)).rejects.toThrow(
      `${join(dir, 'Laporan Flexo Maret 2025.csv')}:3: column "produk_cacat" holds "lima puluh", which is not a number`,
    );
  });

  it.each([
    ['2025-03-01,4,C_FL104,430,4900,140', 'column "shift" holds 4; expected 1, 2 or 3'],
    ['2025-02-30,1,C_FL104,430,4900,140', 'column "tanggal" holds "2025-02-30", not a YYYY-MM-DD date'],
    ['2025-03-01,1,C_FL104,430,4900,4901', 'column "produk_cacat" holds 4901, more than total_produksi 4900'],
    [
      '2025-03-01,1,C_FL104,500,4900,140',
      'column "run_minutes" works out to 500, outside 0..planned_minutes (480)',
    ],
    ['2025-03-01,1,C FL104,430,4900,140', 'column "mesin" holds "C FL104", not a machine id'],
    [
      '2025-03-01,1,C_FL104,430,4900.5,140',
      'column "total_produksi" holds 4900.5; expected a whole number ≥ 0',
    ],
  ])('refuses %s', (row, problem) => {
    const text = `tanggal,shift,mesin,run_minutes,total_produksi,produk_cacat\n${row}\n`;
    expect(() => parseReportCsv(text, 'r.csv', columnMappingSchema.parse({}))).toThrow(`r.csv:2: ${problem}`);
  });

  it('names missing header columns, and a bad mapping file', async () => {
    expect(() => parseReportCsv('Tanggal,Shift\n', 'r.csv', columnMappingSchema.parse({}))).toThrow(
      'r.csv:1: header lacks the column(s) "total_produksi", "produk_cacat", "mesin" (map them in mapping.json)',
    );
    await expect(
      importHistoryFolder(join(FIXTURES, 'plant-reports'), { mapping: join(FIXTURES, 'sensors.jsonl') }),
    ).rejects.toThrow(/sensors\.jsonl: is not a readable JSON mapping/);
  });

  it('reads back generated history exactly: rows and labels survive the CSV round trip', async () => {
    const history = generateHistory({ seed: 9, months: 2, machines: 2 });
    const dir = await mkdtemp(join(tmpdir(), 'flexotwin-rt-'));
    dirs.push(dir);
    await writeHistory(dir, history);
    const back = await importHistoryFolder(dir);
    expect(back.rows).toEqual(history.rows);
    expect(back.labels).toEqual(history.labels);
  });

  it('parses RFC 4180 quoting: delimiters, doubled quotes and line breaks inside quotes', () => {
    expect(parseCsv('a,b\r\n"x,1","say ""hi""\nthere"\n\n3,4')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x,1', 'say "hi"\nthere'] },
      { line: 5, fields: ['3', '4'] },
    ]);
    expect(() => parseCsv('a\n"open')).toThrow('line 2: a quoted field is never closed');
  });
});

describe('JSONL sensor record importer', () => {
  it('reads flat records: naive timestamps in the plant zone, epoch seconds, missing and null sensors', async () => {
    const { records } = await importSensorRecords(join(FIXTURES, 'sensors.jsonl'), {
      utcOffsetMinutes: 7 * 60,
    });
    expect(records).toHaveLength(6);
    expect(records.map((r) => new Date(r.ts).toISOString())).toEqual([
      '2025-06-01T03:00:00.000Z',
      '2025-06-01T03:00:02.000Z',
      '2025-06-01T03:00:10.000Z',
      '2025-06-01T03:00:12.000Z',
      '2025-06-01T03:00:20.000Z',
      '2025-06-01T03:00:30.000Z',
    ]);
    expect(records[3]).toEqual({
      machine_id: 'MTR-02',
      ts: Date.parse('2025-06-01T03:00:12Z'),
      sensors: {
        temperature_coil: 71.9,
        current: 44,
        voltage: 396.9,
        pressure: 599100,
        temperature_env: 29.1,
        humidity_env: 64.9,
      },
    });
    expect(Object.keys(records[5]?.sensors ?? {})).toHaveLength(5);
  });

  it('refuses a malformed line with the file and line', async () => {
    const file = join(FIXTURES, 'sensors-malformed.jsonl');
    await expect(importSensorRecords(file)).rejects.toThrow(
      `${file}:3: "current" must be a number, got "high"`,
    );
    expect(() => parseSensorRecords('{"machine_id":"M1","ts":1,"current":1}', 'x.jsonl')).toThrow(
      'x.jsonl:1: timestamp 1 lies outside 2000–2100',
    );
    expect(() =>
      parseSensorRecords('{"machine_id":"M1","ts":1748746820,"current":1}\n{oops', 'x.jsonl'),
    ).toThrow(/^x\.jsonl:2: not valid JSON/);
    expect(() =>
      parseSensorRecords('{"machine_id":"M1","timestamp":"yesterday","current":1}', 'x.jsonl'),
    ).toThrow('x.jsonl:1: timestamp "yesterday" is not ISO-8601');
    expect(() =>
      parseSensorRecords('{"machine_id":"M1","timestamp":"2025-06-01T10:00:00Z"}', 'x.jsonl'),
    ).toThrow('x.jsonl:1: no sensor readings');
    expect(() => parseSensorRecords('[1,2]', 'x.jsonl')).toThrow(
      'x.jsonl:1: each line must be a JSON object',
    );
  });

  it('replays records as telemetry with their spacing, live or on their own timestamps', async () => {
    const loaded = await loadHistory(join(FIXTURES, 'sensors.jsonl'), { utcOffsetMinutes: 420 });
    if (loaded.kind !== 'records') throw new Error('expected sensor records');
    const capture = async (historyTime: boolean) => {
      const out: TelemetryMessage[] = [];
      const fleet = startFleet({
        history: loaded.recording,
        intervalMs: 1000,
        speed: historyTime ? 1 : 2,
        historyTime,
        ...(historyTime ? {} : { durationMs: 16_000 }),
        clock: 'virtual',
        startTime: Date.parse('2026-01-01T00:00:00Z'),
        publish: async (topic, payload) => {
          const v = validatePayload('telemetry', payload, { now: Date.parse('2027-01-01T00:00:00Z') });
          if (!v.ok) throw new Error(v.reasons.join('; '));
          expect(topic).toBe(`flexotwin/${v.message.machine_id}/telemetry`);
          out.push(v.message);
        },
      });
      await fleet.done;
      return out;
    };
    const own = await capture(true);
    expect(own.map((m) => `${m.machine_id}@${new Date(m.ts).toISOString().slice(11, 19)}`)).toEqual([
      'C_FL104@03:00:00',
      'MTR-02@03:00:02',
      'C_FL104@03:00:10',
      'MTR-02@03:00:12',
      'C_FL104@03:00:20',
      'C_FL104@03:00:30',
    ]);
    expect(own[1]?.sensors).toEqual({
      temperature_coil: 71.5,
      vibration_rotor: 1.62,
      current: 43.8,
      voltage: 397.1,
      pressure: 598800,
      temperature_env: 29.1,
      humidity_env: 64.8,
    });
    // Live at 2× speed: the 30 s recording plays in 15 s of current time, spacing halved, then loops.
    const live = (await capture(false)).filter((m) => m.machine_id === 'C_FL104');
    const start = Date.parse('2026-01-01T00:00:00Z');
    expect(live.slice(0, 4).map((m) => (m.ts - start) / 1000)).toEqual([0, 5, 10, 15]);
  });
});
