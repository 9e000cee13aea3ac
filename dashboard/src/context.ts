/** What every view gets from the shell: the API, the poller, the shared fleet list and the clock. */
import type { Api } from './api.js';
import type { Live } from './live.js';
import type { MachineList } from './types.js';

export interface Fleet {
  /** The latest GET /api/machines answer (null until the first arrives). */
  readonly latest: MachineList | null;
  /** Called with every new answer, and at once when there is one; returns unsubscribe. */
  subscribe(listener: (fleet: MachineList) => void): () => void;
  /** Fetch again now (after an acknowledgment, say). */
  refresh(): void;
}

export interface ViewContext {
  readonly api: Api;
  readonly live: Live;
  readonly fleet: Fleet;
  /** The API's clock, as far as the page knows it (epoch ms): used for ranges and "x s ago". */
  now(): number;
  /** Tells the page the API's time, from an answer that carries it. */
  syncClock(apiNow: number): void;
  /** Short message for screen readers (an aria-live region). */
  announce(message: string): void;
}

export interface View {
  readonly el: HTMLElement;
  dispose(): void;
}
