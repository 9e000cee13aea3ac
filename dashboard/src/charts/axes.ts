/** The axes every uPlot chart of the dashboard draws: time along x, a labelled value axis on the left. */
import type uPlot from 'uplot';
import { timeAxisLabels } from '../format.js';
import { COLORS } from './colors.js';

/** Fresh objects per axis: uPlot fills its defaults into the options it is given. */
const base = (): uPlot.Axis => ({
  stroke: COLORS.axis,
  grid: { stroke: COLORS.grid, width: 1 },
  ticks: { show: false },
});

/** Time labels scaled to the visible span (x is in seconds, as uPlot keeps it). */
export function timeAxis(): uPlot.Axis {
  return {
    ...base(),
    size: 28,
    values: (u, splits) => timeAxisLabels(splits, ((u.scales.x?.max ?? 0) - (u.scales.x?.min ?? 0)) * 1000),
  };
}

/** A value axis `size` pixels wide whose tick labels `label` writes. */
export function valueAxis(size: number, label: (value: number) => string): uPlot.Axis {
  return { ...base(), size, values: (_u, splits) => splits.map(label) };
}
