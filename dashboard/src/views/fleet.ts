/**
 * The fleet overview: a card per machine, every active alarm of the fleet below, and how the alarms of
 * the last 24 h distribute over sensors and categories.
 */
import type { View, ViewContext } from '../context.js';
import { h, setText, syncList } from '../dom.js';
import { POLL_MS } from '../live.js';
import { routeHash } from '../router.js';
import { sortAlarms } from '../shape.js';
import { AlarmTable } from './alarm-table.js';
import { alarmsSince, Distribution } from './distribution.js';
import { createMachineCard, updateMachineCard } from './machine-card.js';

const DAY_MS = 86_400_000;
const DISTRIBUTION_MS = 15_000;

export function fleetView(ctx: ViewContext): View {
  const distribution = new Distribution();
  const distributionNote = h('p', { class: 'muted' });
  const cards = h('div', { class: 'cards', 'data-testid': 'fleet-cards' });
  const summary = h('p', { class: 'summary muted' }, 'Loading…');
  const alarms = new AlarmTable(ctx, {
    showMachine: true,
    emptyText: 'No active alarms in the fleet.',
    onAcknowledged: () => {
      poll.now();
      ctx.fleet.refresh();
    },
    testId: 'fleet-alarms',
  });
  const el = h(
    'div',
    { class: 'view fleet-view' },
    h(
      'section',
      { 'aria-labelledby': 'fleet-title' },
      h('h1', { id: 'fleet-title' }, 'Fleet'),
      summary,
      cards,
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'fleet-alarms-title' },
      h(
        'div',
        { class: 'section-head' },
        h('h2', { id: 'fleet-alarms-title' }, 'Active alarms'),
        h('a', { href: routeHash({ view: 'alarms', state: 'all' }) }, 'All alarms'),
      ),
      alarms.el,
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'fleet-distribution-title' },
      h('h2', { id: 'fleet-distribution-title' }, 'Anomalies in the last 24 h'),
      distributionNote,
      distribution.el,
    ),
  );

  const unsubscribe = ctx.fleet.subscribe((fleet) => {
    const now = ctx.now();
    const withAlarms = fleet.machines.filter((m) => m.active_alarms > 0).length;
    setText(
      summary,
      fleet.total_machines === 0
        ? 'No machine has reported yet. Start the simulator or connect a device.'
        : `${fleet.total_machines} machine${fleet.total_machines === 1 ? '' : 's'} · ${
            withAlarms === 0 ? 'none with active alarms' : `${withAlarms} with active alarms`
          }`,
    );
    syncList(
      cards,
      fleet.machines,
      (m) => m.machine_id,
      (m) => createMachineCard(m.machine_id, true),
      (card, m) => updateMachineCard(card, m, now),
    );
  });

  const poll = ctx.live.every(POLL_MS, async () => {
    const page = await ctx.api.anomalies({ state: 'active', limit: 200 });
    alarms.update(sortAlarms(page.anomalies));
  });

  const history = ctx.live.every(DISTRIBUTION_MS, async () => {
    const { alarms: seen, complete } = await alarmsSince(ctx.api, { since: ctx.now() - DAY_MS });
    distribution.update(seen);
    const machines = new Set(seen.map((a) => a.machine_id)).size;
    setText(
      distributionNote,
      seen.length === 0
        ? 'No alarms in the last 24 h.'
        : `${seen.length}${complete ? '' : '+'} alarm${seen.length === 1 ? '' : 's'} on ${machines} machine${machines === 1 ? '' : 's'}, all states.`,
    );
  });

  return {
    el,
    dispose: () => {
      unsubscribe();
      history.stop();
      poll.stop();
    },
  };
}
