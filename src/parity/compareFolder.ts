/**
 * The engine's output against a Spark-layout output folder written by the reference job (local
 * spark-submit for `pricecast parity`, an EMR cluster for `pricecast emr fetch --compare`): read the
 * folder back, insist on its _model.json, compare. The one place both do it.
 */
import { UsageError } from '../engine/errors.js';
import { MODEL_FILE } from '../engine/output/folder.js';
import { readSparkOutput } from '../readback/sparkOutput.js';
import type { ModelReport } from '../engine/types.js';
import { compareOutputs, type ParityReport, type RunOutput } from './compare.js';

export interface FolderComparison {
  report: ParityReport;
  /** The folder's own output: its predictions and _model.json (what the job says it ran with). */
  reference: RunOutput;
  engine: RunOutput;
}

/**
 * Reads `folder` (Spark layout with _model.json) and compares the engine's output with it. `engine` is
 * the engine's output, or a function that produces it from the folder's report (emr fetch runs the
 * engine with the seed, split and settings the cluster recorded).
 */
export async function compareEngineWithFolder(
  folder: string,
  engine: RunOutput | ((reference: ModelReport) => Promise<RunOutput>),
): Promise<FolderComparison> {
  const written = await readSparkOutput(folder);
  if (written.report === null) {
    throw new UsageError(`${folder} has no ${MODEL_FILE}; the job that wrote it did not finish or is not the reference job`);
  }
  const reference = { predictions: written.predictions, report: written.report };
  const ours = typeof engine === 'function' ? await engine(written.report) : engine;
  return { report: compareOutputs(ours, reference), reference, engine: ours };
}
