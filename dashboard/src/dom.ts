/**
 * A few DOM helpers instead of a framework. Data is only ever set as text or attributes (never parsed as
 * HTML), and views update the elements they built rather than re-creating them at every poll, so keyboard
 * focus, open details and scroll positions survive a refresh.
 */

type Child = Node | string | null | undefined | false;
type Props = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (name === 'class') el.className = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: readonly Child[]): void {
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
}

/** Sets the text only when it changed (no needless layout work at every poll). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function setAttr(el: Element, name: string, value: string | null): void {
  if (value === null) el.removeAttribute(name);
  else if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/**
 * Keeps `container`'s keyed children in step with `items`: an element per key, created once, updated at
 * every call, moved into order, removed when its item is gone.
 */
export function syncList<T, E extends Element>(
  container: Element,
  items: readonly T[],
  key: (item: T) => string,
  create: (item: T) => E,
  update: (el: E, item: T) => void,
): void {
  const existing = new Map<string, E>();
  for (const child of [...container.children]) {
    const k = (child as HTMLElement).dataset.key;
    if (k !== undefined) existing.set(k, child as E);
  }
  // Unkeyed children (a table's thead) stay in front of the keyed ones.
  let cursor: Element | null =
    [...container.children].find((c) => c instanceof HTMLElement && c.dataset.key !== undefined) ?? null;
  const keep = new Set<string>();
  for (const item of items) {
    const k = key(item);
    keep.add(k);
    let el = existing.get(k);
    if (el === undefined) {
      el = create(item);
      (el as unknown as HTMLElement).dataset.key = k;
    }
    update(el, item);
    if (el !== cursor) container.insertBefore(el, cursor);
    else cursor = cursor.nextElementSibling;
  }
  for (const [k, el] of existing) if (!keep.has(k)) el.remove();
}

export function clear(el: Element): void {
  el.replaceChildren();
}
