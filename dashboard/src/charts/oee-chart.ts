/**
 * OEE over time (uPlot): OEE bold, availability, performance and quality thin, 0–100 %. Each point is
 * the running figure of its shift, so the lines restart at every shift change.
 */
import uPlot from 'uplot';
import { h, setAttr } from '../dom.js';
import type { OeeTrend } from '../types.js';
import { timeAxis, valueAxis } from './axes.js';
import { COLORS } from './colors.js';

const HEIGHT = 190;

export function oeeColumns(trend: OeeTrend): uPlot.AlignedData {
  const xs: number[] = [];
  const oee: (number | null)[] = [];
  const a: (number | null)[] = [];
  const p: (number | null)[] = [];
  const q: (number | null)[] = [];
  for (const point of trend.points) {
    xs.push(Date.parse(point.ts) / 1000);
    oee.push(point.oee);
    a.push(point.availability);
    p.push(point.performance);
    q.push(point.quality);
  }
  return [xs, oee, a, p, q];
}

export class OeeChart {
  readonly el: HTMLElement;
  private readonly plotEl: HTMLElement;
  private plot: uPlot | undefined;
  private range = { from: 0, to: 1 };
  private readonly resize: ResizeObserver;

  constructor() {
    this.plotEl = h('div', { class: 'chart-plot', role: 'img' });
    this.el = h('div', { class: 'chart oee-chart', 'data-points': '0' }, this.plotEl);
    this.resize = new ResizeObserver(() => {
      const width = this.plotEl.clientWidth;
      if (width > 0 && this.plot !== undefined && Math.abs(this.plot.width - width) > 1) {
        this.plot.setSize({ width, height: HEIGHT });
      }
    });
    this.resize.observe(this.plotEl);
  }

  update(trend: OeeTrend): void {
    this.range = { from: Date.parse(trend.from), to: Date.parse(trend.to) };
    const data = oeeColumns(trend);
    this.el.dataset.points = String(trend.count);
    const last = trend.points.at(-1);
    setAttr(
      this.plotEl,
      'aria-label',
      last === undefined
        ? 'OEE trend: no production figures in this window'
        : `OEE trend, ${trend.count} points; latest OEE ${last.oee ?? 'unknown'} %`,
    );
    if (this.plot === undefined) {
      const width = this.plotEl.clientWidth;
      if (width === 0) return;
      this.plot = new uPlot(this.options(width), data, this.plotEl);
    } else {
      this.plot.setData(data);
    }
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  private options(width: number): uPlot.Options {
    const pct = (v: number | null) => (v == null ? '—' : `${v.toFixed(1)} %`);
    const line = (label: string, stroke: string, w: number): uPlot.Series => ({
      label,
      stroke,
      width: w,
      value: (_u, v) => pct(v),
    });
    return {
      width,
      height: HEIGHT,
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true, range: () => [this.range.from / 1000, this.range.to / 1000] },
        y: { range: [0, 100] },
      },
      series: [
        {},
        line('OEE', COLORS.oee, 2.5),
        line('Availability', COLORS.availability, 1.25),
        line('Performance', COLORS.performance, 1.25),
        line('Quality', COLORS.quality, 1.25),
      ],
      axes: [timeAxis(), valueAxis(44, (v) => `${v} %`)],
    };
  }
}
