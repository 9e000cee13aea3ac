/**
 * The one infrastructure test that bundles for real (the others disable bundling): the local esbuild turns
 * each handler into a single minified ESM file with a source map, the AWS SDK inside, and the result loads.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../lib/config.js';
import { FlexoTwinStack } from '../../lib/flexotwin-stack.js';
import { ENV, logicalId, testApp } from './synth.js';

describe('function bundles', () => {
  const app = testApp({ 'aws:cdk:bundling-stacks': ['**'] });
  const stack = new FlexoTwinStack(app, 'FlexoTwin', { env: ENV, config: readConfig(app.node) });
  const template = Template.fromStack(stack);
  const functions = {
    processor: stack.processing.processor.function,
    api: stack.api.handler.function,
    'seed-components': stack.seed.seeder.function,
  };

  const assetDir = (fn: (typeof functions)[keyof typeof functions]) => {
    const code = template.findResources('AWS::Lambda::Function')[logicalId(fn)]?.Properties.Code;
    const hash = String(code.S3Key).replace(/\.zip$/, '');
    return path.join(app.outdir, `asset.${hash}`);
  };

  it.each(Object.keys(functions))(
    '%s: one minified ESM file with the SDK inside, a source map, and it loads',
    async (name) => {
      const dir = assetDir(functions[name as keyof typeof functions]);
      expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      const code = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      // Bundled, not resolved from the runtime: no static import of @aws-sdk or @smithy is left…
      expect(code.match(/\bfrom\s*["']@(aws-sdk|smithy)\/[^"']+/)?.[0]).toBeUndefined();
      expect(code.startsWith("import{createRequire as __flexotwinRequire}from'node:module'")).toBe(true);
      // Minified: the only line breaks left are inside template literals.
      expect(code.length / code.split('\n').length).toBeGreaterThan(2_000);
      expect(code).toContain('//# sourceMappingURL=index.mjs.map');
      expect(statSync(path.join(dir, 'index.mjs')).size).toBeLessThan(2_000_000);

      const map = JSON.parse(readFileSync(path.join(dir, 'index.mjs.map'), 'utf8')) as {
        sources: string[];
        sourcesContent?: unknown[];
      };
      expect(map.sources.some((s) => s.endsWith(`lambdas/handlers/${name}.ts`))).toBe(true);
      // …because the clients are inside the bundle.
      expect(map.sources.some((s) => s.includes('node_modules/@aws-sdk/client-dynamodb/'))).toBe(true);
      expect(map.sourcesContent ?? []).toEqual([]);

      const mod = (await import(pathToFileURL(path.join(dir, 'index.mjs')).href)) as { handler?: unknown };
      expect(typeof mod.handler).toBe('function');
    },
  );

  it('stages no Docker build context (the local esbuild did the work)', () => {
    expect(existsSync(path.join(app.outdir, 'asset.Dockerfile'))).toBe(false);
    for (const fn of Object.values(functions)) expect(existsSync(assetDir(fn))).toBe(true);
  });
});
