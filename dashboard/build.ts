/**
 * Builds the operator dashboard with esbuild: one script (uPlot and the page's TypeScript) and one
 * stylesheet, minified, with content-hashed names so they can be cached for good; index.html points at
 * them and carries the API base URL. Nothing built is committed: `flexotwin local` builds the page into
 * its data directory at every start (about 0.1 s), and this module's CLI writes it for a static host:
 *
 *   npx tsx dashboard/build.ts --outdir dist/dashboard [--api-base https://api.example.com]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface DashboardAsset {
  /** URL path, e.g. "/app-3F2A….js". */
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
  /** Content-hashed: may be cached forever. */
  readonly immutable: boolean;
}

export interface DashboardBuild {
  /** By URL path; "/" is index.html. */
  readonly assets: ReadonlyMap<string, DashboardAsset>;
  readonly buildMs: number;
}

export interface BuildOptions {
  /** Where the page finds the API (scheme://host[:port]); empty: the page's own origin. */
  readonly apiBase?: string;
  /** Source maps for the script and stylesheet (served beside them, loaded by devtools only). */
  readonly sourcemap?: boolean;
}

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

function asset(path: string, body: Buffer, immutable: boolean): DashboardAsset {
  const ext = path.slice(path.lastIndexOf('.'));
  return {
    path,
    contentType: TYPES[ext] ?? 'application/octet-stream',
    body,
    gzip: gzipSync(body, { level: 9 }),
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    immutable,
  };
}

const escapeAttr = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function buildDashboard(options: BuildOptions = {}): Promise<DashboardBuild> {
  const started = performance.now();
  const result = await build({
    entryPoints: { app: join(HERE, 'src/main.ts'), style: join(HERE, 'src/style.css') },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    entryNames: '[name]-[hash]',
    sourcemap: options.sourcemap === true ? 'linked' : false,
    legalComments: 'none',
    write: false,
    outdir: '/',
    logLevel: 'silent',
  });
  const assets = new Map<string, DashboardAsset>();
  let js: string | undefined;
  let css: string | undefined;
  for (const file of result.outputFiles) {
    const path = file.path; // outdir "/" makes these URL paths
    assets.set(path, asset(path, Buffer.from(file.contents), true));
    if (path.endsWith('.js')) js = path;
    if (path.endsWith('.css')) css = path;
  }
  if (js === undefined || css === undefined)
    throw new Error('the dashboard build produced no script or stylesheet');
  const html = readFileSync(join(HERE, 'index.html'), 'utf8')
    .replace('%API_BASE%', escapeAttr(options.apiBase ?? ''))
    .replace('%CSS%', `.${css}`)
    .replace('%JS%', `.${js}`);
  assets.set('/', asset('/', Buffer.from(html), false));
  return { assets, buildMs: performance.now() - started };
}

/** The page's weight budget (issue 8): index, script and stylesheet together, gzipped. */
export const PAGE_WEIGHT_BUDGET = 300 * 1024;

/** Bytes a browser downloads for the page (index, script, stylesheet; source maps excluded), gzipped. */
export function pageWeight(built: DashboardBuild): { raw: number; gzip: number } {
  let raw = 0;
  let gzip = 0;
  for (const a of built.assets.values()) {
    if (a.path.endsWith('.map')) continue;
    raw += a.body.length;
    gzip += a.gzip.length;
  }
  return { raw, gzip };
}

/**
 * Builds the page into `outdir` (created if needed) and removes files of earlier builds from it, so a
 * static server pointed at the directory serves exactly this build. Returns the build.
 */
export async function writeDashboard(outdir: string, options: BuildOptions = {}): Promise<DashboardBuild> {
  const built = await buildDashboard(options);
  mkdirSync(outdir, { recursive: true });
  const names = new Set<string>();
  for (const a of built.assets.values()) {
    const name = a.path === '/' ? 'index.html' : a.path.slice(1);
    names.add(name);
    writeFileSync(join(outdir, name), a.body);
  }
  for (const entry of readdirSync(outdir)) {
    if (!names.has(entry) && /^(app|style)-[A-Z0-9]+\.(js|css)(\.map)?$/.test(entry))
      rmSync(join(outdir, entry));
  }
  return built;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { outdir: { type: 'string' }, 'api-base': { type: 'string' }, sourcemap: { type: 'boolean' } },
  });
  if (values.outdir === undefined) {
    console.error('usage: npx tsx dashboard/build.ts --outdir DIR [--api-base URL] [--sourcemap]');
    process.exitCode = 2;
    return;
  }
  const outdir = resolve(values.outdir);
  const built = await writeDashboard(outdir, {
    ...(values['api-base'] !== undefined && { apiBase: values['api-base'] }),
    sourcemap: values.sourcemap === true,
  });
  const w = pageWeight(built);
  console.log(
    `dashboard: ${built.assets.size} files in ${outdir} (${(w.raw / 1024).toFixed(1)} KB, ${(w.gzip / 1024).toFixed(1)} KB gzipped), built in ${built.buildMs.toFixed(0)} ms`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
