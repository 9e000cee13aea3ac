/**
 * The machine's components, worst health first: health index as a bar in its status colour (the status
 * also in words), base and dynamic RPN, alarms of the last 24 h. The component's name is a button that
 * opens its recommendations, the health calculation and any prediction attached to a critical component.
 */
import { h, setAttr, setText, syncList } from '../dom.js';
import { DASH } from '../format.js';
import type { ComponentRow } from '../shape.js';
import type { ComponentHealth } from '../types.js';

export class ComponentsTable {
  readonly el: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly open = new Set<string>();

  constructor() {
    this.table = h(
      'table',
      { class: 'components', 'data-testid': 'components' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Component'),
          h('th', { scope: 'col', class: 'health-col' }, 'Health index'),
          h(
            'th',
            { scope: 'col', class: 'num', title: 'Severity × occurrence × detection, from the FMEA table' },
            'RPN',
          ),
          h(
            'th',
            {
              scope: 'col',
              class: 'num',
              title: 'Occurrence raised by the alarms of the last 24 h on linked sensors',
            },
            'RPN now',
          ),
          h('th', { scope: 'col', class: 'num' }, 'Alarms 24 h'),
        ),
      ),
    );
    this.el = h('div', { class: 'table-scroll' }, this.table);
  }

  update(rows: readonly ComponentRow[]): void {
    syncList(
      this.table,
      rows,
      (r) => r.name,
      (r) => this.createBody(r.name),
      (body, r) => this.updateBody(body, r),
    );
  }

  private createBody(name: string): HTMLTableSectionElement {
    const detailId = `component-${name.replace(/[^A-Za-z0-9]+/g, '-')}`;
    const toggle = h(
      'button',
      {
        type: 'button',
        class: 'details',
        'aria-controls': detailId,
        'aria-expanded': 'false',
        title: 'Recommendations and how the health index was calculated',
      },
      h('span', { class: 'caret', 'aria-hidden': 'true' }),
      name,
    );
    const body = h(
      'tbody',
      { 'data-component': name },
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, toggle),
        h(
          'td',
          { class: 'health-col' },
          h('div', { class: 'health-bar' }, h('span', { class: 'fill' })),
          h('span', { class: 'health-value' }),
          h('span', { class: 'health-word' }),
        ),
        h('td', { class: 'num rpn' }),
        h('td', { class: 'num rpn-dynamic' }),
        h('td', { class: 'num alarms-24h' }),
      ),
      h('tr', { class: 'detail', id: detailId, hidden: true }, h('td', { colspan: 5 })),
    );
    toggle.addEventListener('click', () => {
      const opening = !this.open.has(name);
      if (opening) this.open.add(name);
      else this.open.delete(name);
      setAttr(toggle, 'aria-expanded', String(opening));
      (body.querySelector('tr.detail') as HTMLElement).hidden = !opening;
    });
    return body;
  }

  private updateBody(body: HTMLTableSectionElement, r: ComponentRow): void {
    const q = (selector: string) => body.querySelector(selector) as HTMLElement;
    const health = r.health;
    const col = q('td.health-col');
    col.dataset.status = health?.status ?? 'unknown';
    const fill = q('.fill');
    fill.style.width = `${Math.max(0, Math.min(100, health?.health_index ?? 0))}%`;
    fill.style.background = health?.color ?? 'transparent';
    setText(q('.health-value'), health === undefined ? DASH : health.health_index.toFixed(1));
    setText(q('.health-word'), health?.status ?? '');
    setText(q('.rpn'), String(r.rpn_value));
    const dynamic = q('.rpn-dynamic');
    setText(dynamic, String(r.rpn_dynamic));
    dynamic.dataset.raised = String(r.rpn_dynamic > r.rpn_value);
    const m = health?.metrics;
    setText(q('.alarms-24h'), m === undefined ? DASH : String(m.warnings_24h + m.criticals_24h));
    const detail = q('tr.detail td');
    const signature = JSON.stringify(
      health === undefined
        ? null
        : [
            health.recommendations,
            health.calculation_details,
            health.prediction_result?.success,
            health.metrics,
          ],
    );
    if (detail.dataset.signature !== signature) {
      detail.dataset.signature = signature;
      detail.replaceChildren(
        ...(health === undefined
          ? [h('p', { class: 'muted' }, 'Health not available.')]
          : detailContent(health)),
      );
    }
  }
}

function detailContent(c: ComponentHealth): Node[] {
  const m = c.metrics;
  const d = c.calculation_details;
  const nodes: Node[] = [
    h('p', {}, c.description),
    h('h4', {}, 'Recommendations'),
    h('ul', { class: 'recommendations' }, ...c.recommendations.map((r) => h('li', {}, r))),
    h(
      'p',
      { class: 'muted calc' },
      `Health ${c.health_index.toFixed(1)} = ${d.rpn_weight} × RPN score ${m.rpn_score.toFixed(1)} (${d.rpn_contribution.toFixed(1)}) + ${d.oee_weight} × OEE score ${
        m.oee_score === null ? DASH : m.oee_score.toFixed(1)
      } (${d.oee_contribution.toFixed(1)}). RPN ${m.rpn_value} = S ${m.severity} × O ${m.occurrence} × D ${m.detection}; with ${m.warnings_24h} warning and ${m.criticals_24h} critical alarms in 24 h, O → ${m.occurrence_effective}, RPN now ${m.rpn_dynamic}.`,
    ),
  ];
  const p = c.prediction_result;
  if (p !== undefined) {
    nodes.push(
      h(
        'p',
        { class: p.success ? 'prediction-note' : 'prediction-note muted' },
        p.success
          ? `Critical: maintenance predicted automatically — ${p.prediction_formatted}. ${p.recommendation}`
          : `Critical: no automatic prediction (${p.error}: ${p.message}).`,
      ),
    );
  }
  return nodes;
}
