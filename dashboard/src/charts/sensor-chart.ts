/**
 * One sensor's time series (uPlot): the reading (raw points, or the bucket average with its min–max band),
 * the warning and critical thresholds as dashed lines, and the machine's alarms on this sensor as shaded
 * spans with a mark where each began. The y range always takes in the thresholds, so the distance to a
 * limit is what the eye sees first.
 */
import uPlot from 'uplot';
import { h, setAttr, setText } from '../dom.js';
import { formatSensor, formatTime, sensorDisplay, toDisplay } from '../format.js';
import type { AlarmSpan, Columns, Level, ThresholdLine } from '../shape.js';
import { yRange } from '../shape.js';
import { timeAxis, valueAxis } from './axes.js';
import { COLORS } from './colors.js';

export interface SensorChartData {
  /** x (s), value, min, max — min/max null for raw points. */
  readonly columns: Columns;
  readonly range: { readonly from: number; readonly to: number };
  readonly lines: readonly ThresholdLine[];
  /** The limits in words, under the title. */
  readonly limits: string;
  readonly spans: readonly AlarmSpan[];
  /** Latest reading (API units) and its level against the thresholds. */
  readonly latest: number | undefined;
  readonly level: Level;
  readonly rangeLabel: string;
}

const HEIGHT = 150;

export class SensorChart {
  readonly el: HTMLElement;
  private readonly valueEl: HTMLElement;
  private readonly limitsEl: HTMLElement;
  private readonly plotEl: HTMLElement;
  private plot: uPlot | undefined;
  private data: SensorChartData | undefined;
  /** While the pointer is over the plot, the value shown is the one under it. */
  private hovering = false;
  private readonly resize: ResizeObserver;

  constructor(readonly sensor: string) {
    const d = sensorDisplay(sensor);
    this.valueEl = h('span', { class: 'chart-value' }, '—');
    this.limitsEl = h('span', { class: 'chart-limits' });
    this.plotEl = h('div', { class: 'chart-plot', role: 'img' });
    this.el = h(
      'figure',
      { class: 'chart', 'data-sensor': sensor, 'data-points': '0' },
      h('figcaption', {}, h('span', { class: 'chart-title' }, d.label), this.valueEl, this.limitsEl),
      this.plotEl,
    );
    this.resize = new ResizeObserver(() => {
      const width = this.plotEl.clientWidth;
      if (width > 0 && this.plot !== undefined && Math.abs(this.plot.width - width) > 1) {
        this.plot.setSize({ width, height: HEIGHT });
      }
    });
    this.resize.observe(this.plotEl);
  }

  update(data: SensorChartData): void {
    this.data = data;
    const d = sensorDisplay(this.sensor);
    const points = data.columns[1]?.filter((v) => v !== null).length ?? 0;
    this.el.dataset.points = String(points);
    this.el.dataset.level = data.level;
    if (!this.hovering) {
      setText(this.valueEl, formatSensor(this.sensor, data.latest));
      setAttr(this.valueEl, 'data-level', data.level);
    }
    setText(this.limitsEl, data.limits);
    setAttr(
      this.plotEl,
      'aria-label',
      `${d.label}, last ${data.rangeLabel}: ${points} readings, latest ${formatSensor(this.sensor, data.latest)}${
        data.level === 'normal' ? '' : ` (${data.level})`
      }`,
    );
    if (this.plot === undefined) {
      const width = this.plotEl.clientWidth;
      if (width === 0) return; // not laid out yet: the next poll draws it
      this.plot = new uPlot(this.options(width), data.columns as uPlot.AlignedData, this.plotEl);
    } else {
      this.plot.setData(data.columns as uPlot.AlignedData);
    }
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  private options(width: number): uPlot.Options {
    const d = sensorDisplay(this.sensor);
    return {
      width,
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      scales: {
        x: {
          time: true,
          range: () => [(this.data?.range.from ?? 0) / 1000, (this.data?.range.to ?? 1) / 1000],
        },
        y: {
          range: (u) =>
            yRange(
              [...(u.data[1] ?? []), ...(u.data[2] ?? []), ...(u.data[3] ?? [])] as (number | null)[],
              (this.data?.lines ?? []).map((l) => toDisplay(this.sensor, l.value)),
            ) ?? [0, 1],
        },
      },
      series: [
        {},
        { label: d.label, stroke: COLORS.series, width: 1.5, spanGaps: false },
        { label: 'min', stroke: 'transparent', points: { show: false } },
        { label: 'max', stroke: 'transparent', points: { show: false } },
      ],
      bands: [{ series: [3, 2], fill: COLORS.band }],
      axes: [timeAxis(), valueAxis(52, (v) => v.toFixed(Math.max(0, d.decimals - 1)))],
      hooks: {
        drawClear: [(u) => this.drawSpans(u)],
        draw: [(u) => this.drawLines(u)],
        setCursor: [(u) => this.showCursor(u)],
      },
    };
  }

  /** Alarms behind the series: a shaded span and a solid mark where each began. */
  private drawSpans(u: uPlot): void {
    const { ctx, bbox } = u;
    ctx.save();
    for (const span of this.data?.spans ?? []) {
      if (span.sensor !== this.sensor) continue;
      const x0 = u.valToPos(span.from / 1000, 'x', true);
      const x1 = Math.max(u.valToPos(span.to / 1000, 'x', true), x0 + 2 * uPlot.pxRatio);
      ctx.fillStyle = span.severity === 'critical' ? COLORS.criticalSpan : COLORS.warningSpan;
      ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
      ctx.fillStyle = span.severity === 'critical' ? COLORS.critical : COLORS.warning;
      ctx.fillRect(x0, bbox.top, 2 * uPlot.pxRatio, bbox.height);
    }
    ctx.restore();
  }

  /** Threshold lines over the series, their value at the left edge (the caption says which is which). */
  private drawLines(u: uPlot): void {
    const { ctx, bbox } = u;
    const { decimals } = sensorDisplay(this.sensor);
    const px = uPlot.pxRatio;
    ctx.save();
    ctx.lineWidth = px;
    ctx.setLineDash([5 * px, 4 * px]);
    ctx.font = `${10 * px}px system-ui, sans-serif`;
    ctx.textBaseline = 'bottom';
    ctx.textAlign = 'left';
    for (const line of this.data?.lines ?? []) {
      const shown = toDisplay(this.sensor, line.value);
      const y = u.valToPos(shown, 'y', true);
      if (y < bbox.top || y > bbox.top + bbox.height) continue;
      const color = line.level === 'critical' ? COLORS.critical : COLORS.warning;
      ctx.strokeStyle = color;
      ctx.beginPath();
      ctx.moveTo(bbox.left, y);
      ctx.lineTo(bbox.left + bbox.width, y);
      ctx.stroke();
      ctx.fillStyle = color;
      ctx.fillText(shown.toFixed(decimals), bbox.left + 4 * px, y - 2 * px);
    }
    ctx.restore();
  }

  private showCursor(u: uPlot): void {
    const i = u.cursor.idx;
    const x = i == null ? undefined : u.data[0][i];
    const v = i == null ? undefined : u.data[1]?.[i];
    if (x === undefined || v == null) {
      this.hovering = false;
      setText(this.valueEl, formatSensor(this.sensor, this.data?.latest));
      setAttr(this.valueEl, 'data-level', this.data?.level ?? 'normal');
      return;
    }
    this.hovering = true;
    const d = sensorDisplay(this.sensor);
    setText(this.valueEl, `${formatSensor(this.sensor, v * d.perUnit)} at ${formatTime(x * 1000)}`);
    setAttr(this.valueEl, 'data-level', null);
  }
}
