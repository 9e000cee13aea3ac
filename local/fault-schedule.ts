/**
 * The faults the local runtime injects into its simulated fleet by default, so alarms, health and OEE
 * change while you watch. A cycle of six minutes, repeated while the runtime runs; each cycle moves every
 * fault to the next machine, so over three cycles each machine of the default fleet gets each fault.
 *
 *   +0:20  machine 1  overheating            60 s   thermal alarm (critical), clears when it cools
 *   +1:30  machine 2  bearing_wear           90 s   mechanical alarm (vibration), cleared by the "replacement"
 *   +3:20  machine 3  overcurrent            30 s   electrical alarm (current), often a coil_temp_rise beside it
 *   +4:20  machine 1  pressure_instability   60 s   support-system alarm (pressure)
 *   +5:20  machine 2  undervoltage           30 s   electrical alarm (voltage)
 *
 * (Times are wall time from the start of the simulation; with fewer machines the indexes wrap.)
 */
import type { FaultLabel, FaultType } from '../simulator/faults.js';

export interface ScheduledFault {
  /** Offset in the cycle, wall-clock ms. */
  readonly atMs: number;
  /** Index in the fleet's machine list (rotated by one per cycle, wrapped). */
  readonly machine: number;
  readonly type: FaultType;
  readonly durationMs: number;
}

export interface FaultSchedule {
  readonly cycleMs: number;
  readonly faults: readonly ScheduledFault[];
}

export const DEFAULT_FAULT_SCHEDULE: FaultSchedule = {
  cycleMs: 6 * 60_000,
  faults: [
    { atMs: 20_000, machine: 0, type: 'overheating', durationMs: 60_000 },
    { atMs: 90_000, machine: 1, type: 'bearing_wear', durationMs: 90_000 },
    { atMs: 200_000, machine: 2, type: 'overcurrent', durationMs: 30_000 },
    { atMs: 260_000, machine: 0, type: 'pressure_instability', durationMs: 60_000 },
    { atMs: 320_000, machine: 1, type: 'undervoltage', durationMs: 30_000 },
  ],
};

const clock = (ms: number) =>
  `+${Math.floor(ms / 60_000)}:${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}`;

/** One line describing the schedule for a fleet (the first cycle's machines). */
export function describeSchedule(schedule: FaultSchedule, machines: readonly string[]): string {
  const items = schedule.faults.map(
    (f) =>
      `${clock(f.atMs)} ${machines[f.machine % machines.length]} ${f.type} ${Math.round(f.durationMs / 1000)} s`,
  );
  return `${items.join(', ')}; repeating every ${Math.round(schedule.cycleMs / 60_000)} min, each fault moving to the next machine`;
}

export interface FaultInjector {
  injectFault(machineId: string, type: FaultType, durationMs?: number): Promise<FaultLabel>;
}

/** Runs the schedule against a fleet until stopped; `onError` gets injections that failed. */
export function startFaultSchedule(
  fleet: FaultInjector,
  machines: readonly string[],
  schedule: FaultSchedule,
  onError: (error: Error) => void = () => {},
): { stop(): void } {
  const started = Date.now();
  let cycle = 0;
  let index = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const next = () => {
    if (stopped || schedule.faults.length === 0 || machines.length === 0) return;
    const fault = schedule.faults[index] as ScheduledFault;
    const due = started + cycle * schedule.cycleMs + fault.atMs;
    timer = setTimeout(
      () => {
        const machine = machines[(fault.machine + cycle) % machines.length] as string;
        fleet.injectFault(machine, fault.type, fault.durationMs).catch(onError);
        index++;
        if (index === schedule.faults.length) {
          index = 0;
          cycle++;
        }
        next();
      },
      Math.max(0, due - Date.now()),
    );
    timer.unref();
  };
  next();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
