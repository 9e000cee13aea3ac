/**
 * The Lambda bundles as the stack builds them: lib/constructs/handler-function.ts gives NodejsFunction
 * its bundling options, and this turns the same options object into the esbuild build NodejsFunction
 * runs (`esbuild --bundle --platform=node …`, see aws-cdk-lib/aws-lambda-nodejs' Bundling), so the
 * benchmark measures exactly what is deployed.
 */
import { join } from 'node:path';
import { type BundlingOptions, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type BuildOptions, build, type Metafile } from 'esbuild';

/** esbuild options equivalent to NodejsFunction's for `bundling` (the subset the stack uses). */
export function esbuildOptionsOf(bundling: BundlingOptions): BuildOptions {
  const unsupported = (
    ['tsconfig', 'loader', 'define', 'inject', 'footer', 'nodeModules', 'esbuildArgs', 'charset'] as const
  ).filter((k) => bundling[k] !== undefined);
  if (unsupported.length > 0) {
    throw new Error(`bench/bundle.ts does not translate bundling.${unsupported.join(', bundling.')} yet`);
  }
  const esm = bundling.format === OutputFormat.ESM;
  // NodejsFunction leaves the SDK to the runtime unless told to bundle it.
  const external = [...(bundling.externalModules ?? (bundling.bundleAwsSDK === true ? [] : ['@aws-sdk/*']))];
  const sourcemap =
    bundling.sourceMap !== true
      ? false
      : bundling.sourceMapMode === SourceMapMode.INLINE
        ? 'inline'
        : bundling.sourceMapMode === SourceMapMode.EXTERNAL
          ? 'external'
          : bundling.sourceMapMode === SourceMapMode.BOTH
            ? 'both'
            : 'linked';
  return {
    bundle: true,
    platform: 'node',
    format: esm ? 'esm' : 'cjs',
    target: bundling.target ?? 'node22',
    minify: bundling.minify ?? false,
    sourcemap,
    sourcesContent: bundling.sourcesContent ?? true,
    keepNames: bundling.keepNames ?? false,
    external,
    ...(bundling.mainFields !== undefined && { mainFields: bundling.mainFields }),
    ...(bundling.banner !== undefined && { banner: { js: bundling.banner } }),
    logLevel: 'warning',
  };
}

export interface BuiltBundle {
  readonly handler: string;
  readonly file: string;
  readonly bytes: number;
  readonly mapBytes: number;
  readonly metafile: Metafile;
}

/** Bundles lambdas/handlers/<handler>.ts into `outDir` (index.mjs, as NodejsFunction names it). */
export async function bundleHandler(
  root: string,
  handler: string,
  bundling: BundlingOptions,
  outDir: string,
): Promise<BuiltBundle> {
  const options = esbuildOptionsOf(bundling);
  const file = join(outDir, handler, options.format === 'esm' ? 'index.mjs' : 'index.js');
  const result = await build({
    ...options,
    entryPoints: [join(root, 'lambdas', 'handlers', `${handler}.ts`)],
    outfile: file,
    metafile: true,
    absWorkingDir: root,
  });
  const outputs = result.metafile.outputs;
  const key = Object.keys(outputs).find((k) => !k.endsWith('.map')) as string;
  const map = Object.keys(outputs).find((k) => k.endsWith('.map'));
  return {
    handler,
    file,
    bytes: outputs[key]?.bytes ?? 0,
    mapBytes: map === undefined ? 0 : (outputs[map]?.bytes ?? 0),
    metafile: result.metafile,
  };
}

/** Bytes in the bundle by package (node_modules/<pkg>) or by our top-level folder, largest first. */
export function bytesByPackage(metafile: Metafile): [string, number][] {
  const by = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [file, info] of Object.entries(output.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
      const key = m?.[1] ?? file.split('/').slice(0, 2).join('/');
      by.set(key, (by.get(key) ?? 0) + info.bytesInOutput);
    }
  }
  return [...by].sort((a, b) => b[1] - a[1]);
}
