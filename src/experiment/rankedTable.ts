/**
 * The ranked table the terminal prints: the settings that produced it, then every set and the
 * persistence baseline, best skill first, with the DM p-value and the verdict in words.
 */
import { rankSets, verdict, type ExperimentResults } from './results.js';
import { screeningSentence } from './screening/words.js';

/** Forward selection's path: the start set's inner MSE, then what each step added. */
function selectionLines(results: ExperimentResults): string[] {
  const start = results.selectionStart!;
  const steps = results.selection!;
  return [
    `Forward selection on the training rows only (inner walk-forward: ${start.innerTrainRows} rows train, ${start.innerTestRows} score):`,
    `  ${start.set} (${start.features.join(', ')}): inner mse ${start.innerMse.toPrecision(6)}`,
    ...steps.map((step) => `  + ${step.added} → ${step.set}: inner mse ${step.innerMse.toPrecision(6)}`),
    steps.length === 0 ? '  no pool item lowered the inner mse: the start set is kept' : `  chosen: ${steps[steps.length - 1].set}, scored above on the test rows`,
  ];
}

export function formatRankedTable(results: ExperimentResults): string {
  const header = ['#', 'set', 'features', 'skill', 'rmse', 'mae', 'mape', 'dir.acc', 'DM p', 'verdict'];
  const rows = rankSets(results.sets).map((set, i) => {
    const m = set.metrics;
    return [
      String(i + 1),
      set.name,
      String(set.features.length),
      signedPercent(m.skill),
      fixed(m.rmse, 4),
      fixed(m.mae, 4),
      percent(m.mape),
      percent(m.directionalAccuracy),
      m.dm === null ? '-' : pValue(m.dm.pValue),
      verdict(set),
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const rightAligned = new Set([0, 2, 3, 4, 5, 6, 7, 8]);
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : rightAligned.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ');
  return [
    `${results.input.file}: ${results.testRows} test rows from ${results.firstTestDate} to ${results.lastTestDate}, ` +
      `after ${results.trainRows} training rows (train ratio ${results.trainRatio})`,
    `expanding window, refit every ${results.refitEvery} row${results.refitEvery === 1 ? '' : 's'}, ` +
      `target ${results.target}, baseline persistence (tomorrow = today)`,
    ...(results.withoutMarketCap ? ['no market cap in this layout: the built-in sets leave marketCap out (base = price, volume, rsi)'] : []),
    '',
    line(header),
    ...rows.map(line),
    '',
    'skill = 1 − mse/mse(persistence): above 0 beats tomorrow = today. DM p: Diebold–Mariano test',
    'against persistence; at p ≥ 0.05 the difference could be chance.',
    ...(results.selection ? ['', ...selectionLines(results)] : []),
    ...(results.screening ? ['', `Screening: ${screeningSentence(results.screening)}.`] : []),
    '',
  ].join('\n');
}

function fixed(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}
function percent(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '-';
}
function signedPercent(x: number): string {
  return Number.isFinite(x) ? `${x > 0 ? '+' : ''}${(x * 100).toFixed(2)}%` : '-';
}
export function pValue(p: number): string {
  if (!Number.isFinite(p)) return '-';
  return p < 0.0001 ? '<0.0001' : p.toFixed(4);
}
