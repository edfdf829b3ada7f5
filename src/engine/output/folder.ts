/**
 * The output folder in Spark's layout (docs/output.md), written atomically:
 *
 *   DIR/part-00000-<uuid>.snappy.parquet   the predictions
 *   DIR/_model.json                         the ModelReport, pretty JSON (non-finite numbers → null)
 *   DIR/_SUCCESS                           empty, written last (Spark's commit marker)
 *
 * Why `_model.json` and not `model.json`: the folder must also be the folder to be readable by
 * Spark, pyarrow/pandas and DuckDB, and those readers take every file in a folder as data except names
 * starting with `_` or `.`. With a plain `model.json`, `spark.read.parquet(DIR)`, `pq.read_table(DIR)`
 * and `pd.read_parquet(DIR)` all fail ("not a Parquet file"); the underscore makes it metadata, like
 * `_SUCCESS`. test/parity/independent.test.ts reads the folder with pyarrow and pandas.
 *
 * ## The replace protocol (crash-safe)
 *
 * The protocol is one mechanism for every output folder pricecast writes; what differs between them is
 * an `OutputLayout`: the exact file names a folder of that kind may hold, the file written last (its
 * presence marks a complete folder) and the file whose opening string fields say the folder is ours.
 * `SPARK_LAYOUT` (below) is predict's and `emr fetch`'s; src/experiment/folder.ts declares the
 * experiment's (results.json with `"tool": "pricecast", "command": "experiment"`, forecasts.parquet,
 * report.html). Below, "output file", "_SUCCESS" and "_model.json" stand for the layout's.
 *
 * Every name the writer uses sits beside DIR (same parent, so renames are atomic on one file system)
 * and starts with `.NAME.`, NAME being DIR's base name; T is a random token of 12 hex digits:
 *
 *   .NAME.lock        the lock: "pid host" of the run that is writing or checking DIR
 *   .NAME.tmp-T       the new output being staged
 *   .NAME.old-T       the earlier output, moved aside during the swap (same T as the staging folder)
 *
 * A write runs these steps (each is a test hook, `PRICECAST_TEST_CRASH_AT=<step>`, see `testHook`):
 *
 *   1. lock: create `.NAME.lock` exclusively. Held by a live process → refuse ("another pricecast run
 *      is writing DIR", exit 2). Held by a dead process on this host → a crashed run: take it over.
 *   2. recover (below), then check DIR is replaceable (`assertReplaceable`).
 *   3. stage: write the layout's files into `.NAME.tmp-T`, _SUCCESS last.             → `staged`
 *   4. if DIR exists: rename DIR → `.NAME.old-T`.                                    → `aside`
 *   5. rename `.NAME.tmp-T` → DIR.                                                   → `committed`
 *   6. delete `.NAME.old-T` file by file, then the folder.                  → `removing`, `removed`
 *   7. unlock.
 *
 * Recovery (step 2, and `prepareOutput` before any computation), under the lock, so never while
 * another run is mid-write:
 *   - DIR missing and `.NAME.old-T` present (killed between 4 and 5): if `.NAME.tmp-T` holds a
 *     complete output (its _SUCCESS exists) the replace is finished (rename it to DIR), else the
 *     earlier output is restored (rename `.NAME.old-T` back to DIR).                 → `recovered`
 *   - every remaining `.NAME.tmp-*` / `.NAME.old-*` is deleted, but only if it holds nothing but
 *     regular files of the output pattern (below); anything else there is left alone.
 *   - a `.NAME.lock` of a dead process is removed.
 * So after a crash at any point DIR is, once the next run has started, either the complete earlier
 * output or the complete new one, and no hidden sibling of ours is left. (Process crashes only: the
 * files are not fsynced, so a power loss can still lose the last write.)
 *
 * The replace rule (`assertReplaceable`, shared with `emr fetch` and the PySpark job's writer):
 * an existing DIR is replaced only if it is a real folder (not a link) that is empty, or whose entries
 * are all regular files named like an output file of its layout (Spark's: `part-NNNNN-<uuid>[-cNNN].snappy.parquet`,
 * `_SUCCESS`, `_model.json`, or their `.crc` checksums) and whose marker file says it is ours
 * (Spark's: _model.json with `"tool": "pricecast"`). Folders are never deleted recursively: files are unlinked one by one, then
 * the empty folder is removed.
 *
 * A panel's output (docs/output.md#panels) is the same folder with one level of partition folders,
 * Spark's `partitionBy("asset")`: `DIR/asset=<name>/part-….snappy.parquet`, `_model.json` and `_SUCCESS`
 * at the top. A layout's `partition` names the folders it may hold; each may hold only output files
 * of the layout, and is staged, swapped and removed with DIR by the same steps (file by file, then the
 * empty folder).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { access, constants, link, lstat, mkdir, open, readdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { ModelReport } from '../types.js';

export const SUCCESS_FILE = '_SUCCESS';
export const MODEL_FILE = '_model.json';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const OUTPUT_NAME = `(?:part-\\d{5}-${UUID}(?:-c\\d{3})?\\.snappy\\.parquet|_SUCCESS|_model\\.json)`;
/** The exact names an output folder may hold: the layout above, Spark's names, and Hadoop's `.crc` files. */
export const OUTPUT_FILE = new RegExp(`^(?:${OUTPUT_NAME}|\\.${OUTPUT_NAME}\\.crc)$`);
const TOKEN = /^[0-9a-f]{12}$/;
/** A panel's partition folder: `asset=<name>`, the name as docs/input.md#panels allows it (Spark escapes none of it). */
export const ASSET_PARTITION = /^asset=[A-Za-z0-9._ -]+$/;

/** Which files make an output folder of one kind, and how to tell an earlier one of ours (see the header). */
export interface OutputLayout {
  /** Who writes this kind, as refusals say it: "not a <writer> output", "was not written by <writer>". */
  writer: string;
  /** The exact names a folder of this kind may hold. */
  fileName: RegExp;
  /** Written last: a staged folder holding it is complete. */
  completeFile: string;
  /** The JSON file that says the folder is ours, and the string fields it must hold. */
  markerFile: string;
  marker: Readonly<Record<string, string>>;
  /** The partition folders a folder of this kind may hold (one level, output files only); none if absent. */
  partition?: RegExp;
}

/** predict's layout: Spark's part file, _SUCCESS and the ModelReport. */
export const SPARK_LAYOUT: OutputLayout = {
  writer: 'pricecast',
  fileName: OUTPUT_FILE,
  completeFile: SUCCESS_FILE,
  markerFile: MODEL_FILE,
  marker: { tool: 'pricecast' },
  partition: ASSET_PARTITION,
};

/** One file of an output, as the writer stages it. */
export interface OutputFile {
  name: string;
  data: string | Uint8Array;
}

/** The protocol's steps, in order (see the header); a test may crash or stop the process at any. */
export type OutputStep = 'locked' | 'recovered' | 'staged' | 'aside' | 'committed' | 'removing' | 'removed';

/**
 * Test-only: `PRICECAST_TEST_CRASH_AT=<step>` kills this process (SIGKILL, as a crash would) when it
 * reaches `step`; `PRICECAST_TEST_STOP_AT=<step>` stops it (SIGSTOP) there until SIGCONT, so that a
 * test can run a second process against a run caught mid-write. Read only here.
 */
function testHook(step: OutputStep): void {
  if (process.env.PRICECAST_TEST_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
  if (process.env.PRICECAST_TEST_STOP_AT === step) process.kill(process.pid, 'SIGSTOP');
}

export interface WriteSparkOutputOptions {
  /**
   * Called once the staging folder holds every file, just before it is renamed into place. A test
   * seam: throwing here is a failure at the worst moment, and must leave the earlier output intact.
   */
  beforeCommit?: (stagingDir: string) => void | Promise<void>;
}

/**
 * Pretty JSON with NaN/±Infinity as null: JSON.stringify itself writes every non-finite number as
 * null (ECMA-262 SerializeJSONProperty), so no replacer is passed. A replacer would be called for
 * every value, including each of the millions of collapsed dates a large intraday file reports, and
 * made this several times slower.
 */
function modelJson(report: ModelReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

function randomToken(): string {
  return randomBytes(6).toString('hex');
}

/** Whether anything (file, folder, link) is at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

// ---- errors: one line naming the path; exit 2 when the user can fix it -------------------------

const FIXABLE: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EEXIST: 'something else appeared at the path while this run was writing it',
  ENOTEMPTY: 'something else appeared at the path while this run was writing it',
};

/**
 * A file-system failure while checking or writing output `dir`, as one line that names the path and
 * says the earlier output is unchanged: a UsageError (exit 2) for what the user can fix (space,
 * permissions, a file where a folder should be), a plain Error (exit 1) otherwise (EIO).
 */
function outputFailure(error: unknown, dir: string, doing: string): Error {
  if (error instanceof UsageError) return error;
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string') return error as Error;
  const where = e.path ?? dir;
  const tail = `; ${dir} is unchanged`;
  if (e.code in FIXABLE) return new UsageError(`cannot ${doing} ${dir}: ${FIXABLE[e.code]} (${e.code}) at ${where}${tail}`);
  const failure = new Error(`cannot ${doing} ${dir}: ${e.code === 'EIO' ? 'input/output error' : e.message.split('\n')[0]} (${e.code}) at ${where}${tail}`);
  return failure;
}

// ---- the replace rule -----------------------------------------------------------------------------

/**
 * Throws UsageError unless `dir` is a folder that is empty or holds an earlier output of `layout` and
 * nothing else (regular files of the exact output names): the one rule for replacing a folder, used by
 * the engine's writer, the experiment's and `emr fetch`.
 */
export async function assertReplaceable(dir: string, layout: OutputLayout = SPARK_LAYOUT): Promise<void> {
  const refuse = (why: string) =>
    new UsageError(`${dir} exists and is not a ${layout.writer} output (${why}); refusing to replace it`);
  const stat = await lstat(dir);
  if (stat.isSymbolicLink()) throw refuse('it is a symbolic link');
  if (!stat.isDirectory()) throw refuse('it is not a folder');
  const names = await readdir(dir);
  if (names.length === 0) return;
  const foreign: string[] = [];
  for (const name of names) {
    if (layout.partition?.test(name) && (await lstat(join(dir, name))).isDirectory()) {
      for (const inner of await readdir(join(dir, name))) {
        if (!layout.fileName.test(inner)) foreign.push(`${name}/${inner}`);
        else if (!(await lstat(join(dir, name, inner))).isFile()) foreign.push(`${name}/${inner} (not a regular file)`);
      }
    } else if (!layout.fileName.test(name)) foreign.push(name);
    else if (!(await lstat(join(dir, name))).isFile()) foreign.push(`${name} (not a regular file)`);
  }
  if (foreign.length > 0) throw refuse(`it also holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}`);
  let fields: Record<string, unknown>;
  try {
    fields = await markerFields(join(dir, layout.markerFile));
  } catch {
    throw refuse(`no readable ${layout.markerFile}`);
  }
  if (!Object.entries(layout.marker).every(([key, value]) => fields[key] === value)) {
    throw refuse(`${layout.markerFile} was not written by ${layout.writer}`);
  }
}

/** How much of a marker file is read to tell whose it is: a report is a few KiB (an earlier format listed every collapsed date: tens of MB). */
const MARKER_PREFIX_BYTES = 64 * 1024;

/**
 * The fields of a marker file from at most its first MARKER_PREFIX_BYTES: parsed whole when it fits,
 * else the string fields it opens with (`{ "tool": "…", …`), the keys every writer (engine, PySpark
 * job, experiment) puts first.
 */
async function markerFields(file: string): Promise<Record<string, unknown>> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(MARKER_PREFIX_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer.toString('utf8', 0, bytesRead);
    if (bytesRead <= MARKER_PREFIX_BYTES) {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    }
    const fields: Record<string, string> = {};
    const field = /\s*[{,]\s*"([^"\\]*)"\s*:\s*"([^"\\]*)"/y;
    for (let m = field.exec(text); m !== null; m = field.exec(text)) fields[m[1]] = m[2];
    return fields;
  } finally {
    await handle.close();
  }
}

/**
 * Deletes a folder of ours without recursion: each entry must be a regular file of a `layout` name,
 * else nothing more is deleted and false is returned. A missing folder counts as removed.
 */
async function removeOutputFolder(dir: string, layout: OutputLayout, onFirstFile?: () => void): Promise<boolean> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  const partitions: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const info = await lstat(path);
    if (layout.partition?.test(name) && info.isDirectory()) {
      for (const inner of await readdir(path)) {
        if (!layout.fileName.test(inner) || !(await lstat(join(path, inner))).isFile()) return false;
      }
      partitions.push(name);
    } else if (!layout.fileName.test(name) || !info.isFile()) return false;
  }
  let first = true;
  for (const name of names) {
    if (partitions.includes(name)) {
      if (!(await removeOutputFolder(join(dir, name), { ...layout, partition: undefined }))) return false;
    } else await unlink(join(dir, name)).catch(ignoreMissing);
    if (first) onFirstFile?.();
    first = false;
  }
  try {
    await rmdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false; // something new appeared: leave it
    if (code !== 'ENOENT') throw error;
  }
  return true;
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}

// ---- the lock -------------------------------------------------------------------------------------

/** An empty lock file older than this is a crashed run's (a live one writes its pid within milliseconds). */
const EMPTY_LOCK_STALE_MS = 10_000;

interface OutputLock {
  path: string;
  release(): Promise<void>;
}

function lockOwnerAlive(content: string): boolean {
  const [pidText, host] = content.trim().split(' ');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isSafeInteger(pid) || pid <= 0) return host !== hostname();
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `.NAME.lock` beside `target`. A lock left by a process that no longer runs (on this host) is
 * taken over: renamed to a unique name first, so that of two runs breaking the same stale lock only
 * one succeeds; if what was renamed turns out to be a fresh lock, it is linked back.
 */
async function acquireLock(target: string): Promise<OutputLock> {
  const path = join(dirname(target), `.${basename(target)}.lock`);
  const content = `${process.pid} ${hostname()}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(content);
      } catch (error) {
        await handle.close().catch(() => {});
        await unlink(path).catch(() => {}); // e.g. ENOSPC: an empty lock would block the next run
        throw error;
      }
      await handle.close();
      testHook('locked');
      return { path, release: () => unlink(path).catch(ignoreMissing) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder: string;
    try {
      holder = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    // A lock is written right after it is created: an empty one is being written now, unless it is
    // older than a few seconds (its writer died between creating and writing it).
    const writing = holder === '' && Date.now() - (await stat(path).then((s) => s.mtimeMs, () => 0)) < EMPTY_LOCK_STALE_MS;
    if (writing || (holder !== '' && lockOwnerAlive(holder))) {
      const who = holder === '' ? 'another pricecast run' : `another pricecast run (pid ${holder.trim().replace(' ', ' on ')})`;
      throw new UsageError(
        `${target}: ${who} is writing this output right now; nothing was written (run again when it has finished, or remove ${path} if no such run exists)`,
      );
    }
    const stale = `${path}.stale-${randomToken()}`;
    try {
      await rename(path, stale);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // another run broke it first
      throw error;
    }
    if ((await readFile(stale, 'utf8')) !== holder) await link(stale, path).catch(() => {});
    await unlink(stale).catch(ignoreMissing);
  }
  throw new UsageError(`${target}: could not take the lock ${path}; nothing was written`);
}

// ---- recovery -------------------------------------------------------------------------------------

/** What recovery did, for callers that report it. */
export interface RecoveryReport {
  /** `restored`: the earlier output was put back; `finished`: the interrupted run's new output was moved in. */
  interruptedReplace: 'restored' | 'finished' | null;
  /** Hidden siblings of ours that were deleted. */
  removed: string[];
}

/**
 * Repairs what an interrupted run left beside `target` (see the header). Call with the lock held;
 * `ownToken` is a staging token of the caller's that must survive (emr fetch stages before locking).
 */
async function recover(target: string, layout: OutputLayout, ownToken?: string): Promise<RecoveryReport> {
  const parent = dirname(target);
  const prefix = `.${basename(target)}.`;
  const report: RecoveryReport = { interruptedReplace: null, removed: [] };
  let names: string[];
  try {
    names = await readdir(parent);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return report;
    throw error;
  }
  const ours = (kind: 'tmp' | 'old') =>
    names
      .filter((n) => n.startsWith(`${prefix}${kind}-`) && TOKEN.test(n.slice(prefix.length + kind.length + 1)))
      .map((n) => n.slice(prefix.length + kind.length + 1))
      .filter((token) => token !== ownToken);
  const asides = ours('old');
  if (asides.length > 0 && !(await exists(target))) {
    const token = asides[0];
    const staged = join(parent, `${prefix}tmp-${token}`);
    if (await exists(join(staged, layout.completeFile))) {
      await rename(staged, target);
      report.interruptedReplace = 'finished';
    } else {
      await rename(join(parent, `${prefix}old-${token}`), target);
      report.interruptedReplace = 'restored';
    }
    testHook('recovered');
  }
  for (const kind of ['tmp', 'old'] as const) {
    for (const token of ours(kind)) {
      const dir = join(parent, `${prefix}${kind}-${token}`);
      if (!(await exists(dir))) continue;
      if (await removeOutputFolder(dir, layout)) report.removed.push(dir);
    }
  }
  return report;
}

// ---- before the computation ----------------------------------------------------------------------

/**
 * Checks, before any computation, that `dir` can be written: no file where a folder must be, the
 * nearest existing folder writable, no other run writing it, and an existing `dir` replaceable; an
 * interrupted earlier replace is repaired on the way. Writes nothing that stays (the lock is created
 * and removed; a missing parent is not created yet). Throws UsageError (exit 2) naming the path.
 */
export async function prepareOutput(dir: string, layout: OutputLayout = SPARK_LAYOUT): Promise<RecoveryReport> {
  const target = resolve(dir);
  const parent = dirname(target);
  try {
    let existing = parent;
    for (;;) {
      try {
        const info = await stat(existing);
        if (!info.isDirectory()) throw new UsageError(`cannot write ${dir}: ${existing} is a file, not a folder`);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        if (dirname(existing) === existing) break;
        existing = dirname(existing);
      }
    }
    await access(existing, constants.W_OK | constants.X_OK);
    if (existing !== parent) return { interruptedReplace: null, removed: [] };
    const lock = await acquireLock(target);
    try {
      const recovered = await recover(target, layout);
      if (await exists(target)) {
        await assertReplaceable(target, layout);
        await access(target, constants.W_OK | constants.X_OK); // its files are unlinked one by one
      }
      return recovered;
    } finally {
      await lock.release();
    }
  } catch (error) {
    throw outputFailure(error, dir, 'write');
  }
}

// ---- the writer -----------------------------------------------------------------------------------

/** predict's output: the part file, the ModelReport as _model.json, _SUCCESS (docs/output.md). */
export async function writeSparkOutput(
  dir: string,
  parquetBytes: Uint8Array,
  report: ModelReport,
  options: WriteSparkOutputOptions = {},
): Promise<{ dir: string; partFile: string }> {
  const body = modelJson(report); // before anything is touched: a report that cannot be serialised
  const partName = `part-00000-${randomUUID()}.snappy.parquet`;
  const files: OutputFile[] = [
    { name: partName, data: parquetBytes },
    { name: MODEL_FILE, data: body },
    { name: SUCCESS_FILE, data: '' },
  ];
  await writeOutputFolder(dir, SPARK_LAYOUT, files, options);
  return { dir, partFile: join(dir, partName) };
}

/** A file's place in a folder of `layout`: an output file name, or `<partition>/<output file name>`. */
export function isLayoutPath(path: string, layout: OutputLayout): boolean {
  const parts = path.split('/');
  if (parts.length === 1) return layout.fileName.test(path);
  return parts.length === 2 && (layout.partition?.test(parts[0]) ?? false) && layout.fileName.test(parts[1]);
}

/**
 * Writes `files` as the folder `dir` of `layout` by the protocol (steps 1-7 of the header): the
 * layout's complete file last, whatever its place in `files`. Returns the folder's absolute path.
 */
export async function writeOutputFolder(
  dir: string,
  layout: OutputLayout,
  files: readonly OutputFile[],
  options: WriteSparkOutputOptions = {},
): Promise<string> {
  const stray = files.find((file) => !isLayoutPath(file.name, layout));
  if (stray) throw new Error(`${stray.name} is not a file name of a ${layout.writer} output`);
  const completes = files.filter((file) => file.name === layout.completeFile);
  if (completes.length !== 1) throw new Error(`a ${layout.writer} output is written with one ${layout.completeFile}`);
  const ordered = [...files.filter((file) => file.name !== layout.completeFile), ...completes];
  const target = resolve(dir);
  const parent = dirname(target);
  try {
    await mkdir(parent, { recursive: true });
  } catch (error) {
    throw outputFailure(error, dir, 'write');
  }
  let lock: OutputLock;
  try {
    lock = await acquireLock(target);
  } catch (error) {
    throw outputFailure(error, dir, 'write');
  }
  const token = randomToken();
  const staging = join(parent, `.${basename(target)}.tmp-${token}`);
  try {
    await recover(target, layout);
    const replacing = await exists(target);
    if (replacing) await assertReplaceable(target, layout);
    await mkdir(staging);
    try {
      for (const folder of new Set(ordered.filter((file) => file.name.includes('/')).map((file) => dirname(file.name)))) {
        await mkdir(join(staging, folder));
      }
      for (const file of ordered) await writeFile(join(staging, file.name), file.data);
      testHook('staged');
      await options.beforeCommit?.(staging);
      if (replacing) await assertReplaceable(target, layout); // again: it may have changed since the first look
      await swapIn(staging, target, token, replacing, layout);
    } catch (error) {
      await removeOutputFolder(staging, layout).catch(() => {});
      throw error;
    }
  } catch (error) {
    throw outputFailure(error, dir, 'write');
  } finally {
    await lock.release();
  }
  return target;
}

/**
 * Steps 4-6 of the protocol: the earlier folder (already checked) aside as `.NAME.old-<token>`, the
 * staging folder in, the earlier one deleted. If the rename in fails, the earlier folder is put back.
 * A failure to delete the old folder does not undo a complete run: the next run removes it.
 */
async function swapIn(staging: string, target: string, token: string, replacing: boolean, layout: OutputLayout): Promise<void> {
  const aside = join(dirname(target), `.${basename(target)}.old-${token}`);
  if (replacing) {
    await rename(target, aside);
    testHook('aside');
  }
  try {
    await rename(staging, target);
  } catch (error) {
    if (replacing) await rename(aside, target);
    throw error;
  }
  testHook('committed');
  if (replacing) {
    await removeOutputFolder(aside, layout, () => testHook('removing')).catch(() => false);
    testHook('removed');
  }
}

/**
 * Puts a complete staging folder (`.NAME.tmp-<token>` beside `target`) in place of `target`, under
 * the protocol's lock, after recovering leftovers of interrupted runs: `emr fetch` stages its download
 * and calls this. Whether `target` exists is looked at again under the lock (`_replacing`, what the
 * caller saw, is kept for its signature).
 */
export async function commitFolder(staging: string, target: string, _replacing: boolean, layout: OutputLayout = SPARK_LAYOUT): Promise<void> {
  const match = /\.tmp-([0-9a-f]{12})$/.exec(staging);
  const token = match?.[1] ?? randomToken();
  let lock: OutputLock;
  try {
    lock = await acquireLock(target);
  } catch (error) {
    throw outputFailure(error, target, 'write');
  }
  try {
    await recover(target, layout, token);
    // Checked again, whatever the caller saw: it may have changed (or gone) during the download.
    const present = await exists(target);
    if (present) await assertReplaceable(target, layout);
    await swapIn(staging, target, token, present, layout);
  } catch (error) {
    throw outputFailure(error, target, 'write');
  } finally {
    await lock.release();
  }
}
