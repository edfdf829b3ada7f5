/**
 * report.html: one self-contained page (inline CSS and SVG, no script, nothing fetched) stating how
 * the experiment was run, the ranked table with a verdict in words, the three charts (./charts.ts, drawn
 * by ./svg/), and what skill and the DM p-value mean. Everything needed to reproduce the result is on the page.
 */
import { renderReportCharts, selectionPathChart } from './charts.js';
import { horizonFigures } from './horizonCharts.js';
import { screeningSection } from './screening/reportSection.js';
import type { ForecastTable } from './forecastsParquet.js';
import { pValue } from './rankedTable.js';
import { rankSets, verdict, type ExperimentResults } from './results.js';
import { escapeHtml } from './html.js';
import { renderLineChart } from './svg/lineChart.js';

export async function renderReport(results: ExperimentResults, table: ForecastTable): Promise<string> {
  const { actualVsForecasts: actual, cumulativeAdvantage: cumulative, skillBySet: skill } = renderReportCharts(results, table);
  const horizonCharts = horizonFigures(results, table, results.calibrationWindow);
  const selection = selectionPathChart(results);
  const selectionChart = selection === null ? '' : `<figure>${renderLineChart(selection)}</figure>\n`;
  const rows = rankSets(results.sets)
    .map((set, i) => {
      const m = set.metrics;
      const v = verdict(set);
      const cls = v.startsWith('better') ? 'better' : v.startsWith('worse') ? 'worse' : 'none';
      return `<tr class="${cls}"><td>${i + 1}</td><td>${escapeHtml(set.name)}</td><td class="spec">${featuresCell(set.features)}</td>` +
        `<td>${num(m.skill * 100, 2)}%</td><td>${num(m.rmse, 6)}</td><td>${num(m.mae, 6)}</td><td>${num(m.mape * 100, 2)}%</td>` +
        `<td>${num(m.r2, 4)}</td><td>${num(m.directionalAccuracy * 100, 1)}%</td>` +
        `<td>${m.dm === null ? '–' : num(m.dm.statistic, 3)}</td><td>${m.dm === null ? '–' : pValue(m.dm.pValue)}</td>` +
        `<td>${escapeHtml(v)}</td></tr>`;
    })
    .join('\n');
  const r = results;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>pricecast experiment: ${escapeHtml(r.input.file)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1280px; color: #222; padding: 0 1em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: right; vertical-align: top; }
th:nth-child(2), td:nth-child(2), td.spec, th:last-child, td:last-child { text-align: left; }
td.spec { font-size: 12px; color: #555; max-width: 300px; }
tr.better td:last-child { color: #176317; font-weight: 600; }
tr.worse td:last-child { color: #a11; font-weight: 600; }
figure { margin: 2em 0; }
code { background: #f4f4f4; padding: 0 3px; }
</style>
</head>
<body>
<h1>Which features beat “tomorrow = today”?</h1>
<p><strong>${escapeHtml(r.input.file)}</strong> (sha256 <code>${escapeHtml(r.input.sha256.slice(0, 16))}…</code>, ${r.input.rowsRead} rows read).
Walk-forward with an expanding window: the first ${r.trainRows} of ${r.rows} common rows (train ratio ${r.trainRatio}) train,
then each of the ${r.testRows} test rows (${escapeHtml(r.firstTestDate)} to ${escapeHtml(r.lastTestDate)}) is forecast by a model fitted
on every row before it, refitted every ${r.refitEvery} row${r.refitEvery === 1 ? '' : 's'}; target <code>${escapeHtml(r.target)}</code>
${r.target === 'return' ? '(next-day return, turned back into a price before scoring)' : '(next-day price)'}; Spark ML's least squares.
Baseline: persistence, tomorrow's price = today's.${r.withoutMarketCap ? ' The layout has no market cap: the built-in sets leave it out.' : ''}</p>
<table>
<thead><tr><th>#</th><th>set</th><th>features</th><th>skill</th><th>rmse</th><th>mae</th><th>mape</th><th>r²</th><th>direction</th><th>DM stat</th><th>DM p</th><th>verdict</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p><strong>Skill</strong> = 1 − mse / mse(persistence): +10% means 10% less mean squared error than “tomorrow = today”, below 0 means worse.
<strong>DM p</strong>: the Diebold–Mariano test (squared-error loss, Harvey–Leybourne–Newbold correction, Student t with T − 1 degrees of freedom)
asks whether the difference in squared errors against persistence could be chance; at p ≥ 0.05 it could, and the set is
“no better than tomorrow = today”. <strong>Direction</strong>: over test rows where the price moved, the share where the forecast moved the same way (persistence never moves: 0%).</p>
${screeningSection(results)}${selectionChart}<figure>${actual}</figure>
<figure>${cumulative}</figure>
<figure>${skill}</figure>
${horizonCharts}</body>
</html>
`;
}

function num(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}

/** A short feature list inline; a long one folded, so the ranked table stays readable. */
function featuresCell(features: readonly string[]): string {
  if (features.length === 0) return '(price today)';
  const list = escapeHtml(features.join(', '));
  return features.length <= 4 ? list : `<details><summary>${features.length} features</summary>${list}</details>`;
}
