/**
 * What a function writes to stdout and stderr is what CloudWatch Logs ingests (Powertools' EMF metrics,
 * JSON logs, warnings). While `action` runs, both are diverted: their bytes are counted, each chunk is
 * handed to `onChunk` if given, and nothing reaches the terminal.
 */
export async function divertOutput<T>(
  action: () => Promise<T>,
  onChunk?: (text: string) => void,
): Promise<{ result: T; bytes: number }> {
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((s) => s.write);
  let bytes = 0;
  const write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    bytes += Buffer.byteLength(text, 'utf8');
    onChunk?.(text);
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  for (const s of streams) s.write = write;
  try {
    return { result: await action(), bytes };
  } finally {
    streams.forEach((s, i) => {
      s.write = originals[i] as typeof s.write;
    });
  }
}
