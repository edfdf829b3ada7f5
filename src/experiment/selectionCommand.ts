/**
 * `experiment --select forward --pool SPEC [--start SPEC] [--max-features N]` as a selection request, with
 * a progress line on a terminal (forward selection over dozens of pool items takes seconds).
 */
import { UsageError } from '../engine/errors.js';
import { parseFeatureSpec } from '../engine/features/spec.js';
import type { ExperimentSettings } from '../settings.js';
import type { SelectionRequest } from './selection.js';

export function selectionRequest(values: ExperimentSettings): SelectionRequest | undefined {
  if (values.select === undefined) {
    if (values.pool !== undefined) throw new UsageError('--pool: only with --select forward');
    return undefined;
  }
  if (values.pool === undefined) throw new UsageError('--select forward: expected --pool SPEC, the features to choose from');
  const progress = process.stderr.isTTY
    ? ({ step, tried, of }: { step: number; tried: number; of: number }) => {
        process.stderr.write(`\rforward selection: step ${step}, ${tried} of ${of} pool items tried   `);
        if (tried === of) process.stderr.write('\r\x1b[K');
      }
    : undefined;
  return {
    start: specOf('--start', values.start),
    pool: specOf('--pool', values.pool),
    maxFeatures: values.maxFeatures,
    onProgress: progress,
  };
}

function specOf(flag: string, text: string) {
  try {
    return parseFeatureSpec(text);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`${flag}: ${error.message.replace(/^--features:\s*/, '')}`);
    throw error;
  }
}
