/**
 * A horizontal bar chart as an HTML table: one row per key, critical and warning stacked, the count in
 * figures beside it. Readable without the colours and by a screen reader; no canvas needed.
 */
import { h, setAttr, setText, syncList } from '../dom.js';
import type { DistributionRow } from '../shape.js';

export class BarChart {
  readonly el: HTMLTableElement;
  private readonly body: HTMLTableSectionElement;

  constructor(
    caption: string,
    private readonly label: (key: string) => string,
    testId: string,
  ) {
    this.body = h('tbody');
    this.el = h(
      'table',
      { class: 'bars', 'data-testid': testId },
      h('caption', {}, caption),
      h(
        'thead',
        { class: 'visually-hidden' },
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Key'),
          h('th', { scope: 'col' }, 'Share'),
          h('th', { scope: 'col' }, 'Alarms'),
        ),
      ),
      this.body,
    );
  }

  update(rows: readonly DistributionRow[]): void {
    const max = Math.max(1, ...rows.map((r) => r.warning + r.critical));
    syncList(
      this.body,
      rows,
      (r) => r.key,
      (r) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, this.label(r.key)),
          h(
            'td',
            { class: 'bar-cell' },
            h(
              'div',
              { class: 'bar', 'aria-hidden': 'true' },
              h('span', { class: 'bar-critical' }),
              h('span', { class: 'bar-warning' }),
            ),
          ),
          h(
            'td',
            { class: 'bar-count' },
            h('span', { class: 'count' }),
            h('span', { class: 'visually-hidden' }),
          ),
        ),
      (tr, r) => {
        const [crit, warn] = tr.querySelectorAll<HTMLElement>('.bar span');
        crit?.style.setProperty('width', `${(100 * r.critical) / max}%`);
        warn?.style.setProperty('width', `${(100 * r.warning) / max}%`);
        const total = r.warning + r.critical;
        const [count, detail] = tr.querySelectorAll('.bar-count span');
        if (count !== undefined) setText(count, String(total));
        if (detail !== undefined)
          setText(detail, total === 0 ? '' : ` (${r.critical} critical, ${r.warning} warning)`);
        setAttr(tr, 'title', `${r.critical} critical, ${r.warning} warning`);
        tr.dataset.count = String(total);
      },
    );
  }
}
