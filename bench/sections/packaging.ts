/**
 * Lambda packaging: each function's bundle built exactly as the stack builds it (the bundling options
 * of lib/constructs/handler-function.ts, through bench/bundle.ts), its size, and its module init time —
 * a fresh `node` process running the bundle (with NODE_OPTIONS=--enable-source-maps, as deployed),
 * median of 10, minus a fresh `node -e 0` measured alternately in the same run.
 * Targets: ≤ 1 MB (10^6 bytes) of code per function, init ≤ 150 ms.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLING } from '../../lib/constructs/handler-function.js';
import { type BuiltBundle, bundleHandler, bytesByPackage } from '../bundle.js';
import { type Figure, median, type Section } from '../report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAX_BYTES = 1_000_000;
const MAX_INIT_MS = 150;
/** The stack's functions set this (source-mapped stack traces); it changes how long a bundle takes to load. */
const DEPLOYED_NODE_OPTIONS = '--enable-source-maps';

export interface PackagingData {
  readonly functions: Record<string, { bytes: number; mapBytes: number; initMs: number; importMs: number }>;
  readonly nodeBaselineMs: number;
}

/** The handler modules of lambdas/handlers/ (each is one function of the stack). */
export function handlerNames(): string[] {
  return readdirSync(join(ROOT, 'lambdas', 'handlers'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** Wall time of a fresh node process, ms. */
function processMs(args: readonly string[], nodeOptions: string): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    env: { PATH: process.env.PATH, NODE_OPTIONS: nodeOptions },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr.toString().slice(0, 500)}`);
  return ms;
}

/** Import time inside a fresh process (without process start-up), ms. */
function importMs(file: string, nodeOptions: string): number {
  const script =
    'const t=performance.now();import(process.argv[1]).then(()=>process.stdout.write(String(performance.now()-t)))';
  const r = spawnSync(process.execPath, ['-e', script, file], {
    env: { PATH: process.env.PATH, NODE_OPTIONS: nodeOptions },
  });
  if (r.status !== 0) throw new Error(`importing ${file} failed: ${r.stderr.toString().slice(0, 500)}`);
  return Number(r.stdout.toString());
}

export const packagingSection: Section = {
  name: 'packaging',
  title: 'Lambda packaging: bundle size and module init time per function (esbuild, as the stack bundles)',
  async run({ quick, log }) {
    const outDir = mkdtempSync(join(tmpdir(), 'flexotwin-bundles-'));
    const runs = quick ? 3 : 10;
    try {
      const bundles: BuiltBundle[] = [];
      for (const handler of handlerNames()) {
        const b = await bundleHandler(ROOT, handler, BUNDLING, outDir);
        bundles.push(b);
        const top = bytesByPackage(b.metafile)
          .slice(0, 5)
          .map(([k, v]) => `${k} ${(v / 1000).toFixed(0)} kB`)
          .join(', ');
        log(`${handler}: ${(b.bytes / 1000).toFixed(0)} kB (largest: ${top})`);
      }

      // Alternate baseline and bundles run by run, so drift on the shared machine hits all alike.
      const baseline: number[] = [];
      const init = new Map<string, number[]>(bundles.map((b) => [b.handler, []]));
      const imports = new Map<string, number[]>(bundles.map((b) => [b.handler, []]));
      processMs(['-e', '0'], DEPLOYED_NODE_OPTIONS); // warm the file cache
      for (let run = 0; run < runs; run++) {
        baseline.push(processMs(['-e', '0'], DEPLOYED_NODE_OPTIONS));
        for (const b of bundles) {
          init.get(b.handler)?.push(processMs([b.file], DEPLOYED_NODE_OPTIONS));
          imports.get(b.handler)?.push(importMs(b.file, DEPLOYED_NODE_OPTIONS));
        }
      }
      const base = median(baseline);
      const figures: Figure[] = [
        { name: 'baseline: fresh `node -e 0`', value: Math.round(base), unit: 'ms' },
      ];
      const functions: PackagingData['functions'] = {};
      for (const b of bundles) {
        const initMs = median(init.get(b.handler) ?? []) - base;
        const imp = median(imports.get(b.handler) ?? []);
        functions[b.handler] = { bytes: b.bytes, mapBytes: b.mapBytes, initMs, importMs: imp };
        figures.push(
          {
            name: `${b.handler}: bundle`,
            value: Math.round(b.bytes / 1000),
            unit: 'kB',
            target: `≤ ${MAX_BYTES / 1000} kB`,
            pass: b.bytes <= MAX_BYTES,
          },
          { name: `${b.handler}: source map (context)`, value: Math.round(b.mapBytes / 1000), unit: 'kB' },
          {
            name: `${b.handler}: init (process − baseline)`,
            value: Math.round(initMs),
            unit: 'ms',
            target: `≤ ${MAX_INIT_MS} ms`,
            pass: initMs <= MAX_INIT_MS,
          },
          { name: `${b.handler}: import, in process (context)`, value: Math.round(imp), unit: 'ms' },
        );
      }
      const data: PackagingData = { functions, nodeBaselineMs: base };
      return {
        section: 'packaging',
        title: packagingSection.title,
        setup: {
          functions: bundles.length,
          runs,
          format: String(BUNDLING.format ?? 'cjs'),
          target: BUNDLING.target ?? 'node22',
          minify: String(BUNDLING.minify ?? false),
          aws_sdk: BUNDLING.bundleAwsSDK === true ? 'bundled' : 'runtime',
          node_options: DEPLOYED_NODE_OPTIONS,
          node: process.version,
        },
        figures,
        data,
      };
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  },
};
