/**
 * report.html's screening section: the sentence the terminal prints, then the numbers behind it (SPA's three
 * p-values, StepM at 5% and 10%, each set's MCS p-value under both methods) and what they mean
 * (docs/screening.md#reading-the-result).
 */
import type { ExperimentResults } from '../results.js';
import { escapeHtml as escape } from '../html.js';
import { screeningSentence } from './words.js';

export function screeningSection(results: ExperimentResults): string {
  const s = results.screening;
  if (!s) return '';
  const p = (x: number) => x.toFixed(4);
  const superiorAt = (size: number) => s.stepm.find((step) => step.size === size)?.superior ?? [];
  const rows = Object.keys(s.mcs.R.pvalues)
    .map((name) => {
      const diff = s.spa.meanLossDiff[name];
      const marks = [superiorAt(0.05).includes(name) ? 'StepM 5%' : superiorAt(0.1).includes(name) ? 'StepM 10%' : ''].filter(Boolean);
      return `<tr><td>${escape(name)}</td><td>${diff === undefined ? '–' : diff.toExponential(3)}</td>` +
        `<td>${p(s.mcs.R.pvalues[name])}${s.mcs.R.included.includes(name) ? ' ✓' : ''}</td>` +
        `<td>${p(s.mcs.max.pvalues[name])}${s.mcs.max.included.includes(name) ? ' ✓' : ''}</td><td>${marks.join(', ') || '–'}</td></tr>`;
    })
    .join('\n');
  return `<h2>Allowing for how many sets were tried</h2>
<p><strong>${escape(capitalise(screeningSentence(s)))}.</strong></p>
<p>SPA p-values (Hansen's test of superior predictive ability: is the best set better than persistence, allowing for
every set tried?): lower ${p(s.spa.pvalues.lower)}, <strong>consistent ${p(s.spa.pvalues.consistent)}</strong>, upper ${p(s.spa.pvalues.upper)}.
StepM (Romano–Wolf) names the sets that beat persistence while keeping the chance of naming even one wrongly at 5% or 10%.
The model confidence set (Hansen–Lunde–Nason) at 90% keeps the models that cannot be told apart from the best; ✓ = kept.
Stationary bootstrap of the ${results.testRows} test days: ${s.indices.reps} replications, mean block ${s.indices.blockSize} days, seed ${s.indices.seed}.</p>
<table>
<thead><tr><th>model</th><th>mean loss difference vs persistence (above 0: better)</th><th>MCS p (R)</th><th>MCS p (max)</th><th>beats persistence</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
