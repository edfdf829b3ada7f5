/**
 * `--from RESULTS --set NAME`: the set an experiment scored, taken from its results.json (its
 * normalised feature items and the target it was fitted to), so the published forecast is the model
 * whose track record was read.
 */
import { readFileSync } from 'node:fs';
import { InputError, UsageError } from '../engine/errors.js';
import { TARGETS, type Target } from '../experiment/target.js';

import type { Regularisation } from '../engine/model/wls.js';

export interface ChosenSet {
  name: string;
  spec: string;
  target: Target;
  /** λ and α the experiment fitted it with, when penalised. */
  regularisation?: Regularisation;
}

export function setFromResults(file: string, name: string): ChosenSet {
  let data: { command?: unknown; target?: unknown; sets?: Array<{ name?: unknown; features?: unknown; regParam?: unknown; elasticNet?: unknown }> };
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code) throw new UsageError(`--from: cannot read ${file}: ${code}`);
    throw new InputError(file, 0, null, null, `an experiment's results.json (${(error as Error).message.split('\n')[0]})`);
  }
  if (data === null || typeof data !== 'object' || data.command !== 'experiment' || !Array.isArray(data.sets)) {
    throw new InputError(file, 0, null, null, 'an experiment\'s results.json ("command": "experiment" and a list of sets)');
  }
  const names = data.sets.map((s) => String(s.name)).filter((n) => n !== 'persistence');
  const found = data.sets.find((s) => s.name === name && name !== 'persistence');
  if (!found) throw new InputError(file, 0, null, name, `a set named in it (${names.join(', ')})`);
  if (!Array.isArray(found.features) || found.features.length === 0 || !found.features.every((f) => typeof f === 'string')) {
    throw new InputError(file, 0, null, name, 'the set\'s features as a list of feature items');
  }
  const target = (TARGETS as readonly unknown[]).includes(data.target) ? (data.target as Target) : 'price';
  const spec = (found.features as string[]).join(',');
  if (typeof found.regParam !== 'number') return { name, spec, target };
  const elasticNetParam = typeof found.elasticNet === 'number' ? found.elasticNet : 0;
  return { name, spec, target, regularisation: { regParam: found.regParam, elasticNetParam } };
}
