/** How alarms distribute over sensors and categories, side by side; and the alarm history it is drawn from. */
import { ANOMALY_CATEGORIES } from '../../../lambdas/core/anomaly/rules.js';
import type { Api } from '../api.js';
import { BarChart } from '../charts/bars.js';
import { h } from '../dom.js';
import { categoryLabel, SENSOR_NAMES, sensorDisplay } from '../format.js';
import { distribution } from '../shape.js';
import type { Alarm } from '../types.js';

export class Distribution {
  readonly el: HTMLElement;
  private readonly bySensor = new BarChart('By sensor', (k) => sensorDisplay(k).label, 'distribution-sensor');
  private readonly byCategory = new BarChart('By category', categoryLabel, 'distribution-category');

  constructor() {
    this.el = h('div', { class: 'two-col bars-pair' }, this.bySensor.el, this.byCategory.el);
  }

  update(alarms: readonly Alarm[]): void {
    this.bySensor.update(distribution(alarms, 'sensor', SENSOR_NAMES));
    this.byCategory.update(distribution(alarms, 'category', ANOMALY_CATEGORIES));
  }
}

/** Pages of the API's largest size (200) read for a history; beyond that the history is cut short. */
const MAX_PAGES = 5;

/** Alarms last seen at or after `since`, any state, newest first; `complete` is false when cut short. */
export async function alarmsSince(
  api: Api,
  query: { readonly machine_id?: string | undefined; readonly since: number },
): Promise<{ alarms: Alarm[]; complete: boolean }> {
  const alarms: Alarm[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const page = await api.anomalies({ ...query, limit: 200, cursor });
    alarms.push(...page.anomalies);
    cursor = page.next_cursor;
    if (cursor === undefined) return { alarms, complete: true };
  }
  return { alarms, complete: false };
}
