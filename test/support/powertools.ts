/** Powertools instances for tests: a silent logger, and metrics whose EMF output can be read back. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { vi } from 'vitest';

export const silentLogger = () => new Logger({ logLevel: 'SILENT', serviceName: 'test' });
export const testMetrics = () => new Metrics({ namespace: 'FlexoTwinTest', serviceName: 'test' });

export interface EmfMetric {
  readonly name: string;
  readonly value: number | number[];
  readonly dimensions: Record<string, string>;
}

/**
 * Runs `action` while capturing the EMF documents Powertools writes to stdout, and returns them flattened
 * to one entry per metric (with the dimensions of its document).
 */
export async function captureEmf<T>(action: () => Promise<T>): Promise<{ result: T; metrics: EmfMetric[] }> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  });
  let result: T;
  try {
    result = await action();
  } finally {
    spy.mockRestore();
  }
  const metrics: EmfMetric[] = [];
  for (const line of lines.join('').split('\n')) {
    if (!line.startsWith('{')) continue;
    const doc = JSON.parse(line) as Record<string, unknown> & {
      _aws?: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
    };
    if (doc._aws === undefined) continue;
    for (const directive of doc._aws.CloudWatchMetrics) {
      const dimensions = Object.fromEntries(
        (directive.Dimensions[0] ?? []).map((d) => [d, String(doc[d])]),
      ) as Record<string, string>;
      for (const m of directive.Metrics) {
        metrics.push({ name: m.Name, value: doc[m.Name] as number | number[], dimensions });
      }
    }
  }
  return { result, metrics };
}

/** Sum of a metric's values whose dimensions include `where`. */
export function metricSum(
  metrics: readonly EmfMetric[],
  name: string,
  where: Record<string, string> = {},
): number {
  return metrics
    .filter((m) => m.name === name && Object.entries(where).every(([k, v]) => m.dimensions[k] === v))
    .reduce((sum, m) => sum + (Array.isArray(m.value) ? m.value.reduce((a, b) => a + b, 0) : m.value), 0);
}
