/**
 * A heat map: rows × columns of cells coloured on a diverging red–white–blue scale over [−limit, limit]
 * (values beyond it take the end colours), column names on top at an angle, row names on the left, an
 * optional text in each cell, and each cell's aria-label and <title> (its hover text).
 */
import { formatTick } from './axis.js';
import { escapeXml, px } from './escape.js';
import { clippedText, heading, legend, svgDocument, textWidth } from './frame.js';
import { FRAME, SIZE } from './theme.js';

export interface HeatCell {
  row: number;
  column: number;
  /** null: no value (drawn grey). */
  value: number | null;
  text: string;
  aria: string;
  tooltip: string;
}

export interface Heatmap {
  title: string;
  subtitle: string;
  columns: readonly string[];
  rows: readonly string[];
  cells: HeatCell[];
  /** The colour scale runs over [−limit, limit]. */
  limit: number;
  legendTitle: string;
}

const CELL_WIDTH = 56;
const CELL_HEIGHT = 18;
const COLUMN_LABEL_LIMIT = 240;
const ANGLE = 35;
const MISSING = '#eeeeee';
/** ColorBrewer's RdBu, red (low) to blue (high), as Vega's "redblue" scheme. */
const RED_BLUE = ['#67001f', '#b2182b', '#d6604d', '#f4a582', '#fddbc7', '#f7f7f7', '#d1e5f0', '#92c5de', '#4393c3', '#2166ac', '#053061'];

/** The colour of `value` on the red–white–blue scale over [−limit, limit], clamped. */
export function divergingColour(value: number, limit: number): string {
  const t = Math.min(1, Math.max(0, (value / limit + 1) / 2)) * (RED_BLUE.length - 1);
  const i = Math.min(RED_BLUE.length - 2, Math.floor(t));
  const [a, b] = [RED_BLUE[i], RED_BLUE[i + 1]].map((hex) => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16)));
  return `#${a.map((c, k) => Math.round(c + (b[k] - c) * (t - i)).toString(16).padStart(2, '0')).join('')}`;
}

export function renderHeatmap(map: Heatmap): string {
  const rad = (ANGLE * Math.PI) / 180;
  const columnLabel = (name: string) => Math.min(COLUMN_LABEL_LIMIT, textWidth(name, SIZE.label));
  const longest = Math.max(0, ...map.columns.map(columnLabel));
  const left = Math.max(0, ...map.rows.map((r) => textWidth(r, SIZE.label))) + 12;
  const top = longest * Math.sin(rad) + 14;
  const head = heading(map.title, map.subtitle, left);
  const gridWidth = CELL_WIDTH * map.columns.length;
  const gridHeight = CELL_HEIGHT * map.rows.length;

  const cells = map.cells.map((c) => {
    const fill = c.value === null ? MISSING : divergingColour(c.value, map.limit);
    // White text on the darkest third of the scale.
    const ink = c.value !== null && Math.abs(c.value) > map.limit * 0.6 ? 'white' : '#222';
    const [x, y] = [c.column * CELL_WIDTH, c.row * CELL_HEIGHT];
    const text = c.text ? `<text x="${px(x + CELL_WIDTH / 2)}" y="${px(y + CELL_HEIGHT / 2 + 3)}" text-anchor="middle" font-size="9" fill="${ink}" aria-hidden="true">${escapeXml(c.text)}</text>` : '';
    return `<rect class="cell" role="graphics-symbol" aria-label="${escapeXml(c.aria)}" x="${x}" y="${y}" width="${CELL_WIDTH}" height="${CELL_HEIGHT}" fill="${fill}"><title>${escapeXml(c.tooltip)}</title></rect>${text}`;
  });
  const columnNames = map.columns.map((name, i) => {
    const text = clippedText(name, COLUMN_LABEL_LIMIT, SIZE.label);
    return `<text transform="translate(${px((i + 0.5) * CELL_WIDTH)},-6) rotate(-${ANGLE})" font-size="${SIZE.label}">${text.title}${text.shown}</text>`;
  });
  const rowNames = map.rows.map((name, i) => `<text x="-6" y="${px((i + 0.5) * CELL_HEIGHT + SIZE.label * 0.35)}" text-anchor="end" font-size="${SIZE.label}">${escapeXml(name)}</text>`);

  // The legend: swatches at five points of the scale, labelled in percent.
  const stops = [-1, -0.5, 0, 0.5, 1].map((k) => k * map.limit);
  const legendBlock = legend([{ title: map.legendTitle, entries: stops.reverse().map((v) => ({ label: formatTick(v, map.limit / 2, true), colour: divergingColour(v, map.limit), kind: 'swatch' as const })) }], 120);

  // The slanted column names run up and to the right, past the grid for the last columns.
  const labelsRight = Math.max(0, ...map.columns.map((name, i) => (i + 0.5) * CELL_WIDTH + columnLabel(name) * Math.cos(rad)));
  const gridRight = left + Math.max(gridWidth, labelsRight);
  const body = `${head.svg}<g class="panel" transform="translate(${px(left)},${px(head.height + top)})">` +
    `<g class="cells">${cells.join('')}</g><rect width="${gridWidth}" height="${gridHeight}" fill="none" stroke="${FRAME}" aria-hidden="true"/>` +
    `<g class="columns">${columnNames.join('')}</g><g class="rows">${rowNames.join('')}</g></g>` +
    `<g transform="translate(${px(gridRight + 20)},${px(head.height + top)})">${legendBlock.svg}</g>`;
  const width = Math.max(gridRight + 20 + legendBlock.width, left + textWidth(map.subtitle, SIZE.subtitle)) + 10;
  const height = head.height + top + Math.max(gridHeight, legendBlock.height) + 10;
  return svgDocument(width, height, map.title, body);
}
