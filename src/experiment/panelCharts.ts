/**
 * The panel report's heat map of skill (docs/experiment.md#panels): one cell per asset and set, coloured
 * by the set's skill on that asset (blue beats tomorrow = today, red loses to it, white is even), as a
 * Vega-Lite spec rendered to inline SVG by ./charts.ts `renderSvg`. Sets run left to right in the panel
 * ranking, assets top to bottom by name. A panel of more than MAX_HEATMAP_ASSETS assets shows the half
 * with the highest and the half with the lowest median skill, and says so.
 */
import type { TopLevelSpec } from 'vega-lite';
import { median, rankPanelSets } from './panelStatistics.js';
import type { PanelResults } from './results.js';
import { PERSISTENCE } from './sets.js';

export const MAX_HEATMAP_ASSETS = 200;
/**
 * The colour scale runs to ±(the largest |skill| shown), but no further than ±COLOUR_LIMIT (a set can be
 * many times worse than persistence) and no nearer than ±COLOUR_FLOOR, so small skills stay pale.
 */
const COLOUR_LIMIT = 0.5;
const COLOUR_FLOOR = 0.01;

export function skillHeatmapSpec(results: PanelResults): TopLevelSpec {
  const order = rankPanelSets(results.panel.sets).map((set) => set.name);
  let assets = results.assets;
  let subtitle = 'skill = 1 − mse/mse(persistence) of each set on each asset; sets in the panel ranking';
  if (assets.length > MAX_HEATMAP_ASSETS) {
    const middle = (a: (typeof assets)[number]) => median(a.sets.filter((s) => s.name !== PERSISTENCE && Number.isFinite(s.metrics.skill)).map((s) => s.metrics.skill));
    const ranked = [...assets].sort((x, y) => (middle(y) || 0) - (middle(x) || 0));
    const half = MAX_HEATMAP_ASSETS / 2;
    const shown = new Set([...ranked.slice(0, half), ...ranked.slice(-half)]);
    assets = assets.filter((a) => shown.has(a));
    subtitle += `; the ${half} assets with the highest and the ${half} with the lowest median skill of ${results.assets.length}`;
  }
  const cells = assets.flatMap((asset) =>
    asset.sets
      .filter((set) => set.name !== PERSISTENCE)
      .map((set) => ({
        asset: asset.asset,
        set: set.name,
        skill: Number.isFinite(set.metrics.skill) ? set.metrics.skill : null,
        pValue: set.metrics.dm?.pValue ?? null,
      })),
  );
  const largest = Math.max(0, ...cells.map((cell) => Math.abs(cell.skill ?? 0)));
  const limit = Math.min(COLOUR_LIMIT, Math.max(COLOUR_FLOOR, largest));
  if (largest > limit) subtitle += `; colours stop at ±${limit * 100}%`;
  const labelled = cells.length <= 400;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Skill by asset and set', subtitle },
    width: { step: 56 },
    height: { step: 18 },
    data: { values: cells },
    encoding: {
      x: { field: 'set', type: 'nominal', sort: order, title: null, axis: { labelAngle: -35, labelLimit: 240, orient: 'top' } },
      y: { field: 'asset', type: 'nominal', sort: 'ascending', title: null },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'skill',
            type: 'quantitative',
            title: 'skill',
            scale: { scheme: 'redblue', domain: [-limit, limit], clamp: true },
            legend: { format: '%' },
          },
          tooltip: [{ field: 'asset' }, { field: 'set' }, { field: 'skill', format: '.2%' }, { field: 'pValue', title: 'DM p', format: '.4f' }],
        },
      },
      ...(labelled
        ? [{ mark: { type: 'text' as const, fontSize: 9 }, encoding: { text: { field: 'skill', type: 'quantitative' as const, format: '+.1%' } } }]
        : []),
    ],
  };
}
