/**
 * A machine at a glance: status, health index (coloured by its status, with the status in words),
 * OEE with availability, performance and quality, active alarms, and how fresh the data is.
 * The same element serves as the fleet's card and as the machine view's header.
 */
import { h, setAttr, setText } from '../dom.js';
import { DASH, formatPercent, freshness, relativeTime } from '../format.js';
import { routeHash } from '../router.js';
import type { MachineSummary } from '../types.js';

export function createMachineCard(id: string, linked: boolean): HTMLElement {
  const title = linked ? h('a', { href: routeHash({ view: 'machine', id }), class: 'stretched' }, id) : id;
  const figure = (name: string, label: string, title: string) =>
    h('div', { class: `oee-${name}` }, h('dt', { title }, label), h('dd', {}, DASH));
  return h(
    'article',
    { class: 'machine-card', 'data-machine-id': id },
    h(
      'header',
      {},
      h(linked ? 'h2' : 'h1', { class: 'machine-id' }, title),
      h('span', { class: 'machine-status' }, DASH),
    ),
    h(
      'div',
      { class: 'health' },
      h('span', { class: 'health-index' }, DASH),
      h(
        'span',
        { class: 'health-label' },
        h('span', { class: 'health-status' }),
        h('span', { class: 'worst muted' }),
      ),
    ),
    h(
      'dl',
      { class: 'oee' },
      figure('oee', 'OEE', 'Overall equipment effectiveness, this shift'),
      figure('availability', 'Avail.', 'Availability: run time / planned time'),
      figure('performance', 'Perf.', 'Performance: pieces / pieces possible at nameplate speed'),
      figure('quality', 'Quality', 'Quality: good pieces / pieces'),
    ),
    h('footer', {}, h('span', { class: 'active-alarms' }), h('span', { class: 'last-seen' })),
  );
}

export function updateMachineCard(card: HTMLElement, m: MachineSummary, now: number): void {
  const q = (selector: string) => card.querySelector(selector) as HTMLElement;
  const status = q('.machine-status');
  setText(status, m.status ?? 'No status yet');
  setAttr(status, 'data-status', m.status ?? 'unknown');

  const health = q('.health');
  setAttr(health, 'data-status', m.health?.status ?? 'unknown');
  setText(q('.health-index'), m.health === null ? DASH : m.health.health_index.toFixed(1));
  setText(q('.health-status'), m.health === null ? 'Health not computed yet' : `Health ${m.health.status}`);
  setText(q('.worst'), m.health === null ? '' : `worst: ${m.health.worst_component}`);
  health.style.setProperty('--status-color', m.health?.color ?? 'transparent');

  for (const key of ['oee', 'availability', 'performance', 'quality'] as const) {
    setText(q(`.oee-${key} dd`), formatPercent(m.oee?.[key]));
  }

  const alarms = q('.active-alarms');
  setText(
    alarms,
    m.active_alarms === 0
      ? 'No active alarms'
      : `${m.active_alarms} active alarm${m.active_alarms === 1 ? '' : 's'}`,
  );
  setAttr(alarms, 'data-count', String(m.active_alarms));

  const seen = q('.last-seen');
  const fresh = freshness(m.last_seen, now);
  setText(seen, m.last_seen === null ? 'never seen' : `seen ${relativeTime(m.last_seen, now)}`);
  setAttr(seen, 'data-freshness', fresh);
  setAttr(seen, 'title', m.last_seen ?? '');
  card.dataset.freshness = fresh;
  card.dataset.alarms = String(m.active_alarms);
}
