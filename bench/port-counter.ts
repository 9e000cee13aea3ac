/**
 * Counting wrappers for the processor's ports: every call of a port method is counted by
 * "port.method" (calls with an empty list are counted apart — the AWS adapters send nothing for them),
 * and alarm events by what a publisher actually sends (adapters/events.ts decides which are published).
 */
import { publishedAlarmEvents } from '../lambdas/adapters/events.js';
import type { AlarmEvent } from '../lambdas/core/anomaly/alarm.js';

export type PortCounts = Record<string, number>;

export interface PortCounter {
  readonly counts: PortCounts;
  /** The same object, counting. */
  wrap<T extends object>(port: string, target: T): T;
  reset(): void;
}

export function portCounter(): PortCounter {
  let counts: PortCounts = {};
  const bump = (key: string, by = 1) => {
    counts[key] = (counts[key] ?? 0) + by;
  };
  return {
    get counts() {
      return counts;
    },
    reset: () => {
      counts = {};
    },
    wrap<T extends object>(port: string, target: T): T {
      return new Proxy(target, {
        get(t, property, receiver) {
          const value = Reflect.get(t, property, receiver);
          if (typeof value !== 'function' || typeof property !== 'string') return value;
          return (...args: unknown[]) => {
            const first = args.find(Array.isArray);
            bump(
              first !== undefined && first.length === 0
                ? `${port}.${property} (empty)`
                : `${port}.${property}`,
            );
            if (port === 'publisher' && property === 'publishAlarmEvents') {
              bump('publisher.published alarm events', publishedAlarmEvents(args[1] as AlarmEvent[]).length);
            }
            return (value as (...a: unknown[]) => unknown).apply(t, args);
          };
        },
      });
    },
  };
}
