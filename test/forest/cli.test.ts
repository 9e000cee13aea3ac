import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArtifact } from '../../lambdas/core/forest/index.js';
import { EMULATOR_CREDENTIALS } from '../../local/emulators.js';
import { localAws } from '../support/local-aws.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = path.join(ROOT, 'test/fixtures/forest');
const CLI = path.join(ROOT, 'bin/flexotwin.js');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function flexotwin(...args: string[]): Promise<Run> {
  return flexotwinWith({}, ...args);
}

function flexotwinWith(env: Readonly<Record<string, string>>, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'flexotwin-forest-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('flexotwin train / predict', () => {
  it('trains on a CSV, prints a JSON summary and progress, and predicts every row', async () => {
    const model = path.join(dir, 'model.json');
    const train = await flexotwin(
      'train',
      '--data',
      path.join(FIXTURES, 'sensors.csv'),
      '--target',
      'duration_h',
      '--trees',
      '20',
      '--min-samples-leaf',
      '2',
      '--created-at',
      '2025-11-01T00:00:00Z',
      '--out',
      model,
    );
    expect(train.stderr).toContain('20/20 trees');
    expect(train.code).toBe(0);
    const summary = JSON.parse(train.stdout);
    expect(summary).toMatchObject({
      target: 'duration_h',
      rows: 60,
      train_rows: 48,
      test_rows: 12,
      features: ['temperature', 'vibration', 'load'],
      trees: 20,
    });
    for (const key of ['train_seconds', 'oob_r2', 'holdout_r2', 'mae', 'rmse'])
      expect(typeof summary[key]).toBe('number');
    expect(summary.holdout_r2).toBeGreaterThan(0.5);
    expect(summary.model_bytes).toBe((await stat(model)).size);
    expect(summary.version).toMatch(/^20251101T000000Z-[0-9a-f]{8}$/);

    const out = path.join(dir, 'preds.csv');
    const predict = await flexotwin(
      'predict',
      '--model',
      model,
      '--data',
      path.join(FIXTURES, 'sensors.csv'),
      '--out',
      out,
    );
    expect(predict.stderr).toContain('wrote 60 predictions');
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('prediction');
    expect(lines).toHaveLength(61);
    expect(lines.slice(1).every((l) => Number.isFinite(Number(l)))).toBe(true);

    // Extra columns are ignored; a missing feature column is named.
    const extra = await flexotwin(
      'predict',
      '--model',
      model,
      '--data',
      path.join(FIXTURES, 'text-column.csv'),
    );
    expect(extra.code).toBe(0);
    expect(extra.stdout.trim().split('\n')).toHaveLength(10);
    const missing = await flexotwin('predict', '--model', model, '--data', path.join(FIXTURES, 'reports'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /Laporan Flexo November 2024\.csv: no column "temperature" \(columns: tanggal, shift/,
    );
  });

  it('names file, line and column of a non-numeric cell, and a missing target column', async () => {
    const bad = path.join(FIXTURES, 'bad-cell.csv');
    const cell = await flexotwin(
      'train',
      '--data',
      bad,
      '--target',
      'duration_h',
      '--out',
      path.join(dir, 'x.json'),
    );
    expect(cell.code).toBe(1);
    expect(cell.stderr).toContain(
      `flexotwin train: ${bad}:5: column "vibration" (column 2): "n/a" is not a number`,
    );
    const target = await flexotwin(
      'train',
      '--data',
      bad,
      '--target',
      'hours',
      '--out',
      path.join(dir, 'x.json'),
    );
    expect(target.code).toBe(1);
    expect(target.stderr).toContain(
      `${bad}: no column "hours" (columns: temperature, vibration, load, duration_h)`,
    );
    const text = await flexotwin(
      'train',
      '--data',
      path.join(FIXTURES, 'text-column.csv'),
      '--target',
      'duration_h',
      '--out',
      path.join(dir, 'x.json'),
    );
    expect(text.stderr).toMatch(/column "machine" \(column 1\): "C_FL104" is not a number — pass --features/);
  });

  it('trains the maintenance-duration model by default on a folder of production reports', async () => {
    const model = path.join(dir, 'maintenance.json');
    const run = await flexotwin(
      'train',
      '--data',
      path.join(FIXTURES, 'reports'),
      '--trees',
      '10',
      '--no-progress',
      '--out',
      model,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({
      model: 'maintenance-duration',
      target: 'durasi_maintenance_jam',
      features: ['total_produksi', 'produk_cacat'],
      rows: 40,
      date_range: { from: expect.stringMatching(/^2024-10-/), to: expect.stringMatching(/^2024-11-/) },
    });
    const { info } = parseArtifact(await readFile(model, 'utf8'));
    expect(info.hyperparameters.features_per_split).toBe(2);
    expect(info.training.train_rows).toBe(32);
  });

  it('publishes to the model registry with --upload: models/<version>/model.json and the latest pointer', async () => {
    const aws = await localAws();
    const bucket = aws.config.RAW_BUCKET as string;
    const run = await flexotwinWith(
      {
        ...aws.env,
        AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      },
      'train',
      '--data',
      path.join(FIXTURES, 'reports'),
      '--trees',
      '5',
      '--no-progress',
      '--upload',
      '--bucket',
      bucket,
    );
    // (the AWS SDK may warn about the Node.js version on stderr)
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.uploaded).toBe(`s3://${bucket}/models/${summary.version}/model.json`);
    const latest = await aws.stores.models.latest();
    expect(latest?.version).toBe(summary.version);
    expect(Buffer.byteLength(latest?.body ?? '')).toBe(summary.model_bytes);
  });
});
