/**
 * Checks against independent implementations in the project's Python env:
 * - the engine's coefficients against numpy.linalg.lstsq on the same training rows (docs/parity.md#tolerances: 1e-9
 *   relative), via test/py/lstsq.py;
 * - the engine's output folder read as a whole by pyarrow and pandas, as users read Spark outputs.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatDay } from '../../src/engine/ingest/dates.js';
import { runPipeline, type PipelineResult } from '../../src/engine/pipeline.js';
import { relativeDifference } from '../../src/parity/compare.js';
import { ensurePythonEnv, type PythonEnv } from '../../src/parity/pyenv.js';
import { ROOT } from '../helpers/cli.js';
import { runPython } from '../helpers/python.js';
import { DEFAULT_CSV } from '../helpers/datasets.js';
import { useScratchFolder } from '../helpers/scratch.js';

let env: PythonEnv;
const scratch = useScratchFolder('independent');
let result: PipelineResult;

beforeAll(async () => {
  env = await ensurePythonEnv();
  result = await runPipeline({ input: DEFAULT_CSV, output: join(scratch.dir, 'out') });
});
function python(args: string[]): Promise<string> {
  return runPython(env, args);
}

describe('independent checks', () => {
  it('coefficients agree with numpy lstsq on the same training rows to 1e-9 relative', async () => {
    const { train } = result;
    const x = Array.from(train.price, (_, i) => [train.price[i], train.volume[i], train.marketCap[i], train.rsi[i]]);
    const file = join(scratch.dir, 'train.json');
    await writeFile(file, JSON.stringify({ x, y: Array.from(train.nextPrice) }));
    const numpy = JSON.parse(await python([join(ROOT, 'test', 'py', 'lstsq.py'), file]));
    expect(numpy.rank).toBe(5);
    const mine = result.report.model;
    mine.coefficients.forEach((c, i) => {
      expect(relativeDifference(c, numpy.coefficients[i]), `coefficient ${i}: ${c} vs ${numpy.coefficients[i]}`).toBeLessThanOrEqual(1e-9);
    });
    expect(relativeDifference(mine.intercept, numpy.intercept)).toBeLessThanOrEqual(1e-9);
  });

  it('pyarrow and pandas read the output folder as a whole, with the right schema and values', async () => {
    const script = `
import json, sys
import pyarrow.parquet as pq, pandas as pd
t = pq.read_table(sys.argv[1])
df = pd.read_parquet(sys.argv[1])
print(json.dumps({"schema": [[f.name, str(f.type)] for f in t.schema], "rows": t.num_rows,
  "first_date": str(df["date"].iloc[0]), "prediction_sum": float(df["prediction"].sum())}))`;
    const out = JSON.parse(await python(['-c', script, join(scratch.dir, 'out')]));
    expect(out.schema).toEqual([
      ['date', 'date32[day]'],
      ['price', 'double'], ['volume', 'double'], ['marketCap', 'double'],
      ['rsi', 'double'], ['next_price', 'double'], ['prediction', 'double'],
    ]);
    expect(out.rows).toBe(result.report.rows.test);
    expect(out.first_date).toBe(formatDay(result.predictions.day[0]));
    const sum = result.predictions.prediction.reduce((a, b) => a + b, 0);
    expect(relativeDifference(out.prediction_sum, sum)).toBeLessThan(1e-12);
  });
});
