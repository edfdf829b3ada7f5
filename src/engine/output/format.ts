/**
 * The short human summary `pricecast predict` prints (docs/fit.md name the numbers).
 * Pure: a report in, text out.
 */
import { layoutHasMarketCap } from '../ingest/layouts.js';
import type { ModelReport } from '../types.js';

export interface SummaryContext {
  input: string;
  outputDir: string | null;
  wallMs: number;
}

export function formatModelSummary(report: ModelReport, context: SummaryContext): string {
  const { rows, model, training, test } = report;
  const collapsed = report.input.duplicateDatesCollapsed;
  const lines: string[] = [];
  const row = (label: string, text: string) => lines.push(`  ${label.padEnd(22)}${text}`);

  lines.push(`pricecast predict  ${context.input}`);
  row('rows read', `${report.input.rowsRead}${report.input.layout ? ` (layout ${report.input.layout})` : ''}`);
  const missing = report.input.missing;
  if (missing !== undefined && (missing.rowsDropped > 0 || Object.values(missing.cells).some((n) => n > 0))) {
    const cells = Object.entries(missing.cells).filter(([, n]) => n > 0).map(([field, n]) => `${field} ${n}`).join(', ');
    const done = missing.policy === 'drop' ? `${missing.rowsDropped} days dropped` : `filled with ${missing.policy}`;
    row('missing values', `${cells}: ${done} (--missing ${missing.policy})`);
  }
  if (report.input.asset != null) row('asset', report.input.asset);
  row('duplicates collapsed', collapsedText(collapsed));
  if (report.input.ohlcInconsistentRows) {
    row('open/high/low', `${report.input.ohlcInconsistentRows} rows where low > min(open, close) or high < max(open, close), kept (--ohlc-check off)`);
  }
  if (report.input.layout !== undefined && !layoutHasMarketCap(report.input.layout) && !report.features.includes('marketCap')) {
    row('features', `${report.features.join(', ')} (the ${report.input.layout} layout has no market cap: the default features without marketCap)`);
  }
  row('after clean-up', `${rows.afterDropNulls} (feature warm-up, null/NaN/±inf rows and the last row dropped)`);
  if (rows.droppedForPsar !== undefined && rows.droppedForPsar > 0) {
    row('psar rows dropped', `${rows.droppedForPsar} (psar_up/psar_down are NaN by design on the other trend's days)`);
  }
  const splitText =
    report.split === 'random'
      ? `random ${report.trainRatio}/${round(1 - report.trainRatio, 12)}, seed ${report.seed}`
      : `time, first ${report.trainRatio} of the dates train`;
  row('split', `${splitText}: ${rows.train} train, ${rows.test} test`);
  lines.push('  coefficients');
  model.featureNames.forEach((name, i) => {
    const se = training.coefficientStandardErrors?.[i];
    const p = training.pValues?.[i];
    const stats = se === undefined ? '' : `  (se ${fmt(se)}, p ${fmt(p ?? NaN)})`;
    row(`  ${name}`, `${fmt(model.coefficients[i])}${stats}`);
  });
  row('intercept', fmt(model.intercept));
  if (model.solver === 'fallback') {
    row('note', 'a feature is constant: Spark falls back to L-BFGS; standard errors unavailable');
  }
  if ((model.regParam ?? 0) !== 0) {
    const how = model.solver === 'owlqn' ? "Spark's OWL-QN; standard errors unavailable" : 'ridge, Cholesky on the penalised system';
    row('penalty', `λ ${fmt(model.regParam)}, α ${fmt(model.elasticNetParam)} (${how})`);
  }
  row('train', `r2 ${fmt(training.r2)}  RMSE ${fmt(training.rootMeanSquaredError)}  MAE ${fmt(training.meanAbsoluteError)}`);
  row('test', `r2 ${fmt(test.r2)}  RMSE ${fmt(test.rootMeanSquaredError)}  MAE ${fmt(test.meanAbsoluteError)}`);
  row(
    'output',
    context.outputDir === null ? '(not written)' : `${context.outputDir} (${rows.test} rows, _model.json)`,
  );
  row('wall time', `${Math.round(context.wallMs)} ms`);
  return `${lines.join('\n')}\n`;
}

/**
 * How many days were collapsed and why (docs/input.md#sorting-and-duplicates): a repeated date keeps its last row, a day
 * of several snapshots its latest.
 */
function collapsedText(collapsed: ModelReport['input']['duplicateDatesCollapsed']): string {
  if (collapsed.count === 0) return '0';
  const snapshots = collapsed.severalSnapshots ?? 0;
  const repeated = collapsed.count - snapshots;
  const why = [
    repeated > 0 ? `${repeated} repeated date${repeated === 1 ? '' : 's'}: the last row kept` : '',
    snapshots > 0 ? `${snapshots} day${snapshots === 1 ? '' : 's'} of several snapshots: the latest kept` : '',
  ].filter((text) => text !== '');
  return `${collapsed.count} (${why.join('; ')}: ${abbreviate(collapsed.first, 5, collapsed.count).join(', ')})`;
}

/** The first `max` items, then how many more of `total` (default: the items' own count) there are. */
function abbreviate(items: string[], max: number, total = items.length): string[] {
  return total <= max ? items : [...items.slice(0, max), `… ${total - max} more`];
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) < 1e-4 || Math.abs(x) >= 1e7)) return x.toExponential(6);
  return String(round(x, 8));
}

function round(x: number, digits: number): number {
  return Number(x.toPrecision(digits));
}
