/**
 * The panel report's heat map of skill (docs/experiment.md#panels): one cell per asset and set, coloured
 * by the set's skill on that asset (blue beats tomorrow = today, red loses to it, white is even), drawn
 * as inline SVG by ./svg/heatmap.ts. Sets run left to right in the panel ranking, assets top to bottom
 * by name. A panel of more than MAX_HEATMAP_ASSETS assets shows the half with the highest and the half
 * with the lowest median skill, and says so.
 */
import { median, rankPanelSets } from './panelStatistics.js';
import type { PanelResults } from './results.js';
import { PERSISTENCE } from './sets.js';
import { formatTick } from './svg/axis.js';
import { renderHeatmap, type Heatmap } from './svg/heatmap.js';

export const MAX_HEATMAP_ASSETS = 200;
/**
 * The colour scale runs to ±(the largest |skill| shown), but no further than ±COLOUR_LIMIT (a set can be
 * many times worse than persistence) and no nearer than ±COLOUR_FLOOR, so small skills stay pale.
 */
const COLOUR_LIMIT = 0.5;
const COLOUR_FLOOR = 0.01;
/** Cells are labelled with their skill up to this many (beyond, the numbers would only be noise). */
const MAX_LABELLED_CELLS = 400;

export function skillHeatmap(results: PanelResults): Heatmap {
  const ranked = rankPanelSets(results.panel.sets).map((set) => set.name);
  let assets = results.assets;
  let subtitle = 'skill = 1 − mse/mse(persistence) of each set on each asset; sets in the panel ranking';
  if (assets.length > MAX_HEATMAP_ASSETS) {
    const middle = (a: (typeof assets)[number]) => median(a.sets.filter((s) => s.name !== PERSISTENCE && Number.isFinite(s.metrics.skill)).map((s) => s.metrics.skill));
    const byMedian = [...assets].sort((x, y) => (middle(y) || 0) - (middle(x) || 0));
    const half = MAX_HEATMAP_ASSETS / 2;
    const shown = new Set([...byMedian.slice(0, half), ...byMedian.slice(-half)]);
    assets = assets.filter((a) => shown.has(a));
    subtitle += `; the ${half} assets with the highest and the ${half} with the lowest median skill of ${results.assets.length}`;
  }
  const rows = assets.map((a) => a.asset).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const rowOf = new Map(rows.map((name, i) => [name, i]));
  // Sets in the panel ranking, then any an asset has that the ranking lacks.
  const order = [...new Set([...ranked, ...assets.flatMap((a) => a.sets.map((s) => s.name)).filter((name) => name !== PERSISTENCE)])];
  const columnOf = new Map(order.map((name, i) => [name, i]));
  const cells = assets.flatMap((asset) =>
    asset.sets
      .filter((set) => set.name !== PERSISTENCE)
      .map((set) => {
        const skill = Number.isFinite(set.metrics.skill) ? set.metrics.skill : null;
        const p = set.metrics.dm?.pValue;
        const skillText = skill === null ? '–' : formatTick(skill, 1e-4, true);
        return {
          row: rowOf.get(asset.asset)!,
          column: columnOf.get(set.name)!,
          value: skill,
          text: '',
          aria: `asset: ${asset.asset}; set: ${set.name}; skill: ${skill === null ? 'none' : `${skill * 100}%`}; DM p: ${p ?? 'none'}`,
          tooltip: `${asset.asset}, ${set.name}\nskill: ${skillText}\nDM p: ${p === undefined ? '–' : p.toFixed(4)}`,
        };
      }),
  );
  const largest = Math.max(0, ...cells.map((cell) => Math.abs(cell.value ?? 0)));
  const limit = Math.min(COLOUR_LIMIT, Math.max(COLOUR_FLOOR, largest));
  if (largest > limit) subtitle += `; colours stop at ±${limit * 100}%`;
  if (cells.length <= MAX_LABELLED_CELLS) {
    for (const cell of cells) cell.text = cell.value === null ? '' : `${cell.value >= 0 ? '+' : ''}${formatTick(cell.value, 0.001, true)}`;
  }
  return { title: 'Skill by asset and set', subtitle, columns: order, rows, cells, limit, legendTitle: 'skill' };
}

export function renderSkillHeatmap(results: PanelResults): string {
  return renderHeatmap(skillHeatmap(results));
}
