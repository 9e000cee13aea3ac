/**
 * The fleet runner: the programmatic API behind `flexotwin simulate`, and what the local runtime starts
 * to feed its broker. One simulated device per machine publishes a telemetry and a production message
 * every `intervalMs` of wall time (devices are staggered across the interval).
 *
 * Three clocks:
 * - wall: when messages go out (a real clock, or a virtual one that runs as fast as it can — dry runs
 *   and tests);
 * - history: the replayed history advances `speed` × faster than the wall clock (and loops when live);
 * - message (`ts`): live mode (default) stamps messages with the wall clock, so a replay looks like a
 *   running plant; `historyTime` stamps them with the history's own time.
 * Sensor physics and faults run on the message clock, so rates such as °C/min are what the detector sees.
 *
 *   const fleet = startFleet({ machines: 3, intervalMs: 1000, speed: 60, publish: (topic, payload) => … });
 *   await fleet.injectFault('C_FL104', 'overheating', 60_000);   // → its ground-truth label
 *   console.log(fleet.stats());                                 // { sent, errors, rate, … }
 *   await fleet.stop();                                         // stops, flushes, closes connections
 */
import type { SensorName } from '../lambdas/core/sensors.js';
import { type MachineSource, ModelDevice, type OutgoingMessage, RecordDevice } from './device.js';
import {
  FAULTS,
  type FaultInjection,
  type FaultLabel,
  type FaultType,
  faultSensor,
  parseFaultSpec,
} from './faults.js';
import { generateHistory } from './generator.js';
import { type History, historyMachines, machineIds } from './history.js';
import { recordingMachines, type SensorRecording } from './import-jsonl.js';
import {
  createMqttPublisher,
  type DeviceConnectionEvent,
  type MqttPublisher,
  type MqttTarget,
  QueueFullError,
} from './mqtt.js';

/** Sends one message; resolves when it is delivered (for MQTT: acknowledged by the broker). */
export type PublishFn = (topic: string, payload: string) => Promise<void>;

export interface FleetOptions {
  /** How many machines (the history's first N) or which ones. Default: 1 (C_FL104) when generating,
   *  every machine of a given history otherwise. */
  readonly machines?: number | readonly string[];
  /** Wall time between two messages of a device (default 5000, the original's 5 s). */
  readonly intervalMs?: number;
  /** History time per wall time (default 1). */
  readonly speed?: number;
  /** Seed of the generated history and of the devices' noise (default 1). */
  readonly seed?: number;
  /** Faults to inject: a spec string (see parseFaultSpec) or parsed injections; offsets on the wall clock. */
  readonly faults?: string | readonly FaultInjection[];
  /** What to replay: shift reports (generated or imported) or recorded sensor records. Default: a
   *  generated history (13 months from 2024-10-01) of the requested machines. */
  readonly history?: History | SensorRecording;
  /** Stamp messages with the history's time instead of the wall clock; the run ends with the history. */
  readonly historyTime?: boolean;
  /** Where in the history to start (epoch ms or ISO); default: its beginning. */
  readonly historyStart?: number | string;
  /** Stop after this much wall time. Required with the virtual clock unless `historyTime`. */
  readonly durationMs?: number;
  /** 'real' (default) or 'virtual': no waiting, wall time jumps from tick to tick. */
  readonly clock?: 'real' | 'virtual';
  /** Wall time the run starts at (virtual clock; default now). */
  readonly startTime?: number;
  /** Where messages go: a function, or MQTT connections the fleet opens (one per device). */
  readonly publish?: PublishFn;
  readonly mqtt?: MqttTarget;
  /** First `seq` of every device (default: the start time in epoch ms, so a restart never reuses one). */
  readonly firstSeq?: number;
  readonly onLabel?: (label: FaultLabel) => void;
  readonly onMessage?: (message: OutgoingMessage) => void;
  readonly onError?: (error: Error, message: OutgoingMessage) => void;
  /** Connection events of the devices' MQTT connections (with `mqtt`). */
  readonly onConnection?: (event: DeviceConnectionEvent) => void;
}

export interface FleetStats {
  /** Messages the devices produced. */
  readonly generated: number;
  /** Delivered (acknowledged). */
  readonly sent: number;
  /** Failed to deliver. */
  readonly errors: number;
  /** Refused because a device's offline queue was full. */
  readonly dropped: number;
  /** Produced, not yet delivered or failed. */
  readonly pending: number;
  /** Since the start, real milliseconds. */
  readonly elapsedMs: number;
  /** Delivered messages per real second since the start. */
  readonly rate: number;
  readonly lastError?: string;
}

export interface FleetHandle {
  readonly machines: readonly string[];
  /** Resolves with the final statistics once the run ended (duration, end of history, or stop()). */
  readonly done: Promise<FleetStats>;
  stats(): FleetStats;
  /** Ground-truth labels of every fault that started so far (history and injected), message clock. */
  labels(): readonly FaultLabel[];
  /**
   * Starts a fault on a machine at its next tick, lasting `durationMs` of wall time (default: the
   * type's default). Resolves with its label once it started.
   */
  injectFault(
    machineId: string,
    type: FaultType,
    durationMs?: number,
    options?: { readonly sensor?: SensorName },
  ): Promise<FaultLabel>;
  /** Waits until nothing is pending; false if `timeoutMs` passed first. */
  flush(timeoutMs?: number): Promise<boolean>;
  /** Stops publishing, flushes (up to 10 s), closes the connections the fleet opened. */
  stop(): Promise<FleetStats>;
}

function isRecording(h: History | SensorRecording): h is SensorRecording {
  return 'records' in h;
}

function pickMachines(
  available: readonly string[],
  wanted: number | readonly string[] | undefined,
): string[] {
  if (wanted === undefined) return [...available];
  if (typeof wanted === 'number') {
    if (!Number.isInteger(wanted) || wanted < 1) throw new Error('machines must be a whole number ≥ 1');
    if (wanted > available.length) {
      throw new Error(`the history holds ${available.length} machine(s); ${wanted} were asked for`);
    }
    return available.slice(0, wanted);
  }
  const missing = wanted.filter((m) => !available.includes(m));
  if (missing.length > 0) throw new Error(`the history has no machine ${missing.join(', ')}`);
  return [...wanted];
}

export function startFleet(options: FleetOptions = {}): FleetHandle {
  const intervalMs = options.intervalMs ?? 5000;
  const speed = options.speed ?? 1;
  const seed = options.seed ?? 1;
  const clock = options.clock ?? 'real';
  const historyTime = options.historyTime ?? false;
  if (!(intervalMs >= 1)) throw new Error('intervalMs must be ≥ 1');
  if (!(speed > 0) || !Number.isFinite(speed)) throw new Error('speed must be a positive number');
  if (options.durationMs !== undefined && !(options.durationMs > 0))
    throw new Error('durationMs must be > 0');
  if (clock === 'virtual' && options.durationMs === undefined && !historyTime) {
    throw new Error('a virtual clock needs durationMs (or historyTime, which ends with the history)');
  }
  if ((options.publish === undefined) === (options.mqtt === undefined)) {
    throw new Error('give exactly one of publish or mqtt');
  }

  const history = options.history ?? generateHistory({ machines: machineIds(options.machines ?? 1), seed });
  const available = isRecording(history) ? recordingMachines(history) : historyMachines(history);
  const machines = pickMachines(
    available,
    options.history === undefined && typeof options.machines === 'number' ? undefined : options.machines,
  );
  const wallStart = options.startTime ?? Date.now();
  const realStart = Date.now();
  const firstSeq = options.firstSeq ?? wallStart;
  const labels: FaultLabel[] = [];
  const onLabel = (label: FaultLabel) => {
    labels.push(label);
    options.onLabel?.(label);
  };

  const devices: MachineSource[] = machines.map((machineId) => {
    if (isRecording(history)) {
      return new RecordDevice(
        machineId,
        history.records.filter((r) => r.machine_id === machineId),
        firstSeq,
      );
    }
    return new ModelDevice({
      machineId,
      index: available.indexOf(machineId),
      seed,
      rows: history.rows.filter((r) => r.mesin === machineId),
      labels: history.labels.filter((l) => l.machine_id === machineId),
      firstSeq,
      onLabel,
    });
  });
  const historyStart =
    options.historyStart === undefined
      ? Math.min(...devices.map((d) => d.start))
      : typeof options.historyStart === 'number'
        ? options.historyStart
        : Date.parse(options.historyStart);
  if (Number.isNaN(historyStart)) throw new Error(`historyStart "${options.historyStart}" is not a time`);

  const injections =
    typeof options.faults === 'string' ? parseFaultSpec(options.faults) : [...(options.faults ?? [])];
  for (const f of injections) {
    if (f.machine !== '*' && !machines.includes(f.machine))
      throw new Error(`fault for unknown machine ${f.machine}`);
  }
  if (injections.length > 0 && isRecording(history)) {
    throw new Error(
      'faults can only be injected into machines replaying shift reports, not recorded sensor data',
    );
  }
  /** Message-clock time per wall time: faults given in wall time last this much longer on `ts`. */
  const tsPerWall = historyTime ? speed : 1;
  const tsPerHistory = historyTime ? 1 : 1 / speed;

  let mqttPublisher: MqttPublisher | undefined;
  const publish: PublishFn =
    options.publish ??
    (() => {
      mqttPublisher = createMqttPublisher(machines, options.mqtt, options.onConnection);
      return mqttPublisher.publish;
    })();

  let generated = 0;
  let sent = 0;
  let errors = 0;
  let dropped = 0;
  let pending = 0;
  let lastError: string | undefined;
  const idleWaiters = new Set<() => void>();

  function send(message: OutgoingMessage): Promise<void> {
    generated++;
    pending++;
    options.onMessage?.(message);
    // A publish function that throws instead of rejecting still counts as one failed delivery.
    return new Promise<void>((resolve) => resolve(publish(message.topic, message.payload)))
      .then(
        () => {
          sent++;
        },
        (error: Error) => {
          if (error instanceof QueueFullError) dropped++;
          else errors++;
          lastError = error.message;
          options.onError?.(error, message);
        },
      )
      .finally(() => {
        pending--;
        if (pending === 0) for (const wake of idleWaiters) wake();
      });
  }

  // Per device: tick count, the history time of its last tick, spec faults not yet started.
  const phase = devices.map((_, i) => (i * intervalMs) / devices.length);
  const ticks = devices.map(() => 0);
  const lastH: (number | undefined)[] = devices.map(() => undefined);
  const finished = devices.map(() => false);
  const spec = devices.map((d) => injections.filter((f) => f.machine === '*' || f.machine === d.machineId));
  const dueAt = (i: number) => wallStart + (phase[i] as number) + (ticks[i] as number) * intervalMs;
  const endWall =
    options.durationMs === undefined ? Number.POSITIVE_INFINITY : wallStart + options.durationMs;

  /** Runs device i's tick scheduled at `wall`; returns its messages' deliveries. */
  function tick(i: number, wall: number): Promise<void>[] {
    const device = devices[i] as MachineSource;
    const elapsed = wall - wallStart;
    const h = historyStart + speed * elapsed;
    if (historyTime && h >= device.end) {
      finished[i] = true;
      return [];
    }
    // On the history's own clock a device whose history begins later stays silent until then.
    if (historyTime && h < device.start) {
      lastH[i] = h;
      return [];
    }
    const hPrev = lastH[i] ?? h - speed * intervalMs;
    lastH[i] = h;
    const due = spec[i] as FaultInjection[];
    for (const f of due.filter((f) => f.atMs <= elapsed)) {
      due.splice(due.indexOf(f), 1);
      void (device as ModelDevice).inject(f.type, f.sensor, f.durationMs * tsPerWall);
    }
    const ts = historyTime ? Math.round(h) : clock === 'real' ? Date.now() : Math.round(wall);
    return device
      .tick({ ts, h, hPrev, tsPerHistory, tickTs: intervalMs * tsPerWall, loop: !historyTime })
      .map(send);
  }

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let resolveDone: (stats: FleetStats) => void = () => {};
  const done = new Promise<FleetStats>((resolve) => {
    resolveDone = resolve;
  });

  const stats = (): FleetStats => {
    const elapsedMs = Date.now() - realStart;
    return {
      generated,
      sent,
      errors,
      dropped,
      pending,
      elapsedMs,
      rate: elapsedMs > 0 ? (sent * 1000) / elapsedMs : 0,
      ...(lastError === undefined ? {} : { lastError }),
    };
  };

  const flush = (timeoutMs = 10_000): Promise<boolean> => {
    if (pending === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(t);
        idleWaiters.delete(wake);
        resolve(ok);
      };
      const wake = () => finish(true);
      const t = setTimeout(() => finish(false), timeoutMs);
      idleWaiters.add(wake);
    });
  };

  let ending: Promise<FleetStats> | undefined;
  const end = (): Promise<FleetStats> => {
    ending ??= (async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
      const flushed = await flush();
      await mqttPublisher?.close(!flushed);
      const final = stats();
      resolveDone(final);
      return final;
    })();
    return ending;
  };

  /** The next device to tick and when, or undefined when every device is done. */
  function next(): { i: number; at: number } | undefined {
    let best: { i: number; at: number } | undefined;
    devices.forEach((_, i) => {
      if (finished[i]) return;
      const at = dueAt(i);
      if (at >= endWall) {
        finished[i] = true;
        return;
      }
      if (best === undefined || at < best.at) best = { i, at };
    });
    return best;
  }

  async function runVirtual(): Promise<void> {
    let sinceYield = 0;
    for (let n = next(); n !== undefined && !stopped; n = next()) {
      const deliveries = tick(n.i, n.at);
      ticks[n.i] = (ticks[n.i] as number) + 1;
      // Delivery order = production order, and a slow sink (a file) slows the producer down.
      await Promise.all(deliveries);
      if (++sinceYield >= 64) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  function runReal(): void {
    if (stopped) return;
    const now = Date.now();
    for (let n = next(); n !== undefined && n.at <= now; n = next()) {
      void tick(n.i, n.at);
      // After a stall (a blocked event loop, a suspended laptop) skip the missed ticks, not burst them.
      const behind = Math.floor((now - (phase[n.i] as number) - wallStart) / intervalMs);
      ticks[n.i] = Math.max((ticks[n.i] as number) + 1, behind);
    }
    const upcoming = next();
    if (upcoming === undefined) {
      void end();
      return;
    }
    timer = setTimeout(runReal, Math.max(0, upcoming.at - Date.now()));
  }

  if (clock === 'virtual') {
    running = runVirtual().then(() => {
      void end();
    });
  } else runReal();

  return {
    machines,
    done,
    stats,
    labels: () => labels,
    injectFault(machineId, type, durationMs, faultOptions) {
      const i = machines.indexOf(machineId);
      const device = devices[i];
      if (device === undefined) return Promise.reject(new Error(`no simulated machine ${machineId}`));
      if (!(device instanceof ModelDevice)) {
        return Promise.reject(new Error('faults can only be injected into machines replaying shift reports'));
      }
      if (stopped) return Promise.reject(new Error('the fleet has stopped'));
      const sensor = faultSensor(type, faultOptions?.sensor);
      return device.inject(type, sensor, (durationMs ?? FAULTS[type].defaultDurationMs) * tsPerWall);
    },
    flush,
    stop: end,
  };
}
