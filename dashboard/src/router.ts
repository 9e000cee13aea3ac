/**
 * Hash routes, so the page works from any static host (S3 included) without server-side rewrites:
 *   #/                                  fleet overview
 *   #/machine/C_FL104?range=1h          one machine
 *   #/alarms?state=active&machine=M2    alarm list and distribution
 *   #/predict                           maintenance-duration prediction
 */
import type { AlarmStateFilter } from './types.js';

export type Route =
  | { readonly view: 'fleet' }
  | { readonly view: 'machine'; readonly id: string; readonly range?: string }
  | { readonly view: 'alarms'; readonly state: AlarmStateFilter; readonly machine?: string }
  | { readonly view: 'predict' };

export const ALARM_STATE_FILTERS: readonly { value: AlarmStateFilter; label: string }[] = [
  { value: 'active', label: 'Active' },
  { value: 'active_unacknowledged', label: 'Active, unacknowledged' },
  { value: 'active_acknowledged', label: 'Active, acknowledged' },
  { value: 'cleared', label: 'Cleared' },
  { value: 'all', label: 'All' },
];

const isStateFilter = (s: string | null): s is AlarmStateFilter =>
  ALARM_STATE_FILTERS.some((f) => f.value === s);

export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#/, '');
  const [path = '', search = ''] = text.split('?', 2);
  const query = new URLSearchParams(search);
  const parts = path.split('/').filter(Boolean).map(safeDecode);
  const [head, id] = parts;
  if (head === 'machine' && id !== undefined && id !== '') {
    const range = query.get('range');
    return { view: 'machine', id, ...(range !== null && { range }) };
  }
  if (head === 'alarms') {
    const state = query.get('state');
    const machine = query.get('machine');
    return {
      view: 'alarms',
      state: isStateFilter(state) ? state : 'active',
      ...(machine !== null && machine !== '' && { machine }),
    };
  }
  if (head === 'predict') return { view: 'predict' };
  return { view: 'fleet' };
}

export function routeHash(route: Route): string {
  switch (route.view) {
    case 'fleet':
      return '#/';
    case 'machine':
      return `#/machine/${encodeURIComponent(route.id)}${route.range === undefined ? '' : `?range=${encodeURIComponent(route.range)}`}`;
    case 'alarms': {
      const query = new URLSearchParams({
        state: route.state,
        ...(route.machine !== undefined && { machine: route.machine }),
      });
      return `#/alarms?${query}`;
    }
    case 'predict':
      return '#/predict';
  }
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
