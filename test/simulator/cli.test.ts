/**
 * The commands as a user runs them (`npx flexotwin …`, here `node bin/flexotwin.js …`): generate-history
 * writes byte-identical files for a seed, simulate --dry-run writes lines the core validator accepts,
 * and bad input ends with a one-line error and exit code 1.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePayload } from '../../lambdas/core/validate.js';

const ROOT = join(import.meta.dirname, '../..');
const run = promisify(execFile);

async function flexotwin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/flexotwin.js', ...args], {
      cwd: ROOT,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flexotwin-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('flexotwin CLI', () => {
  it('generate-history writes the same bytes for the same seed and prints PHASE 1 statistics', async () => {
    const args = ['generate-history', '--seed', '11', '--months', '2', '--machines', '2'];
    const [a, b] = await Promise.all([
      flexotwin(...args, '--out', join(dir, 'a')),
      flexotwin(...args, '--out', join(dir, 'b')),
    ]);
    expect(a.stderr).not.toMatch(/error/i);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(a.stdout).toContain('STATISTIK MESIN C_FL104:');
    expect(a.stdout).toMatch(/Average Availability Rate: \d+\.\d%/);
    const names = (await readdir(join(dir, 'a'))).sort();
    expect(names).toEqual([
      'Laporan Flexo November 2024.csv',
      'Laporan Flexo Oktober 2024.csv',
      'labels.jsonl',
    ]);
    expect(names).toEqual((await readdir(join(dir, 'b'))).sort());
    for (const name of names) {
      expect((await readFile(join(dir, 'a', name))).equals(await readFile(join(dir, 'b', name))), name).toBe(
        true,
      );
    }
  });

  it('simulate --dry-run writes validated {topic, payload} lines and the injected faults’ labels', async () => {
    const out = join(dir, 's.jsonl');
    const result = await flexotwin(
      'simulate',
      '--dry-run',
      '--out',
      out,
      '--machines',
      '3',
      '--duration',
      '60s',
      '--speed',
      '60',
      '--interval',
      '1s',
      '--faults',
      'C_FL105:overheating@10s+40s',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const phase of [
      'PHASE 1: DATA ANALYSIS',
      'PHASE 2: DRY RUN',
      'PHASE 3: SIMULATION LOOP',
      '[SUMMARY] 360 messages',
    ]) {
      expect(result.stdout).toContain(phase);
    }
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(3 * 2 * 60);
    for (const line of lines) {
      const { topic, payload } = JSON.parse(line) as { topic: string; payload: string };
      const kind = topic.endsWith('/telemetry') ? 'telemetry' : 'production';
      expect(
        validatePayload(kind, payload, { now: Date.now() + 120_000, topicMachineId: topic.split('/')[1] }),
        line,
      ).toMatchObject({ ok: true });
    }
    const labels = (await readFile(join(dir, 's.labels.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(labels).toEqual([
      expect.objectContaining({ machine_id: 'C_FL105', fault: 'overheating', source: 'injected' }),
    ]);
  });

  it('explains itself with --help and refuses bad options with exit code 1', async () => {
    const [help, noOut, badFault, badDir] = await Promise.all([
      flexotwin('simulate', '--help'),
      flexotwin('simulate', '--dry-run', '--duration', '5s'),
      flexotwin(
        'simulate',
        '--dry-run',
        '--out',
        join(dir, 'x.jsonl'),
        '--duration',
        '5s',
        '--faults',
        'C_FL104:meltdown',
      ),
      flexotwin('import', join(dir, 'no-such-folder')),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('MACHINE:TYPE[/SENSOR][@OFFSET][+DURATION]');
    expect(help.stdout).toContain('--history-time');
    expect(noOut).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--dry-run needs --out FILE.jsonl'),
    });
    expect(badFault).toMatchObject({ code: 1, stderr: expect.stringContaining('unknown type "meltdown"') });
    expect(badDir).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no-such-folder: cannot be read'),
    });
  });
});
