/**
 * The forecast as a person reads it: the table of target dates, forecasts and intervals, then each
 * horizon's track record in words (docs/forecast.md#track-record), and a line when the newest row is
 * stale. Never a forecast without its record beside it.
 */
import { levelSuffix } from './conformal.js';
import type { ForecastRun } from './run.js';
import type { TrackRecord } from './trackRecord.js';

const SIGNIFICANCE = 0.05;

function price(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 2 : Math.abs(value) >= 1 ? 4 : 6;
  return value.toFixed(digits);
}

function percent(value: number): string {
  return Number.isFinite(value) ? `${Math.round(value * 100)}%` : 'n/a';
}

/** "on this history (684 days) this set's forecasts were 12% worse than tomorrow = today (DM p 0.31: no better); …" */
export function recordInWords(record: TrackRecord, setName: string): string {
  const { metrics, intervals, horizon } = record;
  const today = horizon === 1 ? 'tomorrow = today' : `in ${horizon} days = today`;
  const skill = metrics.skill;
  const p = metrics.dm?.pValue ?? NaN;
  const compared = !Number.isFinite(skill)
    ? `could not be compared with ${today}`
    : `were ${percent(Math.abs(skill))} ${skill >= 0 ? 'better' : 'worse'} than ${today}`;
  const verdict = !Number.isFinite(p) ? 'no test' : p < SIGNIFICANCE ? (skill > 0 ? 'better' : 'worse') : 'no better';
  const pText = Number.isFinite(p) ? `DM p ${p.toFixed(2)}: ${verdict}` : verdict;
  const covered = intervals
    .map((i) => `its ${levelSuffix(i.level).replace('p', '.')}% intervals covered ${percent(i.coverage)} of ${i.origins} days`)
    .join(', ');
  return `on this history (${record.origins} days) this set's forecasts ${compared} (${pText}; mase ${metrics.mase.toFixed(2)})${covered ? `; ${covered}` : ''}`;
}

export function formatForecastSummary(run: ForecastRun): string {
  const d = run.document;
  const lines: string[] = [];
  lines.push(`pricecast forecast: ${d.set.name} (${d.set.features.join(', ')}; target ${d.set.target}) from ${d.originDate}, last price ${price(d.lastPrice)}`);
  if (run.staleDays !== null) lines.push(`warning: the newest row is ${run.staleDays} days old (${d.originDate}); this forecast is about the past`);
  const header = ['h', 'target date', 'forecast', ...d.levels.map((l) => `${levelSuffix(l).replace('p', '.')}% interval`)];
  const body = d.horizons.map((h) => [
    String(h.horizon),
    h.targetDate,
    price(h.forecast),
    ...h.bounds.map((b) => `${price(b.lower)} … ${price(b.upper)}`),
  ]);
  const widths = header.map((_, c) => Math.max(header[c].length, ...body.map((row) => row[c].length)));
  const format = (row: string[]) => row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  lines.push('', format(header), ...body.map(format), '');
  lines.push('track record (walk-forward on the same history, each day forecast from the days before it):');
  for (const h of d.horizons) lines.push(`  h=${h.horizon}: ${recordInWords(h.trackRecord, d.set.name)}`);
  if (run.partitionDir !== null) lines.push('', `wrote ${run.partitionDir}/`);
  return `${lines.join('\n')}\n`;
}
