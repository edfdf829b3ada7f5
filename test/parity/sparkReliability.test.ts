/**
 * On the PySpark side: the reference job applies the engine's replace rule. A folder
 * whose _model.json says pricecast but that also holds other things (notes.txt, a sub-folder named like
 * a part file) is refused with exit 2 and left untouched (before: replaced, notes.txt deleted, e.g. by
 * `parity --keep K`); its own earlier output is still replaced, without leftovers.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensurePythonEnv } from '../../src/parity/pyenv.js';
import { runSparkJob } from '../../src/parity/spark.js';
import { DEFAULT_CSV } from '../helpers/datasets.js';
import { useScratchFolder } from '../helpers/scratch.js';

const scratch = useScratchFolder('reliability-spark');
beforeAll(async () => {
  await ensurePythonEnv();
});
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

describe("the PySpark job's replace rule", () => {
  it('refuses a look-alike (notes.txt, a sub-folder part-archive.parquet/) with exit 2 and leaves it untouched', async () => {
    const root = join(scratch.dir, 'lookalike');
    const out = join(root, 'spark');
    await mkdir(join(out, 'part-archive.parquet'), { recursive: true });
    await writeFile(join(out, 'part-archive.parquet', 'years.parquet'), 'precious');
    await writeFile(join(out, 'notes.txt'), 'precious');
    await writeFile(join(out, '_SUCCESS'), '');
    await writeFile(join(out, '_model.json'), JSON.stringify({ tool: 'pricecast' }));
    const before = await tree(root);
    const spark = await runSparkJob({ input: DEFAULT_CSV, output: out });
    expect(spark.exitCode, spark.stderr).toBe(2);
    expect(spark.stderr).toMatch(/not a pricecast output \(it also holds notes\.txt, part-archive\.parquet\); refusing to replace it/);
    expect(await tree(root)).toEqual(before);
    expect(await readFile(join(out, 'notes.txt'), 'utf8')).toBe('precious');
  }, 300_000);

  it('replaces its own earlier output (Spark part files, .crc files) and leaves no hidden sibling', async () => {
    const root = join(scratch.dir, 'own');
    await mkdir(root);
    const out = join(root, 'spark');
    const first = await runSparkJob({ input: DEFAULT_CSV, output: out, seed: 1 });
    expect(first.exitCode, first.stderr).toBe(0);
    expect((await readdir(out)).some((n) => n.endsWith('.crc'))).toBe(true);
    const second = await runSparkJob({ input: DEFAULT_CSV, output: out, seed: 2 });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(out, '_model.json'), 'utf8')).seed).toBe(2);
    expect(await readdir(root)).toEqual(['spark']);
  }, 300_000);
});
