/**
 * Line charts: one or more panels side by side (each with its own axes), sharing a title and a legend.
 * A panel draws shaded bands (lower to upper), horizontal rules, lines (one <path> per series, a point
 * per value: "M x,y L x,y …", broken where a value is missing), optional point marks and point labels.
 * Each series' path carries an aria-label naming it, its point count and its first value, so a screen
 * reader (or a test) can tell what was drawn without the pixels.
 */
import { formatDay } from '../../engine/ingest/dates.js';
import { dayTicks, formatTick, niceTicks } from './axis.js';
import { escapeXml, px } from './escape.js';
import { axes, heading, legend, svgDocument, textWidth, X_AXIS_HEIGHT, yAxisWidth, type LegendGroup } from './frame.js';
import { LABEL_LIMIT, RULE, SIZE, STROKE } from './theme.js';

/** day: x values are days since 1970-01-01; ordinal: x values index `categories`, evenly spaced. */
export type XAxis = { kind: 'day'; title: string } | { kind: 'ordinal'; title: string; categories: readonly string[] };

export interface YAxis {
  title: string;
  /** Whether the axis must reach 0. */
  zero: boolean;
  percent?: boolean;
}

export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  colour: string;
  dash?: string;
  /** A circle at each value, with a <title> (label and value). */
  points?: boolean;
  /** Text beside each point. */
  labels?: readonly string[];
}

export interface Band {
  name: string;
  x: ArrayLike<number>;
  lower: ArrayLike<number>;
  upper: ArrayLike<number>;
  colour: string;
  opacity: number;
}

export interface LinePanel {
  width: number;
  height: number;
  x: XAxis;
  y: YAxis;
  series: LineSeries[];
  bands?: Band[];
  rules?: { y: number; dash?: string }[];
}

export interface LineChart {
  title: string;
  subtitle: string;
  panels: LinePanel[];
  legend: LegendGroup[];
}

const PANEL_GAP = 30;
/** Room right of the last panel's plot for point labels that run past it. */
const LABEL_OVERHANG = 10;

export function renderLineChart(chart: LineChart): string {
  const drawn = chart.panels.map(layoutPanel);
  const legendBlock = legend(chart.legend, LABEL_LIMIT);
  const left = drawn[0].left;
  const head = heading(chart.title, chart.subtitle, left);
  let x = 0;
  const panels = drawn.map((p, i) => {
    const at = x + p.left;
    x = at + chart.panels[i].width + PANEL_GAP;
    return `<g class="panel" transform="translate(${px(at)},${px(head.height)})">${p.svg}</g>`;
  });
  const plotsRight = x - PANEL_GAP + LABEL_OVERHANG;
  const plotHeight = Math.max(...chart.panels.map((p) => p.height));
  const width = Math.max(plotsRight + (legendBlock.height > 0 ? 20 + legendBlock.width : 0), left + textWidth(chart.subtitle, SIZE.subtitle)) + 10;
  const height = head.height + Math.max(plotHeight + X_AXIS_HEIGHT, legendBlock.height) + 6;
  const legendSvg = `<g transform="translate(${px(plotsRight + 20)},${px(head.height)})">${legendBlock.svg}</g>`;
  return svgDocument(width, height, chart.title, head.svg + panels.join('') + legendSvg);
}

function layoutPanel(panel: LinePanel): { left: number; svg: string } {
  const { width, height } = panel;
  // The y domain: every value, band bound and rule (and 0 when asked), widened to whole ticks.
  let lo = panel.y.zero ? 0 : Infinity;
  let hi = panel.y.zero ? 0 : -Infinity;
  const extend = (values: ArrayLike<number>) => {
    for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) [lo, hi] = [Math.min(lo, values[i]), Math.max(hi, values[i])];
  };
  for (const s of panel.series) extend(s.y);
  for (const b of panel.bands ?? []) [b.lower, b.upper].forEach(extend);
  extend((panel.rules ?? []).map((r) => r.y));
  const yTicks = niceTicks(lo, hi, Math.max(2, Math.round(height / 50)));
  const yOf = (v: number) => height - ((v - yTicks.min) / (yTicks.max - yTicks.min)) * height;
  const yLabels = yTicks.ticks.map((t) => formatTick(t, yTicks.step, panel.y.percent));

  const { xOf, ticks: xTicks, format: xFormat, describe } = xScale(panel);
  const body: string[] = [];
  for (const band of panel.bands ?? []) body.push(bandPath(band, xOf, yOf));
  for (const rule of panel.rules ?? []) {
    body.push(`<line class="rule" x1="0" x2="${px(width)}" y1="${px(yOf(rule.y))}" y2="${px(yOf(rule.y))}" stroke="${RULE}"${rule.dash ? ` stroke-dasharray="${rule.dash}"` : ''} aria-hidden="true"/>`);
  }
  const yFormat = (v: number) => (panel.y.percent ? formatTick(v, 1e-6, true) : String(v));
  for (const s of panel.series) body.push(linePath(s, xOf, yOf, describe, panel.y.title));
  for (const s of panel.series) if (s.points || s.labels) body.push(pointMarks(s, xOf, yOf, describe, yFormat));
  const svg = axes(width, height, { ticks: xTicks.map((t) => ({ at: xOf(t), label: xFormat(t) })), title: panel.x.title, grid: panel.x.kind === 'day' },
    { ticks: yTicks.ticks.map((t, i) => ({ at: yOf(t), label: yLabels[i] })), title: panel.y.title }) + body.join('');
  return { left: yAxisWidth(yLabels, panel.y.title !== ''), svg };
}

/** x → pixels, the ticks and their labels, and `describe`: an x value written whole (a day as YYYY-MM-DD). */
function xScale(panel: LinePanel): { xOf: (x: number) => number; ticks: number[]; format: (x: number) => string; describe: (x: number) => string } {
  const axis = panel.x;
  if (axis.kind === 'ordinal') {
    // Evenly spaced points, half a step in from each side.
    const n = axis.categories.length;
    const step = panel.width / Math.max(1, n);
    const format = (i: number) => axis.categories[i] ?? '';
    return { xOf: (i) => (i + 0.5) * step, ticks: axis.categories.map((_, i) => i), format, describe: format };
  }
  let first = Infinity;
  let last = -Infinity;
  for (const s of [...panel.series, ...(panel.bands ?? [])]) {
    for (let i = 0; i < s.x.length; i++) [first, last] = [Math.min(first, s.x[i]), Math.max(last, s.x[i])];
  }
  if (!(last > first)) [first, last] = [Number.isFinite(first) ? first - 1 : 0, Number.isFinite(first) ? first + 1 : 1];
  const { ticks, format } = dayTicks(first, last, panel.width / 80);
  return { xOf: (d) => ((d - first) / (last - first)) * panel.width, ticks, format, describe: formatDay };
}

function linePath(s: LineSeries, xOf: (x: number) => number, yOf: (y: number) => number, xFormat: (x: number) => string, yTitle: string): string {
  let d = '';
  let pen = 'M';
  let count = 0;
  let firstAt = -1;
  let lastAt = -1;
  for (let i = 0; i < s.y.length; i++) {
    if (!Number.isFinite(s.y[i])) {
      pen = 'M';
      continue;
    }
    if (firstAt < 0) firstAt = i;
    lastAt = i;
    d += `${pen}${px(xOf(s.x[i]))},${px(yOf(s.y[i]))}`;
    pen = 'L';
    count++;
  }
  const label = count === 0
    ? `${s.name}: no points`
    : `${s.name}: ${count} points from ${xFormat(s.x[firstAt])} to ${xFormat(s.x[lastAt])}; first ${yTitle} ${s.y[firstAt]}`;
  return `<path class="line" role="graphics-symbol" aria-label="${escapeXml(label)}" d="${d}" fill="none" stroke="${s.colour}" stroke-width="${STROKE}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`;
}

function pointMarks(s: LineSeries, xOf: (x: number) => number, yOf: (y: number) => number, xFormat: (x: number) => string, yFormat: (y: number) => string): string {
  const marks: string[] = [];
  for (let i = 0; i < s.y.length; i++) {
    if (!Number.isFinite(s.y[i])) continue;
    const [x, y] = [px(xOf(s.x[i])), px(yOf(s.y[i]))];
    const what = `${s.labels?.[i] ?? s.name}: ${xFormat(s.x[i])}, ${yFormat(s.y[i])}`;
    if (s.points) marks.push(`<circle class="point" role="graphics-symbol" aria-label="${escapeXml(what)}" cx="${x}" cy="${y}" r="3" fill="${s.colour}"><title>${escapeXml(what)}</title></circle>`);
    if (s.labels) marks.push(`<text class="point-label" x="${px(xOf(s.x[i]) + 6)}" y="${px(yOf(s.y[i]) - 8)}" font-size="${SIZE.label + 1}">${escapeXml(s.labels[i])}</text>`);
  }
  return `<g class="points">${marks.join('')}</g>`;
}

/** A band as one closed path: along the upper bounds, back along the lower ones; broken where a bound is missing. */
function bandPath(b: Band, xOf: (x: number) => number, yOf: (y: number) => number): string {
  const runs: number[][] = [[]];
  for (let i = 0; i < b.x.length; i++) {
    if (Number.isFinite(b.lower[i]) && Number.isFinite(b.upper[i])) runs[runs.length - 1].push(i);
    else if (runs[runs.length - 1].length > 0) runs.push([]);
  }
  const d = runs
    .filter((run) => run.length > 0)
    .map((run) => {
      const top = run.map((i, k) => `${k === 0 ? 'M' : 'L'}${px(xOf(b.x[i]))},${px(yOf(b.upper[i]))}`).join('');
      const bottom = [...run].reverse().map((i) => `L${px(xOf(b.x[i]))},${px(yOf(b.lower[i]))}`).join('');
      return `${top}${bottom}Z`;
    })
    .join('');
  const count = runs.reduce((n, run) => n + run.length, 0);
  return `<path class="band" role="graphics-symbol" aria-label="${escapeXml(`${b.name}: ${count} intervals`)}" d="${d}" fill="${b.colour}" fill-opacity="${b.opacity}" stroke="none"/>`;
}
