/**
 * report.html of a panel (docs/experiment.md#panels): one self-contained page (inline CSS and SVG, no
 * script, nothing fetched) with the settings, the sets ranked by the panel Diebold–Mariano test, the
 * heat map of skill (assets × sets, ./panelCharts.ts), the panel test at each horizon, the screening on
 * the panel's losses, every asset's best set (or the best and worst ones on a large panel), the skipped
 * assets, and what the numbers mean.
 */
import { escapeHtml } from './html.js';
import { renderSkillHeatmap } from './panelCharts.js';
import { panelVerdict, rankPanelSets, type PanelSetResult } from './panelStatistics.js';
import { pValue } from './rankedTable.js';
import { SIGNIFICANCE_LEVEL, type AssetResult, type PanelResults } from './results.js';
import { screeningSentence } from './screening/words.js';
import { PERSISTENCE } from './sets.js';

/** Assets listed whole up to this many; beyond, the best and worst half of it. */
export const MAX_LISTED_ASSETS = 50;

export async function renderPanelReport(results: PanelResults): Promise<string> {
  const r = results;
  const heatmap = renderSkillHeatmap(r);
  const ranking = (sets: readonly PanelSetResult[]) => {
    const rows = rankPanelSets(sets)
      .map((set, i) => {
        const v = panelVerdict(set, SIGNIFICANCE_LEVEL);
        const cls = v.startsWith('better') ? 'better' : v.startsWith('worse') ? 'worse' : 'none';
        return `<tr class="${cls}"><td>${i + 1}</td><td>${escapeHtml(set.name)}</td><td>${set.assets}</td><td>${set.assetsBeatingPersistence}</td>` +
          `<td>${num(set.medianSkill * 100, 2)}%</td><td>${num(set.dm.statistic, 3)}</td><td>${pValue(set.dm.pValue)}</td><td>${set.dm.dates}</td><td>${escapeHtml(v)}</td></tr>`;
      })
      .join('\n');
    return `<table>
<thead><tr><th>#</th><th>set</th><th>assets</th><th>beating persistence</th><th>median skill</th><th>DM stat</th><th>DM p</th><th>dates</th><th>verdict</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
  };
  const horizons = (r.panel.horizons ?? []).filter((h) => h.horizon > 1).map((h) => `<h3>Horizon ${h.horizon}</h3>\n${ranking(h.sets)}`).join('\n');
  const screening = r.panel.screening
    ? `<h2>Allowing for how many sets were tried</h2>
<p><strong>${escapeHtml(capitalise(screeningSentence(r.panel.screening)))}.</strong> The screening runs on one loss a date: each set's squared error on
each asset divided by that asset's persistence mse, averaged over the assets with a test row that day (persistence the benchmark).
SPA p-values: lower ${r.panel.screening.spa.pvalues.lower.toFixed(4)}, consistent ${r.panel.screening.spa.pvalues.consistent.toFixed(4)},
upper ${r.panel.screening.spa.pvalues.upper.toFixed(4)}.</p>\n`
    : '';
  const skipped = r.skipped.length === 0 ? '' : `<h2>Skipped assets</h2>\n<ul>\n${r.skipped.map((s) => `<li><strong>${escapeHtml(s.asset)}</strong>: ${escapeHtml(s.reason)}</li>`).join('\n')}\n</ul>\n`;
  const leftOut = r.panel.leftOut.length === 0 ? '' : `<p>Left out of the panel test (persistence mse 0: the price never moved on its test dates): ${escapeHtml(r.panel.leftOut.join(', '))}.</p>\n`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>pricecast experiment: ${escapeHtml(r.input.file)} (panel)</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1280px; color: #222; padding: 0 1em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: right; vertical-align: top; }
th:nth-child(2), td:nth-child(2), th:last-child, td:last-child { text-align: left; }
tr.better td:last-child { color: #176317; font-weight: 600; }
tr.worse td:last-child { color: #a11; font-weight: 600; }
figure { margin: 2em 0; overflow-x: auto; }
code { background: #f4f4f4; padding: 0 3px; }
</style>
</head>
<body>
<h1>Which features beat “tomorrow = today”, across ${r.assets.length} asset${r.assets.length === 1 ? '' : 's'}?</h1>
<p><strong>${escapeHtml(r.input.file)}</strong> (sha256 <code>${escapeHtml(r.input.sha256.slice(0, 16))}…</code>, ${r.input.rowsRead} rows read),
a panel: each asset is its own series, walked forward on its own rows exactly as a file of only its rows would be.
Expanding window: each asset's first floor(n · ${escapeHtml(String(r.trainRatio))}) of its n common rows train, then each later row is forecast by a model fitted on
every row before it, refitted every ${r.refitEvery} row${r.refitEvery === 1 ? '' : 's'}; target <code>${escapeHtml(r.target)}</code>; Spark ML's least squares.
Baseline: persistence, tomorrow's price = today's.${r.withoutMarketCap ? ' The layout has no market cap: the built-in sets leave it out.' : ''}</p>
<h2>Sets ranked by the panel test</h2>
${ranking(r.panel.sets)}
${leftOut}<p><strong>Panel DM</strong>: on each asset, each test day's squared-error difference against persistence is divided by that asset's
persistence mse, so that a coin worth cents and one worth thousands weigh alike; the differences are averaged per date over the assets
with a test row that day, and the Diebold–Mariano test (Harvey–Leybourne–Newbold correction, Student t) runs on those date means in date order.
A negative statistic means smaller losses than “tomorrow = today”; at p ≥ ${SIGNIFICANCE_LEVEL} the difference could be chance.
<strong>Beating persistence</strong>: the assets where the set's skill (1 − mse/mse(persistence)) is above 0.</p>
${horizons ? `<h2>The panel test at longer horizons</h2>\n<p>Each origin forecast h rows ahead; horizon 1 is the ranking above.</p>\n${horizons}\n` : ''}${screening}<figure>${heatmap}</figure>
<h2>Assets</h2>
${assetTable(r.assets, rankPanelSets(r.panel.sets)[0]?.name)}
${skipped}</body>
</html>
`;
}

/** Per asset: its rows, and the top-ranked set's skill and DM p on it; the best and worst ones on a large panel. */
function assetTable(assets: readonly AssetResult[], top: string | undefined): string {
  const skillOf = (a: AssetResult) => a.sets.find((s) => s.name === top)?.metrics;
  const sorted = [...assets].sort((x, y) => (skillOf(y)?.skill ?? -Infinity) - (skillOf(x)?.skill ?? -Infinity));
  const half = MAX_LISTED_ASSETS / 2;
  const shown = sorted.length <= MAX_LISTED_ASSETS ? sorted : [...sorted.slice(0, half), ...sorted.slice(-half)];
  const bestSet = (a: AssetResult) => {
    const best = a.sets.filter((s) => s.name !== PERSISTENCE && Number.isFinite(s.metrics.skill)).sort((x, y) => y.metrics.skill - x.metrics.skill)[0];
    return best ? `${escapeHtml(best.name)} (${num(best.metrics.skill * 100, 2)}%)` : '–';
  };
  const rows = shown
    .map((a) => {
      const m = skillOf(a);
      return `<tr><td>${escapeHtml(a.asset)}</td><td>${a.rows}</td><td>${a.testRows}</td><td>${escapeHtml(a.firstTestDate)} – ${escapeHtml(a.lastTestDate)}</td>` +
        `<td>${m ? `${num(m.skill * 100, 2)}%` : '–'}</td><td>${m?.dm ? pValue(m.dm.pValue) : '–'}</td><td>${bestSet(a)}</td></tr>`;
    })
    .join('\n');
  const note = shown.length < sorted.length ? `<p>The ${half} assets where ${escapeHtml(top ?? '')} did best and the ${half} where it did worst, of ${sorted.length}.</p>\n` : '';
  return `${note}<table>
<thead><tr><th>asset</th><th>rows</th><th>test rows</th><th>test dates</th><th>${escapeHtml(top ?? '')} skill</th><th>DM p</th><th>its best set</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

function num(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
