/**
 * Writes the experiment folder atomically, with predict's replace rule (SPEC.md section 7):
 *
 *   DIR/results.json  DIR/forecasts.parquet  DIR/report.html
 *
 * All three are written into a temporary sibling and put in place by the engine's own commit step
 * (`commitFolder` in src/engine/output.ts: an earlier folder is renamed aside, the new one renamed in,
 * only then the old one removed). What differs from predict is only which folder counts as ours: the
 * engine's `assertReplaceable` knows the Spark layout (_model.json, part files), so the experiment
 * layout has its own check here: a folder holding nothing but regular files named as above, with a
 * results.json that pricecast's experiment wrote.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../engine/errors.js';
import { commitFolder, exists } from '../engine/output.js';

export const RESULTS_FILE = 'results.json';
export const FORECASTS_FILE = 'forecasts.parquet';
export const REPORT_FILE = 'report.html';
const EXPERIMENT_FILES: readonly string[] = [RESULTS_FILE, FORECASTS_FILE, REPORT_FILE];

export interface ExperimentFiles {
  results: string;
  forecasts: Uint8Array;
  report: string;
}

/** Throws UsageError unless `dir` holds an earlier experiment output and nothing else. */
export async function assertExperimentReplaceable(dir: string): Promise<void> {
  const refuse = (why: string) =>
    new UsageError(`${dir} exists and is not a pricecast experiment output (${why}); refusing to replace it`);
  if (!(await lstat(dir)).isDirectory()) throw refuse('it is not a folder');
  for (const name of await readdir(dir)) {
    if (!EXPERIMENT_FILES.includes(name)) throw refuse(`it also holds ${name}`);
    if (!(await lstat(join(dir, name))).isFile()) throw refuse(`${name} is not a regular file`);
  }
  let results: { tool?: unknown; command?: unknown } | null = null;
  try {
    results = JSON.parse(await readFile(join(dir, RESULTS_FILE), 'utf8'));
  } catch {
    throw refuse(`no readable ${RESULTS_FILE}`);
  }
  if (results?.tool !== 'pricecast' || results.command !== 'experiment') throw refuse(`${RESULTS_FILE} was not written by pricecast experiment`);
}

/** Checks before any work is done that `dir` may be written (absent, or an earlier experiment output). */
export async function checkExperimentOutput(dir: string): Promise<void> {
  const target = resolve(dir);
  if (await exists(target)) await assertExperimentReplaceable(target);
}

export async function writeExperimentFolder(dir: string, files: ExperimentFiles): Promise<string> {
  const target = resolve(dir);
  const parent = dirname(target);
  const replacing = await exists(target);
  if (replacing) await assertExperimentReplaceable(target);
  const staging = join(parent, `.${basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(parent, { recursive: true });
    await mkdir(staging);
  } catch (error) {
    throw new UsageError(`cannot write the output folder in ${parent}: ${(error as Error).message}`);
  }
  try {
    await writeFile(join(staging, FORECASTS_FILE), files.forecasts);
    await writeFile(join(staging, REPORT_FILE), files.report);
    await writeFile(join(staging, RESULTS_FILE), files.results);
    if (replacing) await assertExperimentReplaceable(target); // it may have changed meanwhile
    await commitFolder(staging, target, replacing);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return target;
}
