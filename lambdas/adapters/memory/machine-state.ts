import type { MachineState } from '../../core/machine.js';
import {
  ConcurrentUpdateError,
  type MachineStateStore,
  type VersionedMachineState,
} from '../../core/ports.js';

/** MachineStateStore in memory: states are kept serialised, so callers never share an object with it. */
export class MemoryMachineStateStore implements MachineStateStore {
  private readonly items = new Map<string, { json: string; version: number }>();

  async get(machineId: string): Promise<VersionedMachineState | undefined> {
    const item = this.items.get(machineId);
    return item === undefined
      ? undefined
      : { state: JSON.parse(item.json) as MachineState, version: item.version };
  }

  async getMany(machineIds: readonly string[]): Promise<Map<string, VersionedMachineState>> {
    const out = new Map<string, VersionedMachineState>();
    for (const id of machineIds) {
      const v = await this.get(id);
      if (v !== undefined) out.set(id, v);
    }
    return out;
  }

  async put(state: MachineState, expectedVersion: number | undefined): Promise<number> {
    const current = this.items.get(state.machine_id);
    if (current?.version !== expectedVersion) throw new ConcurrentUpdateError(state.machine_id);
    const version = (expectedVersion ?? 0) + 1;
    this.items.set(state.machine_id, { json: JSON.stringify(state), version });
    return version;
  }

  async list(): Promise<MachineState[]> {
    return [...this.items.keys()]
      .sort()
      .map((id) => JSON.parse((this.items.get(id) as { json: string }).json) as MachineState);
  }
}
