/**
 * The alarm timeline: one lane per sensor that had alarms in the range, each alarm a bar from its first
 * reading to its clearing (or now), amber for warning, red for critical, outlined while unacknowledged.
 * HTML rather than canvas: few elements, crisp at any zoom, a title on each bar. Hidden when empty.
 */
import { h, setText, syncList } from '../dom.js';
import { formatDuration, formatTime, sensorDisplay, stateLabel } from '../format.js';
import type { AlarmSpan } from '../shape.js';

export class AlarmTimeline {
  readonly el: HTMLElement;
  private readonly lanes: HTMLElement;
  private readonly axis: HTMLElement;

  constructor() {
    this.lanes = h('div', { class: 'timeline-lanes' });
    this.axis = h('div', { class: 'timeline-axis', 'aria-hidden': 'true' });
    this.el = h(
      'div',
      { class: 'timeline', 'data-testid': 'alarm-timeline', hidden: true },
      this.lanes,
      this.axis,
    );
  }

  update(spans: readonly AlarmSpan[], range: { from: number; to: number }, now: number): void {
    const width = Math.max(1, range.to - range.from);
    const sensors = [...new Set(spans.map((s) => s.sensor))];
    // Nothing to draw: the alarm list below says so.
    this.el.hidden = spans.length === 0;
    syncList(
      this.lanes,
      sensors,
      (s) => s,
      (s) =>
        h(
          'div',
          { class: 'timeline-lane' },
          h('span', { class: 'timeline-label' }, sensorDisplay(s).label),
          h('div', { class: 'timeline-track' }),
        ),
      (lane, sensor) => {
        const track = lane.querySelector('.timeline-track') as HTMLElement;
        syncList(
          track,
          spans.filter((s) => s.sensor === sensor),
          (s) => s.alarm_id,
          () => h('span', { class: 'timeline-span' }),
          (bar, s) => {
            bar.style.left = `${(100 * (s.from - range.from)) / width}%`;
            bar.style.width = `max(3px, ${(100 * (s.to - s.from)) / width}%)`;
            bar.dataset.severity = s.severity;
            bar.dataset.state = s.state;
            bar.title = `${s.message}\n${formatTime(s.from, { now })} – ${
              s.state === 'cleared' ? formatTime(s.to, { now }) : 'now'
            } (${formatDuration(s.to - s.from)}), ${stateLabel(s.state).toLowerCase()}`;
          },
        );
      },
    );
    const ticks = [range.from, range.from + width / 2, range.to];
    syncList(
      this.axis,
      ticks.map((t, i) => ({ t, i })),
      (x) => String(x.i),
      () => h('span'),
      (el, x) => setText(el, formatTime(x.t, { now })),
    );
  }
}
