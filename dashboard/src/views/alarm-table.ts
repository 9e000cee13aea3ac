/**
 * A list of alarms with an Acknowledge button on each active, unacknowledged one. Rows are kept across
 * polls (keyed by alarm id), so a focused button stays focused; after an acknowledgment the focus moves to
 * the next button, so a keyboard user can work down the list with Enter and Tab.
 */
import { ApiError } from '../api.js';
import type { ViewContext } from '../context.js';
import { h, setAttr, setText, syncList } from '../dom.js';
import { formatAlarmValue, formatTime, relativeTime, sensorDisplay, stateLabel } from '../format.js';
import { routeHash } from '../router.js';
import type { Alarm } from '../types.js';

const OPERATOR_KEY = 'flexotwin.operator';

function storedOperator(): string {
  try {
    return localStorage.getItem(OPERATOR_KEY) ?? '';
  } catch {
    return '';
  }
}

export interface AlarmTableOptions {
  readonly showMachine: boolean;
  readonly emptyText: string;
  /** Called after an acknowledgment went through (to refresh what depends on it). */
  readonly onAcknowledged: () => void;
  readonly testId: string;
}

export class AlarmTable {
  readonly el: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly empty: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly operator: HTMLInputElement;
  private readonly toolbar: HTMLElement;
  private readonly pending = new Set<string>();
  private readonly errors = new Map<string, string>();
  /** Acknowledgments made here, shown until the next poll confirms them. */
  private readonly acked = new Map<string, Alarm>();
  private alarms: readonly Alarm[] = [];

  constructor(
    private readonly ctx: ViewContext,
    private readonly options: AlarmTableOptions,
  ) {
    const id = `${options.testId}-operator`;
    this.operator = h('input', {
      id,
      name: 'operator',
      type: 'text',
      autocomplete: 'name',
      placeholder: 'operator',
      maxlength: 128,
      value: storedOperator(),
    });
    this.operator.addEventListener('change', () => {
      try {
        localStorage.setItem(OPERATOR_KEY, this.operator.value.trim());
      } catch {
        // Private mode: the name is simply not remembered.
      }
    });
    this.body = h('tbody');
    this.table = h(
      'table',
      { class: 'alarms' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Started'),
          options.showMachine && h('th', { scope: 'col' }, 'Machine'),
          h('th', { scope: 'col' }, 'Severity'),
          h('th', { scope: 'col' }, 'Sensor'),
          h('th', { scope: 'col' }, 'Alarm'),
          h('th', { scope: 'col' }, 'State'),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Action')),
        ),
      ),
      this.body,
    );
    this.table.hidden = true;
    // Shown once the first answer says there is nothing.
    this.empty = h('p', { class: 'muted empty', hidden: true }, options.emptyText);
    this.toolbar = h(
      'div',
      { class: 'toolbar', hidden: true },
      h('label', { for: id }, 'Acknowledge as'),
      this.operator,
    );
    this.el = h(
      'div',
      { class: 'alarm-table', 'data-testid': options.testId },
      this.toolbar,
      this.empty,
      h('div', { class: 'table-scroll' }, this.table),
    );
  }

  update(alarms: readonly Alarm[]): void {
    // A local copy lasts until the API confirms the acknowledgment (or the alarm leaves the list).
    const incoming = new Map(alarms.map((a) => [a.alarm_id, a]));
    for (const id of this.acked.keys()) {
      if (incoming.get(id)?.state !== 'active_unacknowledged') this.acked.delete(id);
    }
    this.alarms = alarms.map((a) => this.acked.get(a.alarm_id) ?? a);
    this.render();
  }

  private render(): void {
    const now = this.ctx.now();
    this.empty.hidden = this.alarms.length > 0;
    this.table.hidden = this.alarms.length === 0;
    // The name field only while there is something to acknowledge (and while it has the focus).
    this.toolbar.hidden =
      !this.alarms.some((a) => a.state === 'active_unacknowledged') &&
      document.activeElement !== this.operator;
    syncList(
      this.body,
      this.alarms,
      (a) => a.alarm_id,
      (a) => this.createRow(a),
      (tr, a) => this.updateRow(tr, a, now),
    );
  }

  private createRow(a: Alarm): HTMLTableRowElement {
    const button = h('button', { type: 'button', class: 'ack' }, 'Acknowledge');
    button.addEventListener('click', () => void this.acknowledge(a.alarm_id));
    return h(
      'tr',
      { 'data-alarm-id': a.alarm_id },
      h('td', { class: 'started' }, h('span', { class: 'time' }), h('span', { class: 'ago' })),
      this.options.showMachine &&
        h('td', {}, h('a', { href: routeHash({ view: 'machine', id: a.machine_id }) }, a.machine_id)),
      h('td', {}, h('span', { class: 'severity' })),
      h(
        'td',
        { class: 'sensor' },
        h('span', { class: 'sensor-name' }),
        h('span', { class: 'component muted' }),
      ),
      h('td', { class: 'message' }, h('span', { class: 'text' }), h('span', { class: 'worst muted' })),
      h(
        'td',
        { class: 'state' },
        h('span', { class: 'state-label' }),
        h('span', { class: 'state-detail muted' }),
      ),
      h('td', { class: 'action' }, button, h('span', { class: 'error', role: 'alert' })),
    );
  }

  private updateRow(tr: HTMLTableRowElement, a: Alarm, now: number): void {
    const q = (selector: string) => tr.querySelector(selector) as HTMLElement;
    tr.dataset.state = a.state;
    tr.dataset.severity = a.severity;
    setText(q('.time'), formatTime(a.first_seen, { now }));
    setText(q('.ago'), relativeTime(a.first_seen, now));
    const sev = q('.severity');
    setText(sev, a.severity === 'critical' ? 'Critical' : 'Warning');
    sev.dataset.severity = a.severity;
    setText(q('.sensor-name'), sensorDisplay(a.sensor).label);
    setText(q('.component'), a.component);
    setText(q('.message .text'), a.message);
    setText(
      q('.worst'),
      a.worst_value !== a.value ? `worst ${formatAlarmValue(a.sensor, a.unit, a.worst_value)}` : '',
    );
    setText(q('.state-label'), stateLabel(a.state));
    setText(
      q('.state-detail'),
      a.state === 'cleared'
        ? `at ${formatTime(a.cleared_at ?? a.last_seen, { now })}`
        : a.state === 'active_acknowledged'
          ? `by ${a.acknowledged_by ?? '?'} at ${formatTime(a.acknowledged_at ?? a.last_seen, { now })}`
          : `since ${relativeTime(a.first_seen, now).replace(' ago', '')}`,
    );
    const button = q('button.ack') as HTMLButtonElement;
    const pending = this.pending.has(a.alarm_id);
    button.hidden = a.state !== 'active_unacknowledged';
    // aria-disabled rather than disabled: a disabled button loses the keyboard focus.
    setAttr(button, 'aria-disabled', pending ? 'true' : null);
    setText(button, pending ? 'Acknowledging…' : 'Acknowledge');
    setAttr(button, 'aria-label', `Acknowledge: ${a.message}`);
    setText(q('.error'), this.errors.get(a.alarm_id) ?? '');
  }

  private async acknowledge(alarmId: string): Promise<void> {
    if (this.pending.has(alarmId)) return;
    const hadFocus = document.activeElement?.closest('tr')?.dataset.alarmId === alarmId;
    this.pending.add(alarmId);
    this.errors.delete(alarmId);
    this.render();
    const by = this.operator.value.trim() || 'operator';
    try {
      const result = await this.ctx.api.acknowledge(alarmId, by);
      this.acked.set(alarmId, result.alarm);
      this.ctx.announce(`Acknowledged: ${result.alarm.message}`);
    } catch (error) {
      const message =
        error instanceof ApiError && error.status === 409
          ? 'Already cleared'
          : error instanceof ApiError
            ? error.message
            : 'Failed';
      this.errors.set(alarmId, message);
      this.ctx.announce(`Acknowledgment failed: ${message}`);
    }
    this.pending.delete(alarmId);
    this.alarms = this.alarms.map((a) => this.acked.get(a.alarm_id) ?? a);
    this.render();
    if (hadFocus && this.acked.has(alarmId)) this.focusNext(alarmId);
    this.options.onAcknowledged();
  }

  /** After acknowledging, the next alarm's button (or the list itself when none is left). */
  private focusNext(alarmId: string): void {
    const rows = [...this.body.rows];
    const at = rows.findIndex((r) => r.dataset.alarmId === alarmId);
    const next = [...rows.slice(at + 1), ...rows.slice(0, Math.max(0, at))]
      .map((r) => r.querySelector<HTMLButtonElement>('button.ack'))
      .find((b) => b !== null && !b.hidden);
    if (next !== undefined && next !== null) next.focus();
    else {
      this.el.tabIndex = -1;
      this.el.focus();
    }
  }
}
