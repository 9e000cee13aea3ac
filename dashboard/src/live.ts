/**
 * Polling, the page's live updates. Polling rather than Server-Sent Events because the page must work
 * against API Gateway and Lambda as well, which answer requests and hold no connections; at a 2 s period
 * on small JSON answers it costs little. A task runs again a period after it finished (never two at once),
 * pauses while the tab is hidden and resumes with an immediate refresh when it is shown again.
 */
import { ApiError } from './api.js';

export const POLL_MS = 2000;

export interface LiveState {
  /** Epoch ms of the last successful refresh, 0 before the first. */
  readonly lastOk: number;
  /** Why the last refresh failed, while it keeps failing. */
  readonly error: ApiError | null;
}

type Listener = (state: LiveState) => void;

export class Live {
  private state: LiveState = { lastOk: 0, error: null };
  private readonly listeners = new Set<Listener>();
  private readonly tasks = new Set<{ run: () => void }>();

  constructor() {
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) for (const t of this.tasks) t.run();
    });
  }

  onChange(listener: Listener): void {
    this.listeners.add(listener);
    listener(this.state);
  }

  /** Runs `task` now and every `periodMs` after it finishes; returns `stop` and `now` (run again at once). */
  every(periodMs: number, task: () => Promise<void>): { stop: () => void; now: () => void } {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    let again = false;
    let stopped = false;
    const entry = {
      run: () => {
        if (stopped) return;
        if (running) {
          again = true;
          return;
        }
        clearTimeout(timer);
        running = true;
        task()
          .then(
            () => this.report(null),
            (error: unknown) => this.report(error),
          )
          .finally(() => {
            running = false;
            if (stopped) return;
            if (again) {
              again = false;
              entry.run();
            } else if (!document.hidden) {
              timer = setTimeout(entry.run, periodMs);
            }
          });
      },
    };
    this.tasks.add(entry);
    entry.run();
    return {
      stop: () => {
        stopped = true;
        clearTimeout(timer);
        this.tasks.delete(entry);
      },
      now: entry.run,
    };
  }

  private report(error: unknown): void {
    if (error === null) {
      this.state = { lastOk: Date.now(), error: null };
    } else if (error instanceof ApiError && (error.status === 0 || error.status >= 500)) {
      this.state = { ...this.state, error };
    } else {
      // Not the API being down (a view's own 4xx or a bug): the view shows what it can; log it.
      console.error(error);
      return;
    }
    for (const l of this.listeners) l(this.state);
  }
}
