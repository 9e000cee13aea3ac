import type { MessageKind, ProductionMessage, TelemetryMessage } from '../../core/messages.js';
import type {
  ProductionQuery,
  TelemetryPoint,
  TelemetryQuery,
  TelemetrySeries,
  TimeSeriesStore,
  WriteReport,
} from '../../core/ports.js';
import { answerFromOrdered, byTimeThenSeq } from '../time-series-query.js';

/** TimeSeriesStore in memory: one map per machine and kind, keyed by (ts, seq) like the real stores. */
export class MemoryTimeSeriesStore implements TimeSeriesStore {
  private readonly series = new Map<string, Map<string, TelemetryMessage | ProductionMessage>>();

  async writeTelemetry(messages: readonly TelemetryMessage[]): Promise<WriteReport> {
    return this.write('telemetry', messages);
  }

  async writeProduction(messages: readonly ProductionMessage[]): Promise<WriteReport> {
    return this.write('production', messages);
  }

  async queryTelemetry(query: TelemetryQuery): Promise<TelemetrySeries> {
    const points: TelemetryPoint[] = this.ordered<TelemetryMessage>(query.machine_id, 'telemetry').map(
      (m) => ({
        ts: m.ts,
        seq: m.seq,
        sensors: m.sensors,
      }),
    );
    return answerFromOrdered(query, points);
  }

  async queryProduction(query: ProductionQuery): Promise<ProductionMessage[]> {
    return this.ordered<ProductionMessage>(query.machine_id, 'production').filter(
      (m) => m.ts >= query.from && m.ts < query.to,
    );
  }

  /** Readings stored for a machine and kind, in (ts, seq) order (tests and benchmarks inspect these). */
  ordered<M extends TelemetryMessage | ProductionMessage>(machineId: string, kind: MessageKind): M[] {
    const map = this.series.get(`${machineId}#${kind}`);
    return map === undefined ? [] : ([...map.values()] as M[]).sort(byTimeThenSeq).map((m) => copyOf(m));
  }

  private write(kind: MessageKind, messages: readonly (TelemetryMessage | ProductionMessage)[]): WriteReport {
    for (const m of messages) {
      const key = `${m.machine_id}#${kind}`;
      let map = this.series.get(key);
      if (map === undefined) {
        map = new Map();
        this.series.set(key, map);
      }
      map.set(`${m.ts}_${m.seq}`, copyOf(m));
    }
    return { written: messages.length, rejected: [] };
  }
}

/**
 * A copy sharing nothing with the caller's message: a validated message is flat but for telemetry's
 * `sensors` map of numbers (core/messages.ts). structuredClone did the same at ~2 µs a message, which the
 * processor benchmark (on these stores) counted as handler overhead.
 */
function copyOf<M extends TelemetryMessage | ProductionMessage>(m: M): M {
  return 'sensors' in m ? { ...m, sensors: { ...m.sensors } } : { ...m };
}
