/**
 * The output folder: Spark's layout, written atomically. It refuses folders it did not write and
 * leaves them untouched, replaces its own, and a failure at any point leaves the earlier output
 * byte-for-byte intact and no temporary folder behind. readSparkOutput reads the layout back,
 * including Spark's own file names, several part files and `.crc` files.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, readlink, symlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/engine/errors.js';
import { writeSparkOutput } from '../../../src/engine/output/folder.js';
import { readSparkOutput } from '../../../src/readback/sparkOutput.js';
import { encodePredictionsParquet } from '../../../src/engine/output/predictionsParquet.js';
import type { ModelReport } from '../../../src/engine/types.js';
import { ROOT } from '../../helpers/cli.js';
import { predictionsFor as predictions, smallReport } from '../../helpers/outputWriter.js';
import { useScratchFolder } from '../../helpers/scratch.js';

const scratch = useScratchFolder('output');
/** The helper's report with non-finite statistics (NaN, ±Infinity), as a two-row fit gives them. */
function report(seed: number): ModelReport {
  const small = smallReport(seed);
  return {
    ...small,
    rows: { ...small.rows, test: 1 },
    model: { ...small.model, solver: 'fallback' },
    training: { ...small.training, r2: NaN, r2adj: -Infinity, explainedVariance: Infinity },
    test: { numInstances: 1, rootMeanSquaredError: 0.5, meanAbsoluteError: 0.5, r2: NaN },
  };
}

/** Every file in a folder with its bytes, for "untouched" comparisons. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = (await readFile(join(dir, name))).toString('base64');
  return out;
}

/** Every path under `dir` (links not followed) with its type and, for files, its bytes. */
async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    out[path] = entry.isSymbolicLink()
      ? `link:${await readlink(path)}`
      : entry.isFile()
        ? (await readFile(path)).toString('base64')
        : 'dir';
  }
  return out;
}

/** A fresh parent folder per test, so that leftovers (temporary siblings) are visible. */
async function parent(name: string): Promise<string> {
  const dir = join(scratch.dir, name);
  await mkdir(dir);
  return dir;
}

describe('writeSparkOutput', () => {
  it("writes Spark's layout: one part file, an empty _SUCCESS, _model.json; nothing beside it", async () => {
    const root = await parent('layout');
    const out = join(root, 'predictions');
    const bytes = encodePredictionsParquet(predictions([18000, 18001]));
    const written = await writeSparkOutput(out, bytes, report(42));
    expect(written.dir).toBe(out);

    const files = (await readdir(out)).sort();
    expect(files).toHaveLength(3);
    const part = files.find((f) => f.startsWith('part-'))!;
    expect(part).toMatch(/^part-00000-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.snappy\.parquet$/);
    expect(written.partFile).toBe(join(out, part));
    expect(files).toEqual(['_SUCCESS', '_model.json', part].sort());
    expect((await readFile(join(out, '_SUCCESS'))).length).toBe(0);
    expect(new Uint8Array(await readFile(join(out, part)))).toEqual(bytes);
    expect(await readdir(root)).toEqual(['predictions']);
  });

  it('writes _model.json as pretty JSON with non-finite numbers as null', async () => {
    const out = join(await parent('json'), 'out');
    await writeSparkOutput(out, encodePredictionsParquet(predictions([1])), report(7));
    const text = await readFile(join(out, '_model.json'), 'utf8');
    expect(text).toContain('\n  "tool": "pricecast",\n');
    const model = JSON.parse(text);
    expect(model.seed).toBe(7);
    expect(model.training.r2).toBeNull();
    expect(model.training.r2adj).toBeNull();
    expect(model.training.explainedVariance).toBeNull();
    expect(model.test.r2).toBeNull();
    expect(model.test.rootMeanSquaredError).toBe(0.5);
  });

  it('creates missing parent folders', async () => {
    const out = join(await parent('deep'), 'a', 'b', 'out');
    await writeSparkOutput(out, encodePredictionsParquet(predictions([1])), report(1));
    expect(existsSync(join(out, '_SUCCESS'))).toBe(true);
  });

  it('refuses a folder it did not write and leaves it untouched', async () => {
    const root = await parent('foreign');
    const out = join(root, 'mine-not');
    await mkdir(out);
    await writeFile(join(out, 'notes.txt'), 'precious');
    const before = await snapshot(out);
    const error = await writeSparkOutput(out, encodePredictionsParquet(predictions([1])), report(1)).catch((e) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/exists and is not a pricecast output.*refusing to replace it/);
    expect(error.message).toContain(out);
    expect(await snapshot(out)).toEqual(before);
    expect(await readdir(root)).toEqual(['mine-not']);
  });

  it('replaces an empty folder (nothing in it to lose)', async () => {
    const root = await parent('empty-folder');
    const out = join(root, 'out');
    await mkdir(out);
    await writeSparkOutput(out, encodePredictionsParquet(predictions([1])), report(3));
    expect(JSON.parse(await readFile(join(out, '_model.json'), 'utf8')).seed).toBe(3);
    expect(await readdir(root)).toEqual(['out']);
  });

  it.each([
    ['a file', async (dir: string) => writeFile(dir, 'data')],
    [
      'a look-alike with a sub-folder named like a part file (an earlier version deleted it recursively)',
      async (dir: string) => {
        await mkdir(join(dir, 'part-archive.parquet'), { recursive: true });
        await writeFile(join(dir, 'part-archive.parquet', 'years-of-work.parquet'), 'precious');
        await writeFile(join(dir, '_SUCCESS'), '');
        await writeFile(join(dir, '_model.json'), JSON.stringify({ tool: 'pricecast' }));
      },
    ],
    [
      'a folder where an output name is a folder, not a file',
      async (dir: string) => {
        await mkdir(join(dir, '_SUCCESS'), { recursive: true });
        await writeFile(join(dir, '_SUCCESS', 'keep.txt'), 'precious');
        await writeFile(join(dir, '_model.json'), JSON.stringify({ tool: 'pricecast' }));
      },
    ],
    [
      'a folder where a part file is a symbolic link',
      async (dir: string) => {
        await mkdir(dir);
        await writeFile(join(dir, '..', 'elsewhere.parquet'), 'precious');
        await symlink(join(dir, '..', 'elsewhere.parquet'), join(dir, 'part-00000-0a1b2c3d-0000-0000-0000-000000000000.snappy.parquet'));
        await writeFile(join(dir, '_model.json'), JSON.stringify({ tool: 'pricecast' }));
      },
    ],
    [
      'a symbolic link to an output folder',
      async (dir: string) => {
        await mkdir(`${dir}-real`);
        await writeFile(join(`${dir}-real`, '_model.json'), JSON.stringify({ tool: 'pricecast' }));
        await symlink(`${dir}-real`, dir);
      },
    ],
    [
      'a _model.json written by another tool',
      async (dir: string) => {
        await mkdir(dir);
        await writeFile(join(dir, '_model.json'), JSON.stringify({ tool: 'other' }));
      },
    ],
    [
      'a _model.json that is not JSON',
      async (dir: string) => {
        await mkdir(dir);
        await writeFile(join(dir, '_model.json'), '{');
      },
    ],
  ])('refuses %s', async (_name, make) => {
    const root = await parent(`refuse-${_name.replace(/\W+/g, '-').slice(0, 40)}`);
    const out = join(root, 'out');
    await make(out);
    const before = (await readdir(root)).sort();
    const tree = await snapshotTree(root);
    const error = await writeSparkOutput(out, encodePredictionsParquet(predictions([1])), report(1)).catch((e) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/not a pricecast output/);
    expect((await readdir(root)).sort()).toEqual(before);
    expect(await snapshotTree(root)).toEqual(tree);
  });

  it('refuses its own earlier output if someone added a file to it (it would be deleted)', async () => {
    const root = await parent('added');
    const out = join(root, 'out');
    await writeSparkOutput(out, encodePredictionsParquet(predictions([1])), report(1));
    await writeFile(join(out, 'analysis.ipynb'), '{}');
    const before = await snapshot(out);
    const error = await writeSparkOutput(out, encodePredictionsParquet(predictions([2])), report(2)).catch((e) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain('analysis.ipynb');
    expect(await snapshot(out)).toEqual(before);
  });

  it('replaces its own earlier output: one part file, the new model, no leftovers', async () => {
    const root = await parent('replace');
    const out = join(root, 'out');
    const first = await writeSparkOutput(out, encodePredictionsParquet(predictions([1, 2])), report(1));
    const second = await writeSparkOutput(out, encodePredictionsParquet(predictions([3, 4, 5])), report(2));
    expect(second.partFile).not.toBe(first.partFile);
    const files = await readdir(out);
    expect(files.filter((f) => f.endsWith('.parquet'))).toEqual([second.partFile.slice(out.length + 1)]);
    expect(JSON.parse(await readFile(join(out, '_model.json'), 'utf8')).seed).toBe(2);
    expect(Array.from((await readSparkOutput(out)).predictions.day)).toEqual([3, 4, 5]);
    expect(await readdir(root)).toEqual(['out']);
  });

  it('a failure just before the rename leaves the earlier output intact and no temporary folder', async () => {
    const root = await parent('fail-late');
    const out = join(root, 'out');
    await writeSparkOutput(out, encodePredictionsParquet(predictions([1])), report(1));
    const before = await snapshot(out);
    let staged: string[] = [];
    const error = await writeSparkOutput(out, encodePredictionsParquet(predictions([2])), report(2), {
      beforeCommit: async (staging) => {
        staged = (await readdir(staging)).sort();
        throw new Error('disk on fire');
      },
    }).catch((e) => e);
    expect(error.message).toBe('disk on fire');
    // The staging folder held the complete new output when it failed…
    expect(staged).toHaveLength(3);
    expect(staged).toContain('_SUCCESS');
    // …and is gone; the earlier output is as it was.
    expect(await snapshot(out)).toEqual(before);
    expect(await readdir(root)).toEqual(['out']);
  });

  it('a failure while writing (a report that cannot be serialised) leaves nothing behind', async () => {
    const root = await parent('fail-early');
    const out = join(root, 'out');
    const broken = { ...report(1), seed: 10n } as unknown as ModelReport;
    const error = await writeSparkOutput(out, encodePredictionsParquet(predictions([1])), broken).catch((e) => e);
    expect(error).toBeInstanceOf(TypeError); // JSON.stringify of a BigInt
    expect(await readdir(root)).toEqual([]);

    await writeSparkOutput(out, encodePredictionsParquet(predictions([1])), report(1));
    const before = await snapshot(out);
    await expect(writeSparkOutput(out, encodePredictionsParquet(predictions([2])), broken)).rejects.toThrow(TypeError);
    expect(await snapshot(out)).toEqual(before);
    expect(await readdir(root)).toEqual(['out']);
  });
});

describe('the lock beside the output', () => {
  it('an empty lock is a run being written (refused) unless it is old (a run that died creating it: taken over)', async () => {
    const root = await parent('empty-lock');
    const out = join(root, 'out');
    const lock = join(root, '.out.lock');
    await writeFile(lock, '');
    const error = await writeSparkOutput(out, encodePredictionsParquet(predictions([1])), report(1)).catch((e) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/another pricecast run is writing this output right now/);
    expect(error.message).toContain(lock);
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    await writeSparkOutput(out, encodePredictionsParquet(predictions([1])), report(1));
    expect(await readdir(root)).toEqual(['out']);
  });

  it('a lock of a process that no longer exists is taken over', async () => {
    const root = await parent('dead-lock');
    const out = join(root, 'out');
    await writeFile(join(root, '.out.lock'), `2147483646 ${hostname()}\n`);
    await writeSparkOutput(out, encodePredictionsParquet(predictions([1])), report(1));
    expect(await readdir(root)).toEqual(['out']);
  });
});

describe('readSparkOutput', () => {
  it("reads Spark's file names: several part files, .crc files, concatenated and sorted by date", async () => {
    const out = join(await parent('spark'), 'out');
    await mkdir(out);
    await writeFile(join(out, 'part-00000-0a1b2c3d-0000-0000-0000-000000000000-c000.snappy.parquet'), encodePredictionsParquet(predictions([30, 10])));
    await writeFile(join(out, 'part-00001-0a1b2c3d-0000-0000-0000-000000000000-c000.snappy.parquet'), encodePredictionsParquet(predictions([20, 5])));
    await writeFile(join(out, '.part-00000-0a1b2c3d-0000-0000-0000-000000000000-c000.snappy.parquet.crc'), 'crc');
    await writeFile(join(out, '_SUCCESS'), '');
    await writeFile(join(out, '._SUCCESS.crc'), 'crc');
    const read = await readSparkOutput(out);
    expect(read.partFiles.map((f) => f.slice(out.length + 1, out.length + 11))).toEqual(['part-00000', 'part-00001']);
    expect(read.report).toBeNull();
    expect(Array.from(read.predictions.day)).toEqual([5, 10, 20, 30]);
    // Each row travels with its values (price = day / 1000 in these files).
    expect(Array.from(read.predictions.price)).toEqual([0.005, 0.01, 0.02, 0.03]);
    expect(Array.from(read.predictions.prediction)).toEqual([0.255, 0.26, 0.27, 0.28]);
  });

  it('reads a folder written by real Spark 3.5 (fixtures/spark-output: 3 part files, parquet-mr, a null)', async () => {
    // Written by the PySpark snippet in fixtures/README.md: day d of January 2021 has price d,
    // volume 10d, marketCap 100d, rsi d (null on the 3rd), next_price d + 1, prediction d / 2.
    const read = await readSparkOutput(join(ROOT, 'fixtures', 'spark-output'));
    expect(read.partFiles).toHaveLength(3);
    expect(read.report).toBeNull();
    const days = [1, 2, 3, 4, 5, 6, 7];
    expect(Array.from(read.predictions.day)).toEqual(days.map((d) => Date.UTC(2021, 0, d) / 86_400_000));
    expect(Array.from(read.predictions.price)).toEqual(days);
    expect(Array.from(read.predictions.volume)).toEqual(days.map((d) => 10 * d));
    expect(Array.from(read.predictions.marketCap)).toEqual(days.map((d) => 100 * d));
    expect(Array.from(read.predictions.rsi)).toEqual(days.map((d) => (d === 3 ? NaN : d)));
    expect(Array.from(read.predictions.nextPrice)).toEqual(days.map((d) => d + 1));
    expect(Array.from(read.predictions.prediction)).toEqual(days.map((d) => d / 2));
  });

  it('reads the report from _model.json', async () => {
    const out = join(await parent('with-report'), 'out');
    await writeSparkOutput(out, encodePredictionsParquet(predictions([1, 2])), report(9));
    const read = await readSparkOutput(out);
    expect(read.report?.seed).toBe(9);
    expect(read.report?.training.r2).toBeNull();
  });

  it('says clearly what is missing', async () => {
    const root = await parent('missing');
    await expect(readSparkOutput(join(root, 'nope'))).rejects.toThrow(/no such output folder/);
    await mkdir(join(root, 'empty'));
    await expect(readSparkOutput(join(root, 'empty'))).rejects.toThrow(/no part-\*\.parquet files/);
    await mkdir(join(root, 'unfinished'));
    await writeFile(join(root, 'unfinished', 'part-00000-x.snappy.parquet'), encodePredictionsParquet(predictions([1])));
    await expect(readSparkOutput(join(root, 'unfinished'))).rejects.toThrow(/no _SUCCESS/);
  });
});
