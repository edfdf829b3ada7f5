/**
 * The terminal table of a panel (docs/experiment.md#panels): the settings, the sets ranked by the panel
 * Diebold–Mariano test with how many assets each beats persistence on, then the best and worst assets
 * for the top-ranked set, the panel test at each horizon, the panel screening and the skipped assets.
 */
import { panelVerdict, rankPanelSets, type PanelSetResult } from './panelStatistics.js';
import { pValue } from './rankedTable.js';
import { SIGNIFICANCE_LEVEL, type AssetResult, type PanelResults } from './results.js';
import { screeningSentence } from './screening/words.js';

/** Assets shown at each end of the best/worst list. */
export const ASSETS_SHOWN = 3;

export function formatPanelTable(results: PanelResults): string {
  const ranked = rankPanelSets(results.panel.sets);
  const top = ranked[0];
  const lines = [
    `${results.input.file}: a panel of ${results.assets.length} asset${results.assets.length === 1 ? '' : 's'}` +
      (results.skipped.length > 0 ? ` (${results.skipped.length} skipped: ${results.skipped.map((s) => s.asset).join(', ')})` : '') +
      `, each walked forward on its own rows (train ratio ${results.trainRatio})`,
    `expanding window, refit every ${results.refitEvery} row${results.refitEvery === 1 ? '' : 's'}, target ${results.target}, baseline persistence (tomorrow = today)` +
      (results.withoutMarketCap ? '; no market cap in this layout: the built-in sets leave marketCap out' : ''),
    '',
    'Panel ranking (Diebold–Mariano on the date means of each asset\'s squared-error difference, scaled by its persistence mse):',
    ...panelRows(ranked),
    ...(results.panel.leftOut.length > 0 ? [`left out of the panel test (persistence mse 0): ${results.panel.leftOut.join(', ')}`] : []),
  ];
  if (top) lines.push('', ...bestAndWorst(results.assets, top.name));
  // Horizon 1 is the ranking above; the others follow it.
  for (const h of (results.panel.horizons ?? []).filter((h) => h.horizon > 1)) {
    lines.push('', `Panel ranking at horizon ${h.horizon} (origins forecast ${h.horizon} row${h.horizon === 1 ? '' : 's'} ahead):`, ...panelRows(rankPanelSets(h.sets)));
  }
  if (results.panel.screening) lines.push('', `Panel screening (on the date means of the scaled squared errors): ${screeningSentence(results.panel.screening)}.`);
  lines.push(
    '',
    'skill = 1 − mse/mse(persistence) per asset; beating = assets with skill above 0. DM < 0: smaller losses',
    `than tomorrow = today across the panel; at p ≥ ${SIGNIFICANCE_LEVEL} the difference could be chance.`,
    '',
  );
  return lines.join('\n');
}

function panelRows(ranked: readonly PanelSetResult[]): string[] {
  const header = ['#', 'set', 'assets', 'beating', 'median skill', 'DM stat', 'DM p', 'dates', 'verdict'];
  const rows = ranked.map((set, i) => [
    String(i + 1),
    set.name,
    String(set.assets),
    String(set.assetsBeatingPersistence),
    signedPercent(set.medianSkill),
    Number.isFinite(set.dm.statistic) ? set.dm.statistic.toFixed(3) : '-',
    pValue(set.dm.pValue),
    String(set.dm.dates),
    panelVerdict(set, SIGNIFICANCE_LEVEL),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const left = new Set([1, 8]);
  const line = (cells: string[]) => cells.map((cell, c) => (c === cells.length - 1 ? cell : left.has(c) ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(header), ...rows.map(line)];
}

/** The assets where the set did best and worst, by its skill on each (NaN skills left out). */
function bestAndWorst(assets: readonly AssetResult[], name: string): string[] {
  const scored = assets
    .map((asset) => ({ asset, set: asset.sets.find((s) => s.name === name) }))
    .filter((x) => x.set !== undefined && Number.isFinite(x.set.metrics.skill))
    .sort((x, y) => y.set!.metrics.skill - x.set!.metrics.skill);
  if (scored.length === 0) return [`${name}: no asset has a skill`];
  const shown = scored.length <= 2 * ASSETS_SHOWN ? scored : [...scored.slice(0, ASSETS_SHOWN), ...scored.slice(-ASSETS_SHOWN)];
  const width = Math.max(...shown.map((x) => x.asset.asset.length));
  const describe = (x: (typeof scored)[number], tag: string) =>
    `  ${tag}  ${x.asset.asset.padEnd(width)}  skill ${signedPercent(x.set!.metrics.skill).padStart(9)}  DM p ${pValue(x.set!.metrics.dm?.pValue ?? NaN).padStart(7)}  (${x.asset.testRows} test rows, ${x.asset.firstTestDate} to ${x.asset.lastTestDate})`;
  const best = shown.slice(0, Math.min(ASSETS_SHOWN, Math.ceil(shown.length / 2)));
  const worst = shown.slice(best.length);
  return [`Best and worst assets for ${name} (the top-ranked set):`, ...best.map((x) => describe(x, 'best ')), ...worst.map((x) => describe(x, 'worst'))];
}

function signedPercent(x: number): string {
  return Number.isFinite(x) ? `${x > 0 ? '+' : ''}${(x * 100).toFixed(2)}%` : '-';
}
