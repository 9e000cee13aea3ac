/** A value computed on first use and kept for the container's life (clients, realDeps). */
export function once<T>(make: () => T): () => T {
  let made = false;
  let value: T;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value;
  };
}

/** Deps given as a value or as a factory run once, on the first invocation. */
export type Lazy<T> = T | (() => T);

export function lazy<T extends object>(deps: Lazy<T>): () => T {
  return typeof deps === 'function' ? once(deps as () => T) : () => deps;
}
