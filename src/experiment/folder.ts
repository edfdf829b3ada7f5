/**
 * Writes the experiment folder atomically, with predict's replace rule (SPEC.md section 7) applied to
 * this layout:
 *
 *   DIR/forecasts.parquet  DIR/report.html  DIR/results.json (written last: its presence marks a
 *                                                             complete folder)
 *
 * The steps and names are those of src/engine/output.ts's protocol, beside DIR in the same parent
 * (so renames are atomic), T a random token:
 *   1. recover: if DIR is missing and `.NAME.old-T` exists (a run was killed between the two renames),
 *      finish that replace when `.NAME.tmp-T` is complete, else put `.NAME.old-T` back; then delete
 *      leftover `.NAME.tmp-*` / `.NAME.old-*` folders that hold nothing but this layout's files;
 *   2. check DIR is replaceable: absent, empty, or only regular files of this layout with a
 *      results.json that pricecast's experiment wrote;
 *   3. stage the three files in `.NAME.tmp-T`;  4. rename DIR → `.NAME.old-T`;
 *   5. rename `.NAME.tmp-T` → DIR;  6. delete `.NAME.old-T` file by file, then the folder.
 * Why not the engine's writer itself: its lock, recovery and rule are written for the Spark layout
 * (part file, _SUCCESS, _model.json) and are not exported; this file generalises only what the
 * experiment layout needs (no lock: two experiments writing one folder at once is not guarded).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, mkdir, readdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../engine/errors.js';
import { exists } from '../engine/output.js';

export const RESULTS_FILE = 'results.json';
export const FORECASTS_FILE = 'forecasts.parquet';
export const REPORT_FILE = 'report.html';
const EXPERIMENT_FILES: readonly string[] = [RESULTS_FILE, FORECASTS_FILE, REPORT_FILE];
const TOKEN = /^[0-9a-f]{12}$/;

export interface ExperimentFiles {
  results: string;
  forecasts: Uint8Array;
  report: string;
}

/** Throws UsageError unless `dir` is empty or holds an earlier experiment output and nothing else. */
export async function assertExperimentReplaceable(dir: string): Promise<void> {
  const refuse = (why: string) =>
    new UsageError(`${dir} exists and is not a pricecast experiment output (${why}); refusing to replace it`);
  const stat = await lstat(dir);
  if (stat.isSymbolicLink()) throw refuse('it is a symbolic link');
  if (!stat.isDirectory()) throw refuse('it is not a folder');
  const names = await readdir(dir);
  if (names.length === 0) return;
  for (const name of names) {
    if (!EXPERIMENT_FILES.includes(name)) throw refuse(`it also holds ${name}`);
    if (!(await lstat(join(dir, name))).isFile()) throw refuse(`${name} is not a regular file`);
  }
  let results: { tool?: unknown; command?: unknown } | null = null;
  try {
    results = JSON.parse(await readFile(join(dir, RESULTS_FILE), 'utf8'));
  } catch {
    throw refuse(`no readable ${RESULTS_FILE}`);
  }
  if (results?.tool !== 'pricecast' || results.command !== 'experiment') {
    throw refuse(`${RESULTS_FILE} was not written by pricecast experiment`);
  }
}

/**
 * Before any computation: the nearest existing folder on the way to `dir` is a writable folder, an
 * interrupted replace is repaired, and an existing `dir` may be replaced. Creates nothing.
 */
export async function checkExperimentOutput(dir: string): Promise<void> {
  const target = resolve(dir);
  let existing = dirname(target);
  for (;;) {
    try {
      if (!(await stat(existing)).isDirectory()) throw new UsageError(`cannot write ${dir}: ${existing} is a file, not a folder`);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(existing) === existing) throw writeFailure(error, dir);
      existing = dirname(existing);
    }
  }
  try {
    await access(existing, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw writeFailure(error, dir);
  }
  await recover(target);
  if (await exists(target)) await assertExperimentReplaceable(target);
}

export async function writeExperimentFolder(dir: string, files: ExperimentFiles): Promise<string> {
  const target = resolve(dir);
  const parent = dirname(target);
  const token = randomBytes(6).toString('hex');
  const staging = join(parent, `.${basename(target)}.tmp-${token}`);
  const aside = join(parent, `.${basename(target)}.old-${token}`);
  try {
    await mkdir(parent, { recursive: true });
    await recover(target);
    const replacing = await exists(target);
    if (replacing) await assertExperimentReplaceable(target);
    await mkdir(staging);
    try {
      await writeFile(join(staging, FORECASTS_FILE), files.forecasts);
      await writeFile(join(staging, REPORT_FILE), files.report);
      await writeFile(join(staging, RESULTS_FILE), files.results);
      if (replacing) {
        await assertExperimentReplaceable(target); // again: it may have changed meanwhile
        await rename(target, aside);
      }
      try {
        await rename(staging, target);
      } catch (error) {
        if (replacing) await rename(aside, target);
        throw error;
      }
    } catch (error) {
      await removeExperimentFolder(staging).catch(() => false);
      throw error;
    }
    if (replacing) await removeExperimentFolder(aside).catch(() => false); // else the next run removes it
  } catch (error) {
    throw writeFailure(error, dir);
  }
  return target;
}

/** Step 1 of the protocol (see the header). */
async function recover(target: string): Promise<void> {
  const parent = dirname(target);
  const prefix = `.${basename(target)}.`;
  let names: string[];
  try {
    names = await readdir(parent);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw writeFailure(error, target);
  }
  const tokens = (kind: 'tmp' | 'old') =>
    names
      .filter((n) => n.startsWith(`${prefix}${kind}-`) && TOKEN.test(n.slice(prefix.length + kind.length + 1)))
      .map((n) => n.slice(prefix.length + kind.length + 1));
  const asides = tokens('old');
  if (asides.length > 0 && !(await exists(target))) {
    const staged = join(parent, `${prefix}tmp-${asides[0]}`);
    if (await exists(join(staged, RESULTS_FILE))) await rename(staged, target);
    else await rename(join(parent, `${prefix}old-${asides[0]}`), target);
  }
  for (const kind of ['tmp', 'old'] as const) {
    for (const token of tokens(kind)) await removeExperimentFolder(join(parent, `${prefix}${kind}-${token}`));
  }
}

/** Deletes a folder of this layout file by file; leaves it (false) if it holds anything else. */
async function removeExperimentFolder(dir: string): Promise<boolean> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  for (const name of names) {
    if (!EXPERIMENT_FILES.includes(name) || !(await lstat(join(dir, name))).isFile()) return false;
  }
  for (const name of names) await unlink(join(dir, name));
  await rmdir(dir);
  return true;
}

/** A file-system failure as one line naming the output; the user can fix most of them (exit 2). */
function writeFailure(error: unknown, dir: string): Error {
  if (error instanceof UsageError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code !== 'string') return error as Error;
  const message = `cannot write ${dir}: ${(error as Error).message.split('\n')[0]}; an earlier output there is unchanged`;
  return code === 'EIO' ? new Error(message) : new UsageError(message);
}
