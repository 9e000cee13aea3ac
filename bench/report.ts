/**
 * Benchmark figures and how they are printed. Every target is judged on a ratio or a figure measured
 * in the same run as its baseline, because the machine is shared and its absolute speed varies.
 */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** e.g. '≥ 45 %'; absent for context figures. */
  readonly target?: string;
  readonly pass?: boolean;
}

export interface SectionResult {
  readonly section: string;
  readonly title: string;
  /** What was measured, how: sizes, counts, settings. */
  readonly setup: Readonly<Record<string, string | number>>;
  readonly figures: readonly Figure[];
  /** Set when the section could not run here (e.g. a missing Debian package), with the reason. */
  readonly skipped?: string;
  /** Machine-readable measurements a later section builds on (the cost model reads the processor's). */
  readonly data?: unknown;
}

export interface SectionOptions {
  readonly quick: boolean;
  readonly log: (line: string) => void;
  /** Results of the sections that ran before this one, by section name. */
  readonly earlier: ReadonlyMap<string, SectionResult>;
}

export interface Section {
  readonly name: string;
  readonly title: string;
  run(options: SectionOptions): Promise<SectionResult>;
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

export function formatFigure(f: Figure): string {
  const value = `${number.format(f.value)} ${f.unit}`.trim();
  const target = f.target === undefined ? '' : `target ${f.target}`;
  const verdict = f.pass === undefined ? '' : f.pass ? 'PASS' : 'MISS';
  return `  ${f.name.padEnd(48)} ${value.padStart(20)}   ${target.padEnd(18)} ${verdict}`.trimEnd();
}

export function formatSection(r: SectionResult): string {
  const lines = [`[${r.section}] ${r.title}`];
  if (r.skipped !== undefined) lines.push(`  skipped: ${r.skipped}`);
  const setup = Object.entries(r.setup)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? number.format(v) : v}`)
    .join(', ');
  if (setup) lines.push(`  (${setup})`);
  for (const f of r.figures) lines.push(formatFigure(f));
  return lines.join('\n');
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
