/**
 * One machine: its header card, alarms (timeline and list with acknowledge), the seven sensors with
 * thresholds and alarm marks, component health, OEE and the distribution of its recent anomalies.
 *
 * Polling: telemetry and active alarms every 2 s (raw ranges are topped up, not re-read); the alarm
 * history every 15 s or as soon as the set of active alarms changes; component health and OEE every 10 s
 * or on the same change (dynamic RPN follows the alarms); the rules once.
 */
import { ApiError } from '../api.js';
import { OeeChart } from '../charts/oee-chart.js';
import { SensorChart } from '../charts/sensor-chart.js';
import { AlarmTimeline } from '../charts/timeline.js';
import type { View, ViewContext } from '../context.js';
import { h, setText } from '../dom.js';
import { DASH, formatPercent, SENSOR_NAMES } from '../format.js';
import { POLL_MS } from '../live.js';
import { routeHash } from '../router.js';
import {
  alarmSpans,
  type Bucket,
  bucketColumns,
  bucketsOf,
  type Columns,
  type ComponentRow,
  latestValues,
  levelOf,
  limitsSummary,
  mergePoints,
  type RawPoint,
  rawColumns,
  rawPointsOf,
  sortAlarms,
  sortComponents,
  TELEMETRY_RANGES,
  type TelemetryRange,
  TOP_UP_OVERLAP_MS,
  telemetryRange,
  thresholdLines,
  uniqueAlarms,
} from '../shape.js';
import type { Alarm, MachineRules, OeeWindow, Rule } from '../types.js';
import { AlarmTable } from './alarm-table.js';
import { ComponentsTable } from './components-table.js';
import { alarmsSince, Distribution } from './distribution.js';
import { createMachineCard, updateMachineCard } from './machine-card.js';
import { segmented } from './segmented.js';

const HISTORY_MS = 15_000;
const SLOW_MS = 10_000;
const DAY_MS = 86_400_000;
const RAW_PAGE = 5000;
const MAX_PAGES = 10;

export function machineView(ctx: ViewContext, id: string, rangeKey: string | undefined): View {
  let range: TelemetryRange = telemetryRange(rangeKey);
  let rules: Rule[] = [];
  let rulesLoaded = false;
  let points: RawPoint[] = [];
  let buckets: Bucket[] = [];
  let lastFull = 0;
  /** Bumped when the range changes, so an answer for the previous range is dropped. */
  let generation = 0;
  let active: Alarm[] = [];
  let recent: Alarm[] = [];
  let lastHistory = 0;
  let activeSignature = '';
  let oeeWindow: OeeWindow = 'shift';

  // ---------------------------------------------------------------------------------------------- layout
  const card = createMachineCard(id, false);
  card.classList.add('machine-header');
  const notice = h('p', { class: 'notice', role: 'status', hidden: true });

  const timeline = new AlarmTimeline();
  const alarmTable = new AlarmTable(ctx, {
    showMachine: false,
    emptyText: 'No alarms in this range.',
    onAcknowledged: () => {
      fast.now();
      ctx.fleet.refresh();
    },
    testId: 'machine-alarms',
  });

  const charts = SENSOR_NAMES.map((s) => new SensorChart(s));
  const rangeLabel = h('span', { class: 'muted' });
  const rangePicker = segmented(
    'Time range',
    TELEMETRY_RANGES.map((r) => ({ value: r.key, label: r.label })),
    range.key,
    (key) => {
      range = telemetryRange(key);
      generation++;
      points = [];
      buckets = [];
      lastFull = 0;
      lastHistory = 0;
      recent = [];
      window.history.replaceState(null, '', routeHash({ view: 'machine', id, range: key }));
      fast.now();
    },
  );

  const components = new ComponentsTable();
  const oeeChart = new OeeChart();
  const oeeFigures = h('dl', { class: 'oee-figures', 'data-testid': 'oee-figures' });
  const oeePicker = segmented(
    'OEE window',
    [
      { value: 'shift', label: 'This shift' },
      { value: '24h', label: '24 h' },
      { value: '7d', label: '7 d' },
    ] as const,
    oeeWindow,
    (w) => {
      oeeWindow = w;
      slow.now();
    },
  );

  const anomalies = new Distribution();

  const section = (key: string, title: string, ...children: (Node | null)[]) =>
    h(
      'section',
      { class: `panel ${key}`, 'aria-labelledby': `${key}-title` },
      h('h2', { id: `${key}-title` }, title),
      ...children.filter((c): c is Node => c !== null),
    );

  const el = h(
    'div',
    { class: 'view machine-view', 'data-machine-id': id },
    h(
      'nav',
      { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      h('a', { href: routeHash({ view: 'fleet' }) }, 'Fleet'),
      ' › ',
      id,
    ),
    card,
    notice,
    section('alarms', 'Alarms', timeline.el, alarmTable.el),
    h(
      'section',
      { class: 'panel sensors', 'aria-labelledby': 'sensors-title' },
      h(
        'div',
        { class: 'section-head' },
        h('h2', { id: 'sensors-title' }, 'Sensors'),
        rangeLabel,
        rangePicker,
      ),
      h('div', { class: 'chart-grid', 'data-testid': 'sensor-charts' }, ...charts.map((c) => c.el)),
    ),
    h(
      'div',
      { class: 'two-col' },
      section('components', 'Component health', components.el),
      h(
        'section',
        { class: 'panel oee-panel', 'aria-labelledby': 'oee-title' },
        h('div', { class: 'section-head' }, h('h2', { id: 'oee-title' }, 'OEE'), oeePicker),
        oeeFigures,
        oeeChart.el,
      ),
    ),
    section('distribution', 'Anomalies in the last 24 h', anomalies.el),
  );

  const showNotice = (text: string | null) => {
    notice.hidden = text === null;
    setText(notice, text ?? '');
  };

  // ---------------------------------------------------------------------------------------------- data
  const notReported = (error: unknown) => {
    if (error instanceof ApiError && error.status === 404) {
      showNotice(`${id} has not reported yet. This page fills in as soon as it does.`);
      return true;
    }
    return false;
  };

  async function loadRules(): Promise<void> {
    if (rulesLoaded) return;
    const answer: MachineRules = await ctx.api.rules(id);
    rules = answer.rules;
    rulesLoaded = true;
  }

  async function loadTelemetry(): Promise<void> {
    const now = ctx.now();
    const started = generation;
    if (range.interval !== undefined) {
      if (buckets.length > 0 && now - lastFull < range.refetchMs) return;
      const series = await ctx.api.telemetry(id, { from: now - range.ms, interval: range.interval });
      ctx.syncClock(Date.parse(series.to));
      if (started !== generation) return;
      buckets = bucketsOf(series);
      lastFull = now;
      return;
    }
    const full = points.length === 0 || now - lastFull >= range.refetchMs;
    const newest = points.at(-1)?.t ?? 0;
    const from = full ? now - range.ms : Math.max(now - range.ms, newest - TOP_UP_OVERLAP_MS);
    const incoming: RawPoint[] = [];
    let to: number | undefined;
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const series = await ctx.api.telemetry(id, { from, to, limit: RAW_PAGE, cursor });
      if (to === undefined) {
        to = Date.parse(series.to);
        ctx.syncClock(to);
      }
      incoming.push(...rawPointsOf(series));
      cursor = series.kind === 'raw' ? series.next_cursor : undefined;
      if (cursor === undefined) break;
    }
    if (started !== generation) return;
    points = mergePoints(full ? [] : points, incoming, (to ?? now) - range.ms);
    if (full) lastFull = now;
  }

  async function loadAlarms(): Promise<boolean> {
    const page = await ctx.api.anomalies({ machine_id: id, state: 'active', limit: 200 });
    active = page.anomalies;
    const signature = active
      .map((a) => `${a.alarm_id}:${a.state}:${a.severity}`)
      .sort()
      .join('|');
    const changed = signature !== activeSignature;
    activeSignature = signature;
    const now = ctx.now();
    if (changed || now - lastHistory >= HISTORY_MS) {
      recent = (await alarmsSince(ctx.api, { machine_id: id, since: now - Math.max(DAY_MS, range.ms) }))
        .alarms;
      lastHistory = now;
    }
    return changed;
  }

  function render(): void {
    const now = ctx.now();
    const shown = { from: now - range.ms, to: now };
    setText(
      rangeLabel,
      range.interval === undefined ? 'raw readings' : `${range.interval} averages, min–max band`,
    );
    const alarms = uniqueAlarms(recent, active);
    const spans = alarmSpans(alarms, shown);
    const latest = latestValues(points, buckets);
    for (const chart of charts) {
      const s = chart.sensor;
      let columns: Columns;
      if (range.interval === undefined) {
        const [xs, ys] = rawColumns(points, s);
        const none = xs.map(() => null);
        columns = [xs, ys ?? [], none, none];
      } else {
        columns = bucketColumns(buckets, s);
      }
      chart.update({
        columns,
        range: shown,
        lines: thresholdLines(rules, s),
        limits: limitsSummary(rules, s),
        spans,
        latest: latest[s],
        level: levelOf(rules, s, latest[s]),
        rangeLabel: range.label,
      });
    }
    timeline.update(spans, shown, now);
    const inRange = new Set(spans.map((s) => s.alarm_id));
    alarmTable.update(
      sortAlarms(alarms.filter((a) => a.state !== 'cleared' || inRange.has(a.alarm_id))).slice(0, 100),
    );
    const day = alarms.filter((a) => Date.parse(a.last_seen) >= now - DAY_MS);
    anomalies.update(day);
  }

  async function loadComponents(): Promise<void> {
    const list = await ctx.api.components(id);
    const healths = await Promise.all(
      list.components.map((c) =>
        ctx.api.componentHealth(c.component_name, id).catch((error: unknown) => {
          if (error instanceof ApiError && error.status === 404) return undefined;
          throw error;
        }),
      ),
    );
    const rows: ComponentRow[] = list.components.map((c, i) => ({
      name: c.component_name,
      rpn_value: c.rpn_value,
      rpn_dynamic: c.rpn_dynamic,
      health: healths[i],
    }));
    components.update(sortComponents(rows));
  }

  async function loadOee(): Promise<void> {
    const [figures, trend] = await Promise.all([ctx.api.oee(id, oeeWindow), ctx.api.oeeTrend(id, oeeWindow)]);
    const item = (label: string, value: string, key: string) =>
      h('div', { 'data-key': key }, h('dt', {}, label), h('dd', {}, value));
    oeeFigures.replaceChildren(
      item('OEE', formatPercent(figures.oee), 'oee'),
      item('Availability', formatPercent(figures.availability), 'availability'),
      item('Performance', formatPercent(figures.performance), 'performance'),
      item('Quality', formatPercent(figures.quality), 'quality'),
      item(
        'Produced',
        figures.shifts === 0 ? DASH : figures.total_produksi.toLocaleString('en-US'),
        'produced',
      ),
      item('Defects', figures.shifts === 0 ? DASH : figures.produk_cacat.toLocaleString('en-US'), 'defects'),
      item(
        'Run / planned',
        figures.shifts === 0
          ? DASH
          : `${Math.round(figures.run_minutes)} / ${Math.round(figures.planned_minutes)} min`,
        'minutes',
      ),
    );
    oeeChart.update(trend);
  }

  // ---------------------------------------------------------------------------------------------- polling
  const unsubscribe = ctx.fleet.subscribe((fleet) => {
    const m = fleet.machines.find((x) => x.machine_id === id);
    if (m !== undefined) updateMachineCard(card, m, ctx.now());
  });

  const fast = ctx.live.every(POLL_MS, async () => {
    try {
      await loadRules();
      const [changed] = await Promise.all([loadAlarms(), loadTelemetry()]);
      showNotice(null);
      render();
      if (changed) slow.now();
    } catch (error) {
      if (!notReported(error)) throw error;
    }
  });

  const slow = ctx.live.every(SLOW_MS, async () => {
    try {
      await Promise.all([loadComponents(), loadOee()]);
    } catch (error) {
      if (!notReported(error)) throw error;
    }
  });

  return {
    el,
    dispose: () => {
      unsubscribe();
      fast.stop();
      slow.stop();
      for (const c of charts) c.destroy();
      oeeChart.destroy();
    },
  };
}
