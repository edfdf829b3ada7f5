/**
 * The forecast as a person reads it: the table of target dates, forecasts and intervals, then each
 * horizon's track record in words (docs/forecast.md#track-record), and a line when the newest row is
 * stale. Never a forecast without its record beside it.
 *
 * A panel (docs/forecast.md#panels) gets the same table with an asset column for its first
 * ASSETS_SHOWN assets and a count of the rest, each shown asset's record in words, and per horizon the
 * record of all assets in one line: how many beat persistence, how many significantly, the median
 * skill and the median coverage of each level.
 */
import { levelSuffix } from './conformal.js';
import type { ForecastRun, HorizonForecast, PanelForecastRun } from './run.js';
import type { TrackRecord } from './trackRecord.js';

/** Assets a panel's summary lists by name; the rest are counted (all are in _forecast.json). */
export const ASSETS_SHOWN = 10;

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

function levelName(level: number): string {
  return `${levelSuffix(level).replace('p', '.')}%`;
}

/** Rows of text in aligned columns: the first `left` columns padded on the right, the rest on the left. */
function aligned(header: string[], body: string[][], left: number): string[] {
  const widths = header.map((_, c) => Math.max(header[c].length, ...body.map((row) => row[c].length)));
  const format = (row: string[]) => row.map((cell, c) => (c < left ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [format(header), ...body.map(format)];
}

function horizonCells(h: HorizonForecast): string[] {
  return [String(h.horizon), h.targetDate, price(h.forecast), ...h.bounds.map((b) => `${price(b.lower)} … ${price(b.upper)}`)];
}

function staleLine(staleDays: number | null, originDate: string): string[] {
  return staleDays === null ? [] : [`warning: the newest row is ${staleDays} days old (${originDate}); this forecast is about the past`];
}

export function formatForecastSummary(run: ForecastRun): string {
  const d = run.document;
  const lines: string[] = [];
  lines.push(`pricecast forecast: ${d.set.name} (${d.set.features.join(', ')}; target ${d.set.target}) from ${d.originDate}, last price ${price(d.lastPrice)}`);
  lines.push(...staleLine(run.staleDays, d.originDate));
  const header = ['h', 'target date', 'forecast', ...d.levels.map((l) => `${levelName(l)} interval`)];
  lines.push('', ...aligned(header, d.horizons.map(horizonCells), 2), '');
  lines.push('track record (walk-forward on the same history, each day forecast from the days before it):');
  for (const h of d.horizons) lines.push(`  h=${h.horizon}: ${recordInWords(h.trackRecord, d.set.name)}`);
  if (run.partitionDir !== null) lines.push('', `wrote ${run.partitionDir}/`);
  return `${lines.join('\n')}\n`;
}

function median(values: number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}

/** "all 40 assets at h=1: 12 beat tomorrow = today (3 with DM p < 0.05, 5 significantly worse); median skill -4%; median 80% coverage 79%" */
export function panelRecordInWords(records: readonly TrackRecord[], horizon: number): string {
  const today = horizon === 1 ? 'tomorrow = today' : `in ${horizon} days = today`;
  const skill = records.map((r) => r.metrics.skill);
  const p = records.map((r) => r.metrics.dm?.pValue ?? NaN);
  const beat = skill.filter((v) => v > 0).length;
  const better = records.filter((_, i) => skill[i] > 0 && p[i] < SIGNIFICANCE).length;
  const worse = records.filter((_, i) => skill[i] < 0 && p[i] < SIGNIFICANCE).length;
  const medianSkill = median(skill);
  const skillText = Number.isFinite(medianSkill) ? `${percent(Math.abs(medianSkill))} ${medianSkill >= 0 ? 'better' : 'worse'}` : 'n/a';
  const coverage = (records[0]?.intervals ?? []).map(
    (interval, j) => `median ${levelName(interval.level)} coverage ${percent(median(records.map((r) => r.intervals[j].coverage)))}`,
  );
  const all = records.length === 1 ? '1 asset' : `${records.length} assets`;
  return (
    `${all} at h=${horizon}: ${beat} beat ${today} (${better} significantly, DM p < ${SIGNIFICANCE}; ${worse} significantly worse); ` +
    `median skill ${skillText}${coverage.length > 0 ? `; ${coverage.join(', ')}` : ''}`
  );
}

export function formatPanelSummary(run: PanelForecastRun): string {
  const d = run.document;
  const lines: string[] = [];
  const skipped = d.skipped.length === 0 ? '' : `; ${d.skipped.length} skipped (${d.skipped.slice(0, 3).map((s) => s.asset).join(', ')}${d.skipped.length > 3 ? ', …' : ''})`;
  lines.push(`pricecast forecast: ${d.set.name} (${d.set.features.join(', ')}; target ${d.set.target}) for ${d.assets.length} assets from ${d.originDate}${skipped}`);
  lines.push(...staleLine(run.staleDays, d.originDate));
  const shown = d.assets.slice(0, ASSETS_SHOWN);
  const header = ['asset', 'h', 'target date', 'last price', 'forecast', ...d.levels.map((l) => `${levelName(l)} interval`)];
  const body = shown.flatMap((a) => a.horizons.map((h) => {
    const [hText, date, ...rest] = horizonCells(h);
    return [a.asset, hText, date, price(a.lastPrice), ...rest];
  }));
  lines.push('', ...aligned(header, body, 3));
  if (d.assets.length > shown.length) lines.push(`… and ${d.assets.length - shown.length} more assets (every one in _forecast.json and the table)`);
  lines.push('', 'track record (walk-forward on each asset\'s own history, each day forecast from the days before it):');
  for (const a of shown) for (const h of a.horizons) lines.push(`  ${a.asset} h=${h.horizon}: ${recordInWords(h.trackRecord, d.set.name)}`);
  if (d.assets.length > shown.length) lines.push(`  … ${d.assets.length - shown.length} more assets`);
  const horizons = d.assets[0]?.horizons.length ?? 0;
  for (let h = 0; h < horizons; h++) lines.push(`  ${panelRecordInWords(d.assets.map((a) => a.horizons[h].trackRecord), h + 1)}`);
  if (run.partitionDir !== null) lines.push('', `wrote ${run.partitionDir}/`);
  return `${lines.join('\n')}\n`;
}
