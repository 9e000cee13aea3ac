import { type Component, componentSchema } from '../../core/fmea.js';
import type { ComponentRatings, ComponentStore } from '../../core/ports.js';
import { byPosition } from '../dynamodb/components.js';

/** ComponentStore in memory, with the DynamoDB store's semantics (seed order, insert-if-absent). */
export class MemoryComponentStore implements ComponentStore {
  private readonly items = new Map<string, { component: Component; position: number }>();

  async list(): Promise<Component[]> {
    return [...this.items.values()]
      .map(({ component, position }) => ({ ...component, position }))
      .sort(byPosition)
      .map(({ position: _p, ...component }) => structuredClone(component));
  }

  async get(name: string): Promise<Component | undefined> {
    const item = this.items.get(name);
    return item === undefined ? undefined : structuredClone(item.component);
  }

  async updateRatings(name: string, ratings: ComponentRatings): Promise<Component | undefined> {
    const item = this.items.get(name);
    if (item === undefined) return undefined;
    const defined = Object.fromEntries(Object.entries(ratings).filter(([, v]) => v !== undefined));
    item.component = componentSchema.parse({ ...item.component, ...defined });
    return structuredClone(item.component);
  }

  async seed(components: readonly Component[]): Promise<number> {
    let inserted = 0;
    components.forEach((component, position) => {
      if (this.items.has(component.component_name)) return;
      this.items.set(component.component_name, { component: componentSchema.parse(component), position });
      inserted++;
    });
    return inserted;
  }
}
