/**
 * A horizontal bar chart: one bar per category (in the given order, top to bottom) from 0 to its value,
 * the category names left of the axis, a legend for the colours. Each bar has an aria-label and a
 * <title> (the tooltip a browser shows on hover).
 */
import { formatTick, niceTicks } from './axis.js';
import { escapeXml, px } from './escape.js';
import { axes, clippedText, heading, legend, svgDocument, textWidth, X_AXIS_HEIGHT, type LegendGroup } from './frame.js';
import { LABEL_LIMIT, SIZE } from './theme.js';

export interface Bar {
  label: string;
  value: number;
  colour: string;
  /** What the bar says to a screen reader. */
  aria: string;
  /** The hover text (lines). */
  tooltip: string;
}

export interface BarChart {
  title: string;
  subtitle: string;
  /** The plot's width; its height is BAR_STEP per bar. */
  width: number;
  axisTitle: string;
  percent: boolean;
  bars: Bar[];
  legend: LegendGroup[];
}

const BAR_STEP = 18;
/** The share of a step a bar fills, leaving a gap between bars. */
const BAR_FILL = 0.9;

export function renderBarChart(chart: BarChart): string {
  const height = BAR_STEP * chart.bars.length;
  const values = chart.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0));
  const ticks = niceTicks(Math.min(0, ...values), Math.max(0, ...values), Math.max(2, Math.round(chart.width / 80)));
  const xOf = (v: number) => ((v - ticks.min) / (ticks.max - ticks.min)) * chart.width;
  const left = Math.min(LABEL_LIMIT, Math.max(0, ...chart.bars.map((b) => textWidth(b.label, SIZE.label)))) + 12;
  const head = heading(chart.title, chart.subtitle, left);
  const bars = chart.bars.map((b, i) => {
    const [x0, x1] = [xOf(0), xOf(values[i])].sort((p, q) => p - q);
    const y = i * BAR_STEP + (BAR_STEP * (1 - BAR_FILL)) / 2;
    return `<rect class="bar" role="graphics-symbol" aria-label="${escapeXml(b.aria)}" x="${px(x0)}" y="${px(y)}" width="${px(x1 - x0)}" height="${px(BAR_STEP * BAR_FILL)}" fill="${b.colour}"><title>${escapeXml(b.tooltip)}</title></rect>`;
  });
  const names = chart.bars.map((b, i) => {
    const text = clippedText(b.label, LABEL_LIMIT, SIZE.label);
    return `<text x="-8" y="${px((i + 0.5) * BAR_STEP + SIZE.label * 0.35)}" text-anchor="end" font-size="${SIZE.label}">${text.title}${text.shown}</text>`;
  });
  const plot = axes(chart.width, height, { ticks: ticks.ticks.map((t) => ({ at: xOf(t), label: formatTick(t, ticks.step, chart.percent) })), title: chart.axisTitle, grid: true }, { ticks: [], title: '' });
  const legendBlock = legend(chart.legend, LABEL_LIMIT);
  const body = `${head.svg}<g class="panel" transform="translate(${px(left)},${px(head.height)})">${plot}<g class="bars">${bars.join('')}</g><g class="categories" aria-hidden="true">${names.join('')}</g></g>` +
    `<g transform="translate(${px(left + chart.width + 20)},${px(head.height)})">${legendBlock.svg}</g>`;
  const width = Math.max(left + chart.width + 20 + legendBlock.width, left + textWidth(chart.subtitle, SIZE.subtitle)) + 10;
  return svgDocument(width, head.height + Math.max(height + X_AXIS_HEIGHT, legendBlock.height) + 6, chart.title, body);
}
