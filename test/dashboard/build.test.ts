/** The dashboard build: what the local runtime serves and a static host would get. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDashboard, PAGE_WEIGHT_BUDGET, pageWeight, writeDashboard } from '../../dashboard/build.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('dashboard build', () => {
  it('bundles one script and one stylesheet with hashed names, and an index that loads them', async () => {
    const built = await buildDashboard();
    const paths = [...built.assets.keys()].sort();
    expect(paths).toEqual([
      '/',
      expect.stringMatching(/^\/app-[A-Z0-9]+\.js$/),
      expect.stringMatching(/^\/style-[A-Z0-9]+\.css$/),
    ]);
    const index = built.assets.get('/')?.body.toString() ?? '';
    for (const path of paths.slice(1)) expect(index).toContain(`".${path}"`);
    expect(index).toContain('<meta name="flexotwin-api-base" content="" />');
    // uPlot is bundled (works offline): no URL outside the page's own origin.
    const script = built.assets.get(paths[1] as string)?.body.toString() ?? '';
    expect(script).toContain('uplot');
    expect(index).not.toMatch(/https?:\/\//);
    const w = pageWeight(built);
    expect(w.gzip).toBeLessThan(PAGE_WEIGHT_BUDGET);
    console.log(
      `dashboard build: ${(w.raw / 1024).toFixed(1)} KB, ${(w.gzip / 1024).toFixed(1)} KB gzipped, ${built.buildMs.toFixed(0)} ms`,
    );
  });

  it('writes the API base for a page hosted away from the API, escaped', async () => {
    const built = await buildDashboard({ apiBase: 'https://api.example.com/"><script>' });
    expect(built.assets.get('/')?.body.toString()).toContain(
      'content="https://api.example.com/&quot;&gt;&lt;script&gt;"',
    );
  });

  it('writes a directory a static server can serve, replacing an earlier build', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flexotwin-dashboard-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'app-OLDBUILD.js'), 'stale');
    writeFileSync(join(dir, 'notes.txt'), 'not ours');
    const built = await writeDashboard(dir, { sourcemap: true });
    const files = readdirSync(dir).sort();
    expect(files).not.toContain('app-OLDBUILD.js');
    expect(files).toContain('notes.txt');
    expect(files).toContain('index.html');
    expect(files.filter((f) => f.endsWith('.map'))).toHaveLength(2);
    for (const a of built.assets.values()) {
      const file = join(dir, a.path === '/' ? 'index.html' : a.path.slice(1));
      expect(existsSync(file)).toBe(true);
      expect(readFileSync(file).equals(a.body)).toBe(true);
    }
  });
});
