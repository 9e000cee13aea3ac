/**
 * Where the local runtime's functions log. In AWS, Powertools writes JSON log lines and EMF metric
 * documents to stdout and CloudWatch picks them up; locally stdout is the user's terminal, with a
 * banner and a live status line. So the handlers get Powertools subclasses that write the same lines
 * to files under the data directory (logs/flexotwin.log, logs/metrics.log) instead, surface warnings
 * and errors as one readable line on the console, and keep running totals of the metrics for the
 * status line. The handlers themselves are unchanged: they receive a Logger and a Metrics, as in AWS.
 */
import { createWriteStream, mkdirSync, renameSync, statSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { EmfOutput, MetricsOptions } from '@aws-lambda-powertools/metrics/types';

/** An append-only text file, rotated once (to `<path>.1`) when it passes `maxBytes`. */
export class LogFile {
  private stream: WriteStream;
  private bytes: number;

  constructor(
    readonly path: string,
    private readonly maxBytes = 20 * 1024 * 1024,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.bytes = sizeOf(path);
    this.stream = createWriteStream(path, { flags: 'a' });
  }

  write(line: string): void {
    if (this.bytes >= this.maxBytes) this.rotate();
    const text = `${line}\n`;
    this.bytes += Buffer.byteLength(text);
    this.stream.write(text);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }

  private rotate(): void {
    this.stream.end();
    renameSync(this.path, `${this.path}.1`);
    this.bytes = 0;
    this.stream = createWriteStream(this.path, { flags: 'a' });
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export type LogLevelName = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'CRITICAL';

export interface LogSink {
  /** A JSON log line of a function, with its level and message. */
  write(line: string, level: string, attributes: Readonly<Record<string, unknown>>): void;
}

/** Powertools' Logger, writing its JSON lines to a sink instead of stdout. */
export class LocalLogger extends Logger {
  private sink: LogSink | undefined;

  constructor(sink: LogSink, options: ConstructorOptions = {}) {
    super(options);
    this.sink = sink;
  }

  protected override printLog(_logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    const attributes = log.getAttributes();
    this.sink?.write(
      JSON.stringify(attributes, this.getJsonReplacer()),
      String(attributes.level ?? ''),
      attributes,
    );
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new LocalLogger(this.sink as LogSink, options);
  }
}

/** Totals of the metrics a function emitted (counts summed, by metric name). */
export type MetricTotals = Readonly<Record<string, number>>;

/** Powertools' Metrics, writing its EMF documents to a file and adding them up. */
export class LocalMetrics extends Metrics {
  constructor(
    private readonly emit: (emf: EmfOutput) => void,
    private readonly settings: MetricsOptions,
  ) {
    super(settings);
  }

  override publishStoredMetrics(): this {
    try {
      if (this.hasStoredMetrics()) this.emit(this.serializeMetrics());
    } finally {
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
    }
    return this;
  }

  override singleMetric(): Metrics {
    return new LocalMetrics(this.emit, { ...this.settings, singleMetric: true });
  }
}

/** Adds an EMF document's values to `totals`. */
export function addEmf(totals: Map<string, number>, emf: EmfOutput): void {
  const doc = emf as unknown as Record<string, unknown> & {
    _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] };
  };
  for (const directive of doc._aws.CloudWatchMetrics) {
    for (const { Name } of directive.Metrics) {
      const value = doc[Name];
      const sum = Array.isArray(value)
        ? value.reduce((a: number, b: unknown) => a + Number(b), 0)
        : Number(value ?? 0);
      if (Number.isFinite(sum)) totals.set(Name, (totals.get(Name) ?? 0) + sum);
    }
  }
}
