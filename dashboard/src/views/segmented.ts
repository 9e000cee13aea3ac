/** A row of toggle buttons (aria-pressed) choosing one of a few options: ranges and windows. */
import { h, setAttr } from '../dom.js';

export function segmented<T extends string>(
  label: string,
  options: readonly { value: T; label: string }[],
  selected: T,
  onChange: (value: T) => void,
): HTMLElement {
  const group = h('div', { class: 'segmented', role: 'group', 'aria-label': label });
  const buttons = options.map((o) => {
    const b = h('button', { type: 'button', 'data-value': o.value }, o.label);
    b.addEventListener('click', () => {
      for (const other of buttons) setAttr(other, 'aria-pressed', String(other === b));
      onChange(o.value);
    });
    setAttr(b, 'aria-pressed', String(o.value === selected));
    return b;
  });
  group.append(...buttons);
  return group;
}
