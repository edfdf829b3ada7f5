/**
 * _model.json stays small on inputs that collapse many dates: the count and the first
 * COLLAPSED_DATES_LISTED dates, not the list; and replacing an earlier output reads only a bounded prefix
 * of its _model.json, so an earlier output with a huge one (the former format) is still replaced, and
 * a huge foreign one still refused.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDay, parseDay } from '../../../src/engine/ingest/dates.js';
import { MODEL_FILE, SUCCESS_FILE } from '../../../src/engine/output/folder.js';
import { runPipeline } from '../../../src/engine/pipeline.js';
import { COLLAPSED_DATES_LISTED } from '../../../src/engine/types.js';
import { generated } from '../../helpers/datasets.js';
import { useScratchFolder } from '../../helpers/scratch.js';

const scratch = useScratchFolder('modelreport');
const REPEATING_DAYS = 3000;
const START = '2001-03-04';

describe('_model.json on an input with more repeated dates than it lists', () => {
  it('reports how many dates collapsed and lists only the first ones, ascending', async () => {
    // Every 100th day twice: 30 of 3000 days, 1% (more would not be one daily series, docs/input.md#not-one-daily-series).
    const generatedFile = generated(scratch.dir, 'daily.csv', { rows: REPEATING_DAYS, seed: 3, startDate: START, repeatedDate: false });
    const [header, ...rows] = (await readFile(generatedFile, 'utf8')).trim().split('\n');
    const input = join(scratch.dir, 'repeated.csv');
    await writeFile(input, `${[header, ...rows.flatMap((row, t) => (t % 100 === 0 ? [row, row] : [row]))].join('\n')}\n`);
    const out = join(scratch.dir, 'out');
    const result = await runPipeline({ input, output: out });
    const collapsed = result.report.input.duplicateDatesCollapsed;
    expect(collapsed.count).toBe(REPEATING_DAYS / 100);
    const start = parseDay(START)!;
    expect(collapsed.first).toEqual(Array.from({ length: COLLAPSED_DATES_LISTED }, (_, i) => formatDay(start + 100 * i)));
    const written = JSON.parse(await readFile(join(out, MODEL_FILE), 'utf8'));
    expect(written.input.duplicateDatesCollapsed).toEqual(collapsed);
  });
});

describe('replacing an output whose _model.json is large', () => {
  /** An output folder as an earlier version wrote it: every collapsed date listed (about 1.3 MB). */
  async function earlierOutput(name: string, tool: string, toolFirst: boolean): Promise<string> {
    const dir = join(scratch.dir, name);
    await mkdir(dir, { recursive: true });
    const dates = Array.from({ length: 100_000 }, (_, i) => formatDay(i));
    const report = toolFirst ? { tool, input: { duplicateDatesCollapsed: dates } } : { input: { duplicateDatesCollapsed: dates }, tool };
    await writeFile(join(dir, MODEL_FILE), JSON.stringify(report, null, 2));
    await writeFile(join(dir, SUCCESS_FILE), '');
    await writeFile(join(dir, `part-00000-${randomUUID()}.snappy.parquet`), 'x');
    expect((await stat(join(dir, MODEL_FILE))).size).toBeGreaterThan(1_000_000);
    return dir;
  }
  const input = () => generated(scratch.dir, 'small.csv', { rows: 60, seed: 4 });

  it('replaces an earlier pricecast output', async () => {
    const dir = await earlierOutput('earlier', 'pricecast', true);
    await runPipeline({ input: input(), output: dir });
    expect(JSON.parse(await readFile(join(dir, MODEL_FILE), 'utf8')).input.duplicateDatesCollapsed.count).toBe(1);
  });

  it('refuses one whose _model.json another tool wrote, or that does not open with the tool', async () => {
    const foreign = await earlierOutput('foreign', 'something-else', true);
    await expect(runPipeline({ input: input(), output: foreign })).rejects.toThrow(/not a pricecast output/);
    const unordered = await earlierOutput('unordered', 'pricecast', false);
    await expect(runPipeline({ input: input(), output: unordered })).rejects.toThrow(/not a pricecast output/);
  });
});
