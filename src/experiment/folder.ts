/**
 * The experiment's output folder: predict's crash-safe replace protocol (src/engine/output/folder.ts: lock,
 * staging, swap, recovery by the next run, the replace rule) applied to this layout:
 *
 *   DIR/forecasts.parquet  DIR/report.html  DIR/results.json (written last: its presence marks a
 *                                                             complete folder)
 *
 * An existing DIR is replaced only if it holds nothing but regular files of these names and a
 * results.json opening with `"tool": "pricecast", "command": "experiment"` (run.ts writes those first).
 */
import { prepareOutput, writeOutputFolder, type OutputLayout, type RecoveryReport } from '../engine/output/folder.js';

export const RESULTS_FILE = 'results.json';
export const FORECASTS_FILE = 'forecasts.parquet';
export const REPORT_FILE = 'report.html';

export const EXPERIMENT_LAYOUT: OutputLayout = {
  writer: 'pricecast experiment',
  fileName: /^(?:results\.json|forecasts\.parquet|report\.html)$/,
  completeFile: RESULTS_FILE,
  markerFile: RESULTS_FILE,
  marker: { tool: 'pricecast', command: 'experiment' },
};

export interface ExperimentFiles {
  results: string;
  forecasts: Uint8Array;
  report: string;
}

/**
 * Before any computation: the path can be written, no other run is writing it, an interrupted
 * replace is repaired, and an existing `dir` may be replaced. Leaves nothing behind.
 */
export function checkExperimentOutput(dir: string): Promise<RecoveryReport> {
  return prepareOutput(dir, EXPERIMENT_LAYOUT);
}

/** Writes the folder by the protocol; returns its absolute path. */
export function writeExperimentFolder(dir: string, files: ExperimentFiles): Promise<string> {
  return writeOutputFolder(dir, EXPERIMENT_LAYOUT, [
    { name: FORECASTS_FILE, data: files.forecasts },
    { name: REPORT_FILE, data: files.report },
    { name: RESULTS_FILE, data: files.results },
  ]);
}
