/**
 * Alarms across the fleet (or one machine): how they distribute over sensors and categories in the last
 * 24 h or 7 days, and the list filtered by state, newest first, with acknowledge buttons.
 */
import type { View, ViewContext } from '../context.js';
import { h, setText, syncList } from '../dom.js';
import { POLL_MS } from '../live.js';
import { ALARM_STATE_FILTERS, routeHash } from '../router.js';
import type { AlarmStateFilter } from '../types.js';
import { AlarmTable } from './alarm-table.js';
import { alarmsSince, Distribution } from './distribution.js';
import { segmented } from './segmented.js';

const PAGE = 50;
/** The API's largest page: the list shows at most this many (narrow the filter for older ones). */
const MAX_SHOWN = 200;
const DISTRIBUTION_MS = 15_000;
const PERIODS = [
  { value: '24h', label: '24 h', ms: 86_400_000 },
  { value: '7d', label: '7 d', ms: 7 * 86_400_000 },
] as const;

export function alarmsView(ctx: ViewContext, state: AlarmStateFilter, machine: string | undefined): View {
  let shown = PAGE;
  let period: (typeof PERIODS)[number] = PERIODS[0];
  let lastDistribution = 0;

  const go = (next: { state?: AlarmStateFilter; machine?: string | undefined }) => {
    const m = 'machine' in next ? next.machine : machine;
    location.hash = routeHash({
      view: 'alarms',
      state: next.state ?? state,
      ...(m !== undefined && { machine: m }),
    });
  };

  const stateSelect = h('select', { id: 'alarm-state', name: 'state' });
  for (const f of ALARM_STATE_FILTERS) {
    stateSelect.append(h('option', { value: f.value, selected: f.value === state }, f.label));
  }
  stateSelect.addEventListener('change', () => go({ state: stateSelect.value as AlarmStateFilter }));

  const machineSelect = h(
    'select',
    { id: 'alarm-machine', name: 'machine' },
    h('option', { value: '' }, 'All machines'),
  );
  machineSelect.addEventListener('change', () => go({ machine: machineSelect.value || undefined }));

  const distribution = new Distribution();
  const distributionNote = h('p', { class: 'muted' });
  const table = new AlarmTable(ctx, {
    showMachine: true,
    emptyText: 'No alarms match this filter.',
    onAcknowledged: () => {
      poll.now();
      ctx.fleet.refresh();
    },
    testId: 'alarm-list',
  });
  const more = h('button', { type: 'button', class: 'more', hidden: true }, 'Show more');
  more.addEventListener('click', () => {
    shown = Math.min(MAX_SHOWN, shown + PAGE);
    poll.now();
  });
  const listNote = h('p', { class: 'muted' });

  const el = h(
    'div',
    { class: 'view alarms-view' },
    h('h1', {}, 'Alarms'),
    h(
      'div',
      { class: 'filters' },
      h('label', { for: 'alarm-state' }, 'State'),
      stateSelect,
      h('label', { for: 'alarm-machine' }, 'Machine'),
      machineSelect,
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'distribution-title' },
      h(
        'div',
        { class: 'section-head' },
        h('h2', { id: 'distribution-title' }, 'Distribution'),
        segmented('Period', PERIODS, period.value, (value) => {
          period = PERIODS.find((p) => p.value === value) ?? PERIODS[0];
          lastDistribution = 0;
          poll.now();
        }),
      ),
      distributionNote,
      distribution.el,
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'list-title' },
      h('h2', { id: 'list-title' }, ALARM_STATE_FILTERS.find((f) => f.value === state)?.label ?? 'Alarms'),
      table.el,
      more,
      listNote,
    ),
  );

  const unsubscribe = ctx.fleet.subscribe((fleet) => {
    const ids = fleet.machines.map((m) => m.machine_id);
    if (machine !== undefined && !ids.includes(machine)) ids.push(machine);
    syncList(
      machineSelect,
      ids,
      (m) => m,
      (m) => h('option', { value: m }, m),
      (option, m) => {
        option.selected = m === machine;
      },
    );
  });

  async function loadDistribution(): Promise<void> {
    const now = ctx.now();
    if (now - lastDistribution < DISTRIBUTION_MS) return;
    const { alarms, complete } = await alarmsSince(ctx.api, { machine_id: machine, since: now - period.ms });
    distribution.update(alarms);
    setText(
      distributionNote,
      `${alarms.length}${complete ? '' : '+'} alarm${alarms.length === 1 ? '' : 's'} seen in the last ${period.label}${
        machine === undefined ? ' across the fleet' : ` on ${machine}`
      }, all states.`,
    );
    lastDistribution = now;
  }

  const poll = ctx.live.every(POLL_MS, async () => {
    const [page] = await Promise.all([
      ctx.api.anomalies({
        machine_id: machine,
        ...(state !== 'all' && { state }),
        limit: shown,
      }),
      loadDistribution(),
    ]);
    table.update(page.anomalies);
    more.hidden = page.next_cursor === undefined || shown >= MAX_SHOWN;
    setText(
      listNote,
      page.next_cursor !== undefined && shown >= MAX_SHOWN
        ? `Showing the newest ${MAX_SHOWN}. Filter by machine or state to see older ones.`
        : '',
    );
  });

  return {
    el,
    dispose: () => {
      unsubscribe();
      poll.stop();
    },
  };
}
