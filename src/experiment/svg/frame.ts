/**
 * What every chart shares: the standalone <svg> document, the title and subtitle, axes, the legend, and
 * text that is estimated (no font metrics in Node) and clipped to a width with its whole self in a <title>.
 */
import { px, escapeXml } from './escape.js';
import { AXIS, FONT, FRAME, GRID, MUTED, SIZE, TEXT } from './theme.js';

/** An estimate of a text's width: the average advance of a sans-serif face is about 0.6 em. */
export function textWidth(text: string, size: number): number {
  return text.length * size * 0.6;
}

/** The text cut to `limit` pixels with an ellipsis, and a <title> with the whole of it when it was cut. */
export function clippedText(text: string, limit: number, size: number): { shown: string; title: string } {
  if (textWidth(text, size) <= limit) return { shown: escapeXml(text), title: '' };
  const chars = Math.max(1, Math.floor(limit / (size * 0.6)) - 1);
  return { shown: escapeXml(`${text.slice(0, chars)}…`), title: `<title>${escapeXml(text)}</title>` };
}

/** A standalone SVG document: namespace, size and viewBox, a white background, and a label for screen readers. */
export function svgDocument(width: number, height: number, label: string, body: string): string {
  const w = Math.ceil(width);
  const h = Math.ceil(height);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="graphics-document" aria-label="${escapeXml(label)}" font-family="${escapeXml(FONT)}" fill="${TEXT}">` +
    `<rect width="${w}" height="${h}" fill="white"/>${body}</svg>`;
}

/** Title and subtitle at (x, 0); returns the height they take. */
export function heading(title: string, subtitle: string, x: number): { svg: string; height: number } {
  let svg = `<text class="title" x="${px(x)}" y="${SIZE.title + 6}" font-size="${SIZE.title}" font-weight="bold">${escapeXml(title)}</text>`;
  let height = SIZE.title + 12;
  if (subtitle) {
    svg += `<text class="subtitle" x="${px(x)}" y="${height + SIZE.subtitle}" font-size="${SIZE.subtitle}" fill="${MUTED}">${escapeXml(subtitle)}</text>`;
    height += SIZE.subtitle + 6;
  }
  return { svg, height: height + 10 };
}

export interface Tick {
  /** Position along the axis, in pixels from the plot's left (x) or top (y). */
  at: number;
  label: string;
}

/** The plot's frame, grid lines at the y ticks (and x ticks when `xGrid`), and both axes with titles. */
export function axes(width: number, height: number, x: { ticks: Tick[]; title: string; grid: boolean }, y: { ticks: Tick[]; title: string }): string {
  const grid = [
    ...y.ticks.map((t) => `<line x1="0" x2="${px(width)}" y1="${px(t.at)}" y2="${px(t.at)}"/>`),
    ...(x.grid ? x.ticks.map((t) => `<line x1="${px(t.at)}" x2="${px(t.at)}" y1="0" y2="${px(height)}"/>`) : []),
  ].join('');
  const xLabels = x.ticks
    .map((t) => `<line x1="${px(t.at)}" x2="${px(t.at)}" y1="${px(height)}" y2="${px(height + 5)}"/><text x="${px(t.at)}" y="${px(height + 7 + SIZE.label)}" text-anchor="middle" stroke="none">${escapeXml(t.label)}</text>`)
    .join('');
  const yLabels = y.ticks
    .map((t) => `<line x1="-5" x2="0" y1="${px(t.at)}" y2="${px(t.at)}"/><text x="-7" y="${px(t.at + SIZE.label * 0.35)}" text-anchor="end" stroke="none">${escapeXml(t.label)}</text>`)
    .join('');
  const yLabelWidth = Math.max(0, ...y.ticks.map((t) => textWidth(t.label, SIZE.label)));
  return `<g class="grid" stroke="${GRID}" aria-hidden="true">${grid}</g><rect class="frame" width="${px(width)}" height="${px(height)}" fill="none" stroke="${FRAME}" aria-hidden="true"/>` +
    `<g class="axis x" stroke="${AXIS}" fill="${TEXT}" font-size="${SIZE.label}" aria-hidden="true">${xLabels}` +
    (x.title ? `<text x="${px(width / 2)}" y="${px(height + 22 + SIZE.axisTitle)}" text-anchor="middle" stroke="none" font-size="${SIZE.axisTitle}" font-weight="bold">${escapeXml(x.title)}</text>` : '') +
    `</g><g class="axis y" stroke="${AXIS}" fill="${TEXT}" font-size="${SIZE.label}" aria-hidden="true">${yLabels}` +
    (y.title ? `<text transform="translate(${px(-yLabelWidth - 14)},${px(height / 2)}) rotate(-90)" text-anchor="middle" stroke="none" font-size="${SIZE.axisTitle}" font-weight="bold">${escapeXml(y.title)}</text>` : '') +
    '</g>';
}

/** Room the y axis takes left of the plot: its widest tick label, and its title when it has one. */
export function yAxisWidth(labels: readonly string[], titled: boolean): number {
  return Math.max(0, ...labels.map((l) => textWidth(l, SIZE.label))) + 10 + (titled ? 20 : 0);
}

/** Room the x axis takes below the plot: its tick labels and its title. */
export const X_AXIS_HEIGHT = 44;

export interface LegendEntry {
  label: string;
  colour: string;
  /** line: a stroke (with `dash`); swatch: a filled square (with `opacity`). */
  kind: 'line' | 'swatch';
  dash?: string;
  opacity?: number;
}

export interface LegendGroup {
  title?: string;
  entries: LegendEntry[];
}

/** Legend groups stacked top to bottom, drawn at the origin; returns its size. */
export function legend(groups: readonly LegendGroup[], labelLimit: number): { svg: string; width: number; height: number } {
  const row = SIZE.legend + 6;
  let y = 0;
  let width = 0;
  const parts: string[] = [];
  for (const group of groups) {
    if (group.title) {
      parts.push(`<text y="${px(y + SIZE.legend)}" font-size="${SIZE.legend}" font-weight="bold">${escapeXml(group.title)}</text>`);
      width = Math.max(width, textWidth(group.title, SIZE.legend));
      y += row;
    }
    for (const e of group.entries) {
      const mid = y + row / 2 - 1;
      const mark = e.kind === 'line'
        ? `<line x1="0" x2="18" y1="${px(mid)}" y2="${px(mid)}" stroke="${e.colour}" stroke-width="2"${e.dash ? ` stroke-dasharray="${e.dash}"` : ''}/>`
        : `<rect x="4" y="${px(mid - 5)}" width="10" height="10" fill="${e.colour}" stroke="${FRAME}"${e.opacity === undefined ? '' : ` fill-opacity="${e.opacity}"`}/>`;
      const text = clippedText(e.label, labelLimit, SIZE.legend);
      parts.push(`<g class="legend-entry">${mark}<text x="24" y="${px(mid + SIZE.legend * 0.35)}" font-size="${SIZE.legend}">${text.title}${text.shown}</text></g>`);
      width = Math.max(width, 24 + Math.min(labelLimit, textWidth(e.label, SIZE.legend)));
      y += row;
    }
    y += 6;
  }
  return { svg: `<g class="legend">${parts.join('')}</g>`, width, height: y };
}
