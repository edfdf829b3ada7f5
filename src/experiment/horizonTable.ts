/**
 * The terminal table of `experiment --horizon`/`--level`: per horizon and set, skill, the h-step DM p,
 * mase, rmsse, and per level the intervals' coverage, mean width and interval score (lower is better at
 * the same coverage; persistence's row is the random walk's own interval, the one to beat).
 */
import { levelSuffix } from '../forecast/conformal.js';
import type { ExperimentResults } from './results.js';

const fixed = (v: number | undefined, digits: number) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));
const percent = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '—');

export function formatHorizonTable(results: ExperimentResults): string {
  if (!results.horizons) return '';
  const levels = results.horizons[0]?.sets[0]?.intervals?.map((i) => i.level) ?? [];
  const header = ['h', 'set', 'skill', 'DM p', 'mase', 'rmsse', ...levels.flatMap((l) => [`cov ${levelSuffix(l).replace('p', '.')}`, 'width', 'score'])];
  const rows = results.horizons.flatMap((h) =>
    h.sets.map((set) => [
      String(h.horizon),
      set.name,
      set.metrics.dm === null ? '—' : percent(set.metrics.skill),
      fixed(set.metrics.dm?.pValue, 3),
      fixed(set.metrics.mase, 3),
      fixed(set.metrics.rmsse, 3),
      ...(set.intervals ?? []).flatMap((i) => [percent(i.coverage), percent(i.width), fixed(i.score, 4)]),
    ]),
  );
  const widths = header.map((_, c) => Math.max(header[c].length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return `${['by horizon (each origin forecast h rows ahead; intervals from earlier test origins only):', line(header), ...rows.map(line)].join('\n')}\n`;
}
