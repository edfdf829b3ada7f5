/**
 * What the screening found, in one sentence with its numbers (docs/screening.md#reading-the-result): how
 * many candidates beat persistence once the number tried is accounted for (StepM at 5%, with the SPA
 * consistent p-value), and how many models the 90% confidence set keeps.
 */
import type { ScreeningResult } from './screen.js';

export function screeningSentence(s: ScreeningResult): string {
  const candidates = Object.keys(s.spa.meanLossDiff).length;
  const models = candidates + 1;
  const p = pIs(s.spa.pvalues.consistent, s.indices.reps);
  const superior = s.stepm.find((step) => step.size === 0.05)?.superior ?? [];
  let beats: string;
  if (superior.length > 0) {
    beats =
      `${superior.length === 1 ? 'one beats' : `${superior.length} beat`} persistence once the number of candidates is accounted for ` +
      `(StepM at 5%: ${list(superior)}; SPA consistent ${p})`;
  } else if (s.spa.pvalues.consistent < 0.05) {
    beats = `the best beats persistence once the number of candidates is accounted for (SPA consistent ${p}), but StepM at 5% names none of them`;
  } else {
    beats = `none beats persistence once the number of candidates is accounted for (SPA consistent ${p})`;
  }
  const kept = s.mcs.R.included;
  const confidence = `${Math.round((1 - s.mcs.size) * 100)}%`;
  const keeps =
    kept.length <= 5 && kept.length < models
      ? `keeps ${kept.length} of ${models} (${list(kept)})`
      : `keeps ${kept.length} of ${models}${kept.includes(s.benchmark) ? ', persistence among them' : ', not persistence'}`;
  return `of ${candidates} candidate${candidates === 1 ? '' : 's'}, ${beats}; the confidence set at ${confidence} ${keeps}`;
}

function list(names: readonly string[]): string {
  return names.length <= 6 ? names.join(', ') : `${names.slice(0, 6).join(', ')} and ${names.length - 6} more`;
}

/** "p = 0.84", or "p < 0.0001" when no replication exceeded the statistic (the p-value's resolution is 1/reps). */
export function pIs(p: number, reps: number): string {
  if (p === 0) return `p < ${1 / reps}`;
  return `p = ${p < 0.001 ? p.toPrecision(2) : p.toFixed(3).replace(/0+$/, '').replace(/\.$/, '')}`;
}
