/**
 * The FMEA table as the handlers see it: read from the ComponentStore, cached for a while per container
 * (the processor evaluates health on every batch; S/O/D edits are rare), and seeded with the Flexo 104
 * components the first time it is found empty. Seeding is insert-if-absent, so concurrent containers
 * seeding at once, or a later re-seed, never overwrite an engineer's edits.
 */
import { type Component, FLEXO_104_COMPONENTS } from '../core/fmea.js';
import type { ComponentStore } from '../core/ports.js';

export const COMPONENTS_CACHE_TTL_MS = 60_000;

export class ComponentCatalog {
  private cached: { at: number; components: readonly Component[] } | undefined;

  constructor(
    private readonly store: ComponentStore,
    private readonly clock: () => number = Date.now,
    private readonly ttlMs = COMPONENTS_CACHE_TTL_MS,
    private readonly defaults: readonly Component[] = FLEXO_104_COMPONENTS,
  ) {}

  /**
   * The current table (the same array object until it is reloaded: core caches per array). A failed
   * reload keeps serving the previous table rather than failing the batch; with nothing cached it throws.
   */
  async current(): Promise<readonly Component[]> {
    const now = this.clock();
    if (this.cached !== undefined && now - this.cached.at < this.ttlMs) return this.cached.components;
    try {
      const components = await this.load();
      this.cached = { at: now, components };
      return components;
    } catch (error) {
      if (this.cached === undefined) throw error;
      return this.cached.components;
    }
  }

  /** Forget the cache (after an edit through the API in the same container). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async load(): Promise<readonly Component[]> {
    const components = await this.store.list();
    if (components.length > 0) return components;
    await this.store.seed(this.defaults);
    return this.store.list();
  }
}
