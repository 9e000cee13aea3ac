/**
 * `npm run bench [-- --json] [--only core,ml] [--quick]`: runs the benchmark sections, prints each
 * figure with its target and PASS/MISS, and writes bench/results/latest.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { formatSection, type Section, type SectionResult } from './report.js';
import { apiSection } from './sections/api.js';
import { coreSection } from './sections/core.js';
import { costSection } from './sections/cost.js';
import { e2eSection } from './sections/e2e.js';
import { mlSection } from './sections/ml.js';
import { packagingSection } from './sections/packaging.js';
import { processorSection } from './sections/processor.js';

const SECTIONS: readonly Section[] = [
  coreSection,
  mlSection,
  processorSection,
  e2eSection,
  apiSection,
  packagingSection,
  costSection,
];

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`usage: npm run bench -- [--json] [--only ${SECTIONS.map((s) => s.name).join(',')}] [--quick]

  --json   print the results as JSON on stdout (they are always written to bench/results/latest.json)
  --only   run only these sections
  --quick  smaller workloads, for a smoke run (figures are not comparable with a full run)`);
  process.exit(0);
}

const wanted = values.only?.split(',').map((s) => s.trim());
const unknown = wanted?.filter((w) => !SECTIONS.some((s) => s.name === w)) ?? [];
if (unknown.length > 0) {
  console.error(
    `unknown section(s): ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.name).join(', ')}`,
  );
  process.exit(2);
}
const selected = SECTIONS.filter((s) => wanted === undefined || wanted.includes(s.name));
const log = (line: string) => {
  if (!values.json) console.log(line);
  else console.error(line);
};

const meta = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  cpus: os.cpus().length,
  cpu_model: os.cpus()[0]?.model ?? 'unknown',
  quick: values.quick,
};
log(
  `FlexoTwin benchmarks: ${meta.date}, node ${meta.node}, ${meta.platform}, ${meta.cpus} CPUs (${meta.cpu_model})`,
);

const benchStarted = performance.now();
const results: SectionResult[] = [];
const earlier = new Map<string, SectionResult>();
for (const section of selected) {
  log(`\n… ${section.title}`);
  const started = performance.now();
  const result = await section.run({ quick: values.quick, log: (line) => log(`    ${line}`), earlier });
  results.push(result);
  earlier.set(result.section, result);
  log(formatSection(result));
  log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

const misses = results.flatMap((r) =>
  r.figures.filter((f) => f.pass === false).map((f) => `${r.section}: ${f.name}`),
);
const durationS = Math.round((performance.now() - benchStarted) / 100) / 10;
const summary = { meta: { ...meta, duration_s: durationS }, results, misses };
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(summary, null, 2)}\n`);
if (values.json) console.log(JSON.stringify(summary, null, 2));
log(
  `\n${misses.length === 0 ? 'all targets met' : `targets missed: ${misses.join('; ')}`} (bench/results/latest.json)`,
);
log(`finished in ${durationS} s`);
