/**
 * The operator dashboard: the shell (header, navigation, live status), the hash router, the fleet list
 * shared by every view, and the API's clock. Views live in views/; everything is read through the public
 * API (api.ts), so the same page works against the local runtime and a cloud deployment.
 */
import { createApi } from './api.js';
import type { Fleet, View, ViewContext } from './context.js';
import { h, setAttr, setText } from './dom.js';
import { formatTime } from './format.js';
import { Live, POLL_MS } from './live.js';
import { parseRoute, type Route } from './router.js';
import type { MachineList } from './types.js';
import { alarmsView } from './views/alarms.js';
import { fleetView } from './views/fleet.js';
import { machineView } from './views/machine.js';
import { predictView } from './views/predict.js';

/** `<meta name="flexotwin-api-base" content="https://…">`: where the API is; empty for this origin. */
function apiBase(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="flexotwin-api-base"]')?.content.trim() ?? '';
}

function start(): void {
  const api = createApi(apiBase());
  const live = new Live();
  let clockOffset = 0;

  const announcer = h('div', { class: 'visually-hidden', 'aria-live': 'polite', role: 'status' });
  const status = h(
    'span',
    // Not a live region: it changes every 2 s. A lost or restored connection is announced instead.
    { class: 'live-status', 'data-testid': 'live-status' },
    'Connecting…',
  );
  const alarmBadge = h('span', { class: 'badge', hidden: true });
  const navLink = (hash: string, label: string, view: Route['view'], ...extra: Node[]) =>
    h('a', { href: hash, 'data-view': view }, label, ...extra);
  const nav = h(
    'nav',
    { 'aria-label': 'Main' },
    navLink('#/', 'Fleet', 'fleet'),
    navLink('#/alarms', 'Alarms', 'alarms', alarmBadge),
    navLink('#/predict', 'Prediction', 'predict'),
  );
  const main = h('main', { id: 'main', tabindex: -1 });
  document.body.replaceChildren(
    h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    h('header', { class: 'top' }, h('a', { class: 'brand', href: '#/' }, 'FlexoTwin'), nav, status),
    main,
    announcer,
  );
  // The skip link must not change the route.
  document.querySelector('a.skip')?.addEventListener('click', (event) => {
    event.preventDefault();
    main.focus();
  });

  // ---------------------------------------------------------------------------------------------- fleet
  let latest: MachineList | null = null;
  const listeners = new Set<(fleet: MachineList) => void>();
  const fleetPoll = live.every(POLL_MS, async () => {
    latest = await api.machines();
    const active = latest.machines.reduce((n, m) => n + m.active_alarms, 0);
    alarmBadge.hidden = active === 0;
    setText(alarmBadge, String(active));
    setAttr(alarmBadge, 'aria-label', `${active} active`);
    document.title = active === 0 ? 'FlexoTwin' : `(${active}) FlexoTwin`;
    for (const l of listeners) l(latest);
  });
  const fleet: Fleet = {
    get latest() {
      return latest;
    },
    subscribe(listener) {
      listeners.add(listener);
      if (latest !== null) listener(latest);
      return () => listeners.delete(listener);
    },
    refresh: () => fleetPoll.now(),
  };

  const ctx: ViewContext = {
    api,
    live,
    fleet,
    now: () => Date.now() + clockOffset,
    syncClock: (apiNow) => {
      if (Number.isFinite(apiNow)) clockOffset = apiNow - Date.now();
    },
    announce: (message) => {
      setText(announcer, '');
      requestAnimationFrame(() => setText(announcer, message));
    },
  };

  live.onChange((state) => {
    const ok = state.error === null && state.lastOk > 0;
    const next = state.error !== null ? 'down' : ok ? 'live' : 'connecting';
    if (next === 'down' && status.dataset.state !== 'down')
      ctx.announce(`Connection lost: ${state.error?.message}`);
    if (next === 'live' && status.dataset.state === 'down') ctx.announce('Connection restored');
    status.dataset.state = next;
    setText(
      status,
      state.error !== null
        ? `Connection lost: ${state.error.message}${state.lastOk > 0 ? ` · last update ${formatTime(state.lastOk)}` : ''}`
        : ok
          ? `Live · ${formatTime(state.lastOk)}`
          : 'Connecting…',
    );
  });

  // ---------------------------------------------------------------------------------------------- routing
  let view: View | undefined;
  const route = () => {
    const r = parseRoute(location.hash);
    view?.dispose();
    view =
      r.view === 'machine'
        ? machineView(ctx, r.id, r.range)
        : r.view === 'alarms'
          ? alarmsView(ctx, r.state, r.machine)
          : r.view === 'predict'
            ? predictView(ctx)
            : fleetView(ctx);
    main.replaceChildren(view.el);
    for (const link of nav.querySelectorAll('a')) {
      setAttr(link, 'aria-current', link.dataset.view === r.view ? 'page' : null);
    }
    document.body.dataset.view = r.view;
  };
  window.addEventListener('hashchange', () => {
    route();
    window.scrollTo(0, 0);
  });
  route();
}

start();
