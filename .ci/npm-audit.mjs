#!/usr/bin/env node
/**
 * CI gate on known vulnerabilities of the production dependencies: `npm audit --omit=dev --json`.
 *
 * - The advisory service answered: any high or critical finding fails (exit 1), listed by package.
 * - The service could not be asked (it refused — some registries and mirrors answer the bulk-advisory
 *   POST with 405 — or was unreachable): a loud notice saying exactly that, exit 0, because a missing
 *   service is not a finding; with FLEXOTWIN_AUDIT_REQUIRED=1 it fails instead.
 * - Anything else npm printed: fail, so a changed output format cannot pass silently.
 *
 * `--report <file>` reads a saved `npm audit --json` output instead of running npm (tests).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const NETWORK_CODES = new Set([
  'ENOTFOUND',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * @param {string} stdout what `npm audit --json` printed
 * @returns {{ verdict: 'pass' | 'fail' | 'unavailable', lines: string[] }}
 */
function classify(stdout) {
  let report;
  try {
    report = JSON.parse(stdout);
  } catch {
    return { verdict: 'fail', lines: [`npm audit printed no JSON report: ${stdout.slice(0, 300)}`] };
  }
  const status = typeof report.statusCode === 'number' ? report.statusCode : undefined;
  const code = report.code ?? report.error?.code;
  if ((status !== undefined && status >= 400) || NETWORK_CODES.has(code) || /^E\d{3}$/.test(code ?? '')) {
    const what = report.message ?? report.error?.summary ?? code ?? `HTTP ${status}`;
    return {
      verdict: 'unavailable',
      lines: [
        'NOT AUDITED: the registry did not run `npm audit --omit=dev`.',
        `  ${what}`,
        '  No vulnerability report was obtained for the production dependencies in this run.',
        '  Run `npm audit --omit=dev` where the public registry answers (docs/RELIABILITY.md).',
      ],
    };
  }
  const counts = report.metadata?.vulnerabilities;
  if (report.auditReportVersion === undefined || counts === undefined) {
    return {
      verdict: 'fail',
      lines: [`npm audit answered something else than a report: ${stdout.slice(0, 300)}`],
    };
  }
  const severe = Object.values(report.vulnerabilities ?? {}).filter(
    (v) => v.severity === 'high' || v.severity === 'critical',
  );
  const summary = `npm audit --omit=dev: ${counts.critical ?? 0} critical, ${counts.high ?? 0} high, ${counts.moderate ?? 0} moderate, ${counts.low ?? 0} low`;
  if (severe.length === 0 && (counts.high ?? 0) + (counts.critical ?? 0) === 0) {
    return { verdict: 'pass', lines: [summary] };
  }
  return {
    verdict: 'fail',
    lines: [
      summary,
      ...severe.map((v) => {
        const advisories = (v.via ?? [])
          .filter((via) => typeof via === 'object')
          .map((via) => `${via.title ?? 'advisory'}${via.url ? ` (${via.url})` : ''}`);
        const fix = v.fixAvailable === false ? 'no fix available' : 'fix available (npm audit fix)';
        return `  ${v.severity.toUpperCase()} ${v.name} ${v.range ?? ''}: ${advisories.join('; ') || `via ${(v.via ?? []).join(', ')}`} — ${fix}`;
      }),
    ],
  };
}

function main() {
  const at = process.argv.indexOf('--report');
  const stdout =
    at > 0
      ? readFileSync(process.argv[at + 1], 'utf8')
      : spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;
  const { verdict, lines } = classify(stdout ?? '');
  if (verdict === 'unavailable') {
    const rule = '!'.repeat(78);
    console.error([rule, ...lines, rule].join('\n'));
    // GitHub Actions shows this as an annotation; elsewhere it is one more line.
    console.error(`::warning title=npm audit did not run::${lines[1]?.trim()}`);
    if (process.env.FLEXOTWIN_AUDIT_REQUIRED === '1') {
      console.error('FLEXOTWIN_AUDIT_REQUIRED=1: failing.');
      process.exitCode = 1;
    }
    return;
  }
  (verdict === 'pass' ? console.log : console.error)(lines.join('\n'));
  if (verdict === 'fail') process.exitCode = 1;
}

main();
