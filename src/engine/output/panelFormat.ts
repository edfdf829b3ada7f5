/**
 * The summary `pricecast predict` prints for a panel (docs/output.md#panels): the run in a few lines,
 * then the assets by test RMSE relative to their mean price (so coins of any price level compare), the
 * first and last few when there are many. Pure: a report in, text out.
 */
import type { PanelAssetReport } from '../panel/fitAsset.js';
import type { PanelModelReport } from '../panel/panelPipeline.js';
import { fmt, type SummaryContext } from './format.js';

/** Assets listed at each end of the table when there are more than twice this many. */
const LISTED_AT_EACH_END = 5;

export function formatPanelSummary(report: PanelModelReport, context: SummaryContext): string {
  const lines: string[] = [];
  const row = (label: string, text: string) => lines.push(`  ${label.padEnd(22)}${text}`);
  lines.push(`pricecast predict  ${context.input}  (a panel: one model per asset)`);
  row('rows read', `${report.input.rowsRead} (layout ${report.input.layout}, asset column ${report.input.assetColumn})`);
  row('assets', `${report.assets.length} fitted, ${report.skipped.length} skipped, of ${report.input.assetsInFile} in the file`);
  for (const skipped of report.skipped.slice(0, LISTED_AT_EACH_END)) row(`  skipped ${skipped.asset}`, skipped.reason);
  if (report.skipped.length > LISTED_AT_EACH_END) row('', `… ${report.skipped.length - LISTED_AT_EACH_END} more skipped (_model.json lists them)`);
  row('features', report.features.join(', '));
  const splitText = report.split === 'random' ? `random ${report.trainRatio}, seed ${report.seed}` : `time, first ${report.trainRatio} of each asset's dates train`;
  row('split', `${splitText}, per asset`);
  const ranked = [...report.assets].sort((a, b) => a.test.r2 === b.test.r2 ? (a.asset < b.asset ? -1 : 1) : b.test.r2 - a.test.r2);
  const shown: (PanelAssetReport | null)[] =
    ranked.length > 2 * LISTED_AT_EACH_END ? [...ranked.slice(0, LISTED_AT_EACH_END), null, ...ranked.slice(-LISTED_AT_EACH_END)] : ranked;
  const width = Math.max(5, ...report.assets.map((a) => a.asset.length));
  lines.push(`  ${'asset'.padEnd(width)}  ${'train'.padStart(6)}  ${'test'.padStart(6)}  ${'test r2'.padStart(12)}  ${'test RMSE'.padStart(14)}`);
  for (const entry of shown) {
    if (entry === null) {
      lines.push(`  ${'…'.padEnd(width)}  (${ranked.length - 2 * LISTED_AT_EACH_END} more; by test r2, best first)`);
      continue;
    }
    lines.push(
      `  ${entry.asset.padEnd(width)}  ${String(entry.rows.train).padStart(6)}  ${String(entry.rows.test).padStart(6)}  ${fmt(entry.test.r2).padStart(12)}  ${fmt(entry.test.rootMeanSquaredError).padStart(14)}`,
    );
  }
  const testRows = report.assets.reduce((sum, a) => sum + a.rows.test, 0);
  row('output', context.outputDir === null ? '(not written)' : `${context.outputDir} (asset=<name>/ partitions, ${testRows} rows, _model.json)`);
  row('wall time', `${Math.round(context.wallMs)} ms`);
  return `${lines.join('\n')}\n`;
}
