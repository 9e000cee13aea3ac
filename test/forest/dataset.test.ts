import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { separatingThreshold } from '../../lambdas/core/forest/binning.js';
import {
  binOf,
  csvDataset,
  DatasetError,
  dateRangeOf,
  featureEdges,
  isReportLayout,
  loadPredictor,
  maintenanceDataset,
  meanAbsoluteError,
  numericColumns,
  parseArtifact,
  parseCsv,
  r2Score,
  rootMeanSquaredError,
  rowsWithValue,
  trainMaintenanceModel,
  trainTestSplit,
} from '../../lambdas/core/forest/index.js';

describe('parseCsv', () => {
  it('reads quoted cells, doubled quotes, CRLF, a BOM and blank lines, and numbers lines', () => {
    const text = '\ufeffa,b,c\r\n1,"x, ""y""",3\r\n\r\n4,"multi\nline",6\n7,8,9';
    const t = parseCsv(text, 'f.csv');
    expect(t.header).toEqual(['a', 'b', 'c']);
    expect(t.rows).toEqual([
      ['1', 'x, "y"', '3'],
      ['4', 'multi\nline', '6'],
      ['7', '8', '9'],
    ]);
    expect(t.lines).toEqual([2, 4, 6]);
  });

  it('detects a semicolon delimiter', () => {
    expect(parseCsv('a;b\n1,5;2\n', 'f.csv').rows).toEqual([['1,5', '2']]);
  });

  it('names the file and line of a ragged row, an unclosed quote and a duplicate column', () => {
    expect(() => parseCsv('a,b\n1,2\n3\n', 'f.csv')).toThrow(
      'f.csv:3: 1 cells, but the header has 2 columns',
    );
    expect(() => parseCsv('a,b\n1,"2\n', 'f.csv')).toThrow('f.csv:2: a quoted cell is never closed');
    expect(() => parseCsv('a,a\n1,2\n', 'f.csv')).toThrow('f.csv:1: column "a" appears twice');
    expect(() => parseCsv('', 'f.csv')).toThrow(DatasetError);
  });
});

describe('numeric columns', () => {
  const t = parseCsv('id,x,y\nA,1.5,-2e3\nB,,7\nC,abc,+.5\n', 'data.csv');

  it('parses numbers and names file, line and column of a bad cell', () => {
    const good = parseCsv('x,y\n1.5,-2e3\n2,.5\n', 'ok.csv');
    expect(numericColumns([good], ['y', 'x'])).toEqual([
      Float64Array.from([-2000, 0.5]),
      Float64Array.from([1.5, 2]),
    ]);
    expect(() => numericColumns([t], ['x'])).toThrow('data.csv:3: column "x" (column 2) is empty');
    expect(() => numericColumns([rowsWithValue(t, 'x')], ['x'])).toThrow(
      'data.csv:4: column "x" (column 2): "abc" is not a number',
    );
    expect(() => numericColumns([t], ['id'])).toThrow(
      'data.csv:2: column "id" (column 1): "A" is not a number',
    );
  });

  it('names a missing column and lists the columns there are', () => {
    expect(() => numericColumns([t], ['z'])).toThrow('data.csv: no column "z" (columns: id, x, y)');
  });

  it('concatenates tables and takes every column but the target by default', () => {
    const a = parseCsv('tanggal,x,y\n2024-10-02,1,2\n', 'a.csv');
    const b = parseCsv('y,x,tanggal\n4,3,2024-09-30\n', 'b.csv');
    const d = csvDataset([a, b], 'y', ['x']);
    expect(d.features).toEqual(['x']);
    expect(Array.from(d.y)).toEqual([2, 4]);
    expect(Array.from(d.columns[0] as Float64Array)).toEqual([1, 3]);
    expect(d.dateRange).toEqual({ from: '2024-09-30', to: '2024-10-02' });
    expect(() => csvDataset([a], 'y')).toThrow(/column "tanggal" \(column 1\): "2024-10-02" is not a number/);
  });
});

describe('metrics and split', () => {
  it('computes R², MAE and RMSE', () => {
    const truth = [1, 2, 3, 4];
    const predicted = [1, 2, 4, 2];
    expect(meanAbsoluteError(truth, predicted)).toBe(0.75);
    expect(rootMeanSquaredError(truth, predicted)).toBeCloseTo(Math.sqrt(5 / 4), 12);
    expect(r2Score(truth, predicted)).toBeCloseTo(1 - 5 / 5, 12);
    expect(r2Score(truth, truth)).toBe(1);
    expect(r2Score([2, 2], [2, 2])).toBe(1);
    expect(r2Score([2, 2], [1, 2])).toBe(0);
  });

  it('splits reproducibly, disjoint and complete, holding out ⌈fraction × rows⌉', () => {
    const a = trainTestSplit(101, 0.2, 5);
    expect(a).toEqual(trainTestSplit(101, 0.2, 5));
    expect(a.test.length).toBe(21);
    expect([...a.train, ...a.test].sort((x, y) => x - y)).toEqual(Array.from({ length: 101 }, (_, i) => i));
    expect(trainTestSplit(101, 0.2, 6).test).not.toEqual(a.test);
    expect(trainTestSplit(10, 0, 1).test.length).toBe(0);
  });
});

describe('binning', () => {
  it('puts an edge at the midpoint between neighbouring distinct values', () => {
    expect(Array.from(featureEdges(Float64Array.from([3, 1, 2, 2, 1])))).toEqual([1.5, 2.5]);
  });

  it('caps the edges at maxBins − 1 with quantile cuts that never split equal values', () => {
    const column = Float64Array.from({ length: 1000 }, (_, i) => Math.floor(i / 2));
    const edges = featureEdges(column, 16);
    expect(edges.length).toBeLessThanOrEqual(15);
    expect(edges.length).toBeGreaterThan(10);
    for (const e of edges) expect(Math.floor(e) + 0.5).toBe(e);
  });

  it('chooses float32 thresholds that separate neighbouring float64 values as binOf does', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        (p, q) => {
          const a = Math.min(p, q);
          const b = Math.max(p, q);
          fc.pre(a < b);
          const t = separatingThreshold(a, b);
          if (t === undefined) return;
          expect(Math.fround(t)).toBe(t);
          expect(a <= t && t < b).toBe(true);
          const edges = Float64Array.from([t]);
          expect(binOf(edges, a)).toBe(0);
          expect(binOf(edges, b)).toBe(1);
        },
      ),
    );
  });
});

describe('maintenance model', () => {
  const rows = Array.from({ length: 300 }, (_, i) => ({
    tanggal: `2025-0${1 + (i % 9)}-1${i % 10}`,
    total_produksi: 4000 + ((i * 37) % 1500),
    produk_cacat: String(50 + ((i * 13) % 200)),
    durasi_maintenance_jam: i % 3 === 0 ? null : ((i * 7) % 40) / 8,
  }));

  it('trains on the rows with a maintenance duration, with metrics, date range and a version', () => {
    const model = trainMaintenanceModel(rows, { trees: 10, createdAt: '2025-11-01T08:00:00Z' });
    expect(model.summary).toMatchObject({
      target: 'durasi_maintenance_jam',
      features: ['total_produksi', 'produk_cacat'],
      rows: 200,
      train_rows: 160,
      test_rows: 40,
      date_range: { from: '2025-02-10', to: '2025-09-19' },
    });
    expect(model.summary.rmse).toBeGreaterThan(0);
    expect(model.version).toMatch(/^20251101T080000Z-[0-9a-f]{8}$/);
    const { info } = parseArtifact(model.body);
    expect(info.hyperparameters.features_per_split).toBe(2);
    const predictor = loadPredictor(model.body, model.version);
    expect(predictor.info).toMatchObject({ algorithm: 'Random Forest Regressor', training_rows: 160 });
    // Scores are shown to four decimals; the artifact keeps them whole.
    const r4 = (x: number) => Math.round(x * 10_000) / 10_000;
    const holdout = info.training.holdout as Record<string, number>;
    expect(predictor.info.holdout).toEqual(
      Object.fromEntries(Object.entries(holdout).map(([k, v]) => [k, r4(v)])),
    );
    expect(predictor.info.oob_r2).toBe(r4(info.training.oob_score as number));
    expect(Object.values(holdout).some((v) => v !== r4(v))).toBe(true);
    const hours = predictor.predict({ total_produksi: 4500, produk_cacat: 120 });
    expect(hours).toBeGreaterThanOrEqual(0);
    expect(hours).toBeLessThanOrEqual(39 / 8);
  });

  it('names a row whose production figure is not a number, and refuses data with no maintenance', () => {
    expect(() =>
      maintenanceDataset([{ durasi_maintenance_jam: 1, total_produksi: 'x', produk_cacat: 1 }]),
    ).toThrow('row 0: total_produksi x is not a number');
    expect(() => maintenanceDataset([{ durasi_maintenance_jam: null }])).toThrow(
      /no rows with a durasi_maintenance_jam/,
    );
  });

  it('recognises the report layout', () => {
    expect(isReportLayout(['tanggal', 'total_produksi', 'produk_cacat', 'durasi_maintenance_jam'])).toBe(
      true,
    );
    expect(isReportLayout(['total_produksi', 'produk_cacat'])).toBe(false);
  });

  it('finds the date range of ISO dates only', () => {
    expect(dateRangeOf(['2025-02-01', 'x', null, '2024-12-31T22:00:00Z'])).toEqual({
      from: '2024-12-31',
      to: '2025-02-01',
    });
    expect(dateRangeOf([])).toBeNull();
  });
});
