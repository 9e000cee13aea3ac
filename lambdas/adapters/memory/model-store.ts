import type { ModelStore, StoredModel } from '../../core/ports.js';

/** ModelStore in memory: the last model put is the latest. */
export class MemoryModelStore implements ModelStore {
  private current: StoredModel | undefined;

  async latest(): Promise<StoredModel | undefined> {
    return this.current;
  }

  async put(model: StoredModel): Promise<void> {
    this.current = model;
  }
}
