/**
 * The forecast table (src/forecast/partition.ts): a partition per origin day, replaced by the output
 * protocol. Killed at each step of a replace, the next run leaves the earlier or the new partition whole,
 * every other partition byte for byte, foreign files kept, no hidden leftovers; re-running a day gives
 * the same table; and Spark, pyarrow, pandas and DuckDB read the folder as one table.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runForecast } from '../../src/forecast/run.js';
import { ensurePythonEnv, type PythonEnv } from '../../src/parity/pyenv.js';
import { startChild } from '../helpers/child.js';
import { ROOT } from '../helpers/cli.js';
import { CRASH_STATES } from '../helpers/crashMatrix.js';
import { DEFAULT_CSV } from '../helpers/datasets.js';
import { runPython } from '../helpers/python.js';
import { treeHashes } from '../helpers/treeHashes.js';
import { useScratchFolder } from '../helpers/scratch.js';

const scratch = useScratchFolder('forecast-table');
const WRITER = join(ROOT, 'test', 'helpers', 'forecastWriter.ts');
const A = 'origin_date=2024-01-05';
const B = 'origin_date=2024-01-04';

const run = (args: string[], env: NodeJS.ProcessEnv = {}) => startChild(WRITER, args, env).done;

const snapshot = treeHashes;

async function versionOf(partition: string): Promise<number> {
  const names = await readdir(partition);
  expect(names.filter((n) => n.endsWith('.parquet'))).toHaveLength(1);
  return JSON.parse(await readFile(join(partition, '_forecast.json'), 'utf8')).version;
}

describe('a partition replace killed at each step', () => {
  it.each(CRASH_STATES)('killed at %s: the next run repairs it, other partitions and foreign files untouched', async (step, visible) => {
    const dir = join(scratch.dir, `crash-${step}`);
    for (const origin of ['2024-01-04', '2024-01-05']) expect((await run(['write', dir, origin, '1'])).code).toBe(0);
    await writeFile(join(dir, 'notes.txt'), 'not ours');
    const before = await snapshot(dir);
    const others = Object.fromEntries(Object.entries(before).filter(([k]) => !k.startsWith(`${A}/`)));

    const crashed = await run(['write', dir, '2024-01-05', '2'], { PRICECAST_TEST_CRASH_AT: step });
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    if (visible === null) expect(await readdir(dir)).not.toContain(A);
    else expect(await versionOf(join(dir, A))).toBe(visible);
    expect((await readdir(dir)).some((n) => n.startsWith(`.${A}.`))).toBe(true);

    const checked = await run(['check', dir, '2024-01-05']);
    expect(checked.code, checked.stderr).toBe(0);
    expect((await readdir(dir)).sort()).toEqual([A, B, '_SUCCESS', 'notes.txt'].sort());
    expect(await versionOf(join(dir, A))).toBe(visible ?? 2);

    const next = await run(['write', dir, '2024-01-05', '3']);
    expect(next.code, next.stderr).toBe(0);
    expect(await versionOf(join(dir, A))).toBe(3);
    const after = await snapshot(dir);
    for (const [path, hash] of Object.entries(others)) expect(after[path], path).toBe(hash);
    expect((await readdir(dir)).sort()).toEqual([A, B, '_SUCCESS', 'notes.txt'].sort());
  });

  it('refuses to replace a partition that is not a forecast partition, and leaves it', async () => {
    const dir = join(scratch.dir, 'foreign');
    await mkdir(join(dir, A), { recursive: true });
    await writeFile(join(dir, A, 'data.csv'), 'x');
    const refused = await run(['write', dir, '2024-01-05', '1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/not a pricecast forecast output/);
    expect(await readdir(join(dir, A))).toEqual(['data.csv']);
  });
});

describe('the table as readers see it', () => {
  let env: PythonEnv;
  beforeAll(async () => {
    env = await ensurePythonEnv();
  });

  it('re-running a day gives the same table, byte for byte; days accumulate; four readers read one table', async () => {
    const dir = join(scratch.dir, 'lake');
    const base = { input: DEFAULT_CSV, set: { name: 'features', spec: 'price,volume,marketCap,rsi' }, target: 'price' as const, horizon: 3, levels: [0.8, 0.975], trainRatio: 0.7, refitEvery: 1, output: dir };
    const days = ['2022-01-10', '2022-01-11', '2022-01-12'];
    for (const asOf of days) await runForecast({ ...base, asOf });
    const first = await snapshot(dir);
    await runForecast({ ...base, asOf: days[1] });
    expect(await snapshot(dir)).toEqual(first);
    expect(Object.keys(first).filter((k) => k.endsWith('.parquet'))).toHaveLength(3);

    const script = `
import json, sys
import pyarrow.parquet as pq, pandas as pd, duckdb
from pyspark.sql import SparkSession
d = sys.argv[1]
t = pq.read_table(d)
p = pd.read_parquet(d)
q = duckdb.sql(f"select * from read_parquet('{d}/*/*.parquet', hive_partitioning=true) order by origin_date, horizon").df()
spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
s = spark.read.parquet(d).orderBy("origin_date", "horizon").toPandas()
spark.stop()
def rows(frame):
    frame = frame.sort_values(["origin_date", "horizon"]) if "origin_date" in frame else frame
    return [[str(r["origin_date"])[:10], int(r["horizon"]), str(r["target_date"])[:10], float(r["forecast"]), float(r["lower_97p5"]), r["set"]] for _, r in frame.iterrows()]
print(json.dumps({"pyarrow": rows(t.to_pandas()), "pandas": rows(p), "duckdb": rows(q), "spark": rows(s),
                  "columns": {"pyarrow": t.column_names, "spark": list(s.columns)}}))
`;
    const file = await scratch.file(script, 'readers.py');
    const read = JSON.parse(await runPython(env, [file, dir])) as Record<string, unknown[][]> & { columns: Record<string, string[]> };
    expect(read.pyarrow).toHaveLength(9);
    expect(read.pyarrow[0].slice(0, 3)).toEqual(['2022-01-10', 1, '2022-01-11']);
    for (const reader of ['pandas', 'duckdb', 'spark']) expect(read[reader], reader).toEqual(read.pyarrow);
    expect(read.columns.pyarrow).toEqual(['horizon', 'target_date', 'last_price', 'forecast', 'lower_80', 'upper_80', 'lower_97p5', 'upper_97p5', 'set', 'origin_date']);
  }, 240_000);
});
