/**
 * The CI gate on vulnerable production dependencies (.ci/npm-audit.mjs), fed saved `npm audit --json`
 * outputs: high or critical findings fail; a clean report passes; a registry that refuses the audit
 * (HTTP 405, as this machine's does) or cannot be reached gives a loud "NOT AUDITED" notice — a pass
 * only unless FLEXOTWIN_AUDIT_REQUIRED=1 — and output it does not understand fails. .ci/run runs it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/support.js';

const exec = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flexotwin-audit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function gate(output: unknown, env: Record<string, string> = {}) {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, typeof output === 'string' ? output : JSON.stringify(output));
  try {
    const { stdout, stderr } = await exec(process.execPath, ['.ci/npm-audit.mjs', '--report', file], {
      cwd: ROOT,
      env: { ...process.env, FLEXOTWIN_AUDIT_REQUIRED: '', ...env },
    });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

const report = (counts: Record<string, number>, vulnerabilities: Record<string, unknown> = {}) => ({
  auditReportVersion: 2,
  vulnerabilities,
  metadata: {
    vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...counts },
    dependencies: { prod: 120, dev: 0, optional: 0, peer: 0, total: 120 },
  },
});

/** What `npm audit --omit=dev --json` prints on this machine: the registry refuses the bulk POST. */
const REFUSED = {
  message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
  method: 'POST',
  uri: 'https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
  headers: { allow: ['GET,HEAD'] },
  statusCode: 405,
  body: '',
  error: { summary: '', detail: '' },
};

describe('npm audit gate (.ci/npm-audit.mjs)', () => {
  it('fails on high and critical findings, naming the package, the advisory and the fix', async () => {
    const found = await gate(
      report(
        { high: 1, moderate: 2 },
        {
          fast: {
            name: 'fast',
            severity: 'high',
            range: '<1.2.3',
            fixAvailable: true,
            via: [{ title: 'Prototype pollution in fast', url: 'https://github.com/advisories/GHSA-xxxx' }],
          },
          slow: { name: 'slow', severity: 'moderate', via: ['fast'] },
        },
      ),
    );
    expect(found.code).toBe(1);
    expect(found.out).toMatch(/0 critical, 1 high, 2 moderate/);
    expect(found.out).toMatch(
      /HIGH fast <1\.2\.3: Prototype pollution in fast \(https:\/\/github\.com\/advisories\/GHSA-xxxx\) — fix available/,
    );
    expect(found.out).not.toMatch(/slow/);
    expect(
      (
        await gate(
          report(
            { critical: 1 },
            { x: { name: 'x', severity: 'critical', via: ['y'], fixAvailable: false } },
          ),
        )
      ).code,
    ).toBe(1);
  });

  it('passes a report without high or critical findings', async () => {
    const clean = await gate(report({ moderate: 1, low: 3 }));
    expect(clean).toEqual({ code: 0, out: expect.stringMatching(/0 critical, 0 high, 1 moderate, 3 low/) });
  });

  it('says loudly that nothing was audited when the registry refuses (405) or cannot be reached', async () => {
    for (const answer of [
      REFUSED,
      { error: { code: 'ENOTFOUND', summary: 'getaddrinfo ENOTFOUND registry.npmjs.org' } },
    ]) {
      const notice = await gate(answer);
      expect(notice.code).toBe(0);
      expect(notice.out).toMatch(/^!{78}\nNOT AUDITED: the registry did not run `npm audit --omit=dev`\./m);
      expect(notice.out).toMatch(/::warning title=npm audit did not run::/);
      expect((await gate(answer, { FLEXOTWIN_AUDIT_REQUIRED: '1' })).code).toBe(1);
    }
    expect((await gate(REFUSED)).out).toMatch(/405 Method Not Allowed - POST .*advisories\/bulk/);
  });

  it('fails on output it does not understand', async () => {
    expect((await gate('npm ERR! something')).code).toBe(1);
    expect((await gate({ hello: 'world' })).code).toBe(1);
  });

  it('is a step of .ci/run, after npm ci', () => {
    const script = readFileSync(join(ROOT, '.ci/run'), 'utf8');
    const ci = script.indexOf('npm ci ');
    const audit = script.indexOf('node .ci/npm-audit.mjs');
    expect(ci).toBeGreaterThan(0);
    expect(audit).toBeGreaterThan(ci);
  });
});
