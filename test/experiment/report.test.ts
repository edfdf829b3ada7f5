/**
 * The experiment's output folder: results.json, forecasts.parquet (read back by hyparquet, an
 * independent reader) and report.html parsed: a self-contained page whose SVG charts exist and carry
 * the run's data (series, points, values); and the folder's replace rule.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetReadObjects, parquetSchema, parquetMetadata } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatDay } from '../../src/engine/ingest/dates.js';
import { ACTUAL_SERIES, chartedSets, chartRows, MAX_CHART_POINTS } from '../../src/experiment/charts.js';
import { runExperiment, type ExperimentRun } from '../../src/experiment/run.js';
import { rankSets, verdict, type ExperimentResults } from '../../src/experiment/results.js';
import { parseSetFlag } from '../../src/experiment/sets.js';
import { ROOT } from '../helpers/cli.js';
import { ALGORAND_CSV } from '../helpers/datasets.js';
import { useScratchFolder } from '../helpers/scratch.js';

const REAL_CSV = ALGORAND_CSV;
const SETS = ['base=price,volume,marketCap,rsi', 'price_only=price', 'rsi9=price,rsi(window=9)'];

const scratch = useScratchFolder('experiment-report');
let run: ExperimentRun;
let html: string;
let svgs: string[];
beforeAll(async () => {
  run = await runExperiment({
    input: REAL_CSV,
    sets: SETS.map(parseSetFlag),
    trainRatio: 0.7,
    refitEvery: 1,
    target: 'price',
    output: join(scratch.dir, 'out'),
  });
  html = await readFile(join(scratch.dir, 'out', 'report.html'), 'utf8');
  svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
});
/** Text of an SVG attribute or element, its character references resolved. */
const unescape = (text: string) => text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
/** The aria-labels of an SVG's marks of one class (`<path class="line" …>`, `<rect class="bar" …>`), in drawing order. */
function markLabels(svg: string, markClass: string): string[] {
  return [...svg.matchAll(new RegExp(`<\\w+ class="${markClass}" role="graphics-symbol" aria-label="([^"]*)"`, 'g'))].map((m) => unescape(m[1]));
}
/** The <title> (tooltip) of each of an SVG's marks of one class. */
function markTitles(svg: string, markClass: string): string[] {
  return [...svg.matchAll(new RegExp(`<(\\w+) class="${markClass}" [^>]*><title>([^<]*)</title></\\1>`, 'g'))].map((m) => unescape(m[2]));
}
/** Points of each line path in an SVG ("Mx,y Lx,y …"). */
function linePointCounts(svg: string): number[] {
  return [...svg.matchAll(/<path class="line" [^>]* d="([^"]*)"/g)].map((m) => (m[1].match(/[ML]/g) ?? []).length);
}
/** What a line's aria-label says: "NAME: N points from DAY to DAY; first Y-TITLE VALUE". */
function lineLabel(label: string, yTitle: string): { name: string; points: number; from: string; to: string; first: number } {
  const m = label.match(new RegExp(`^(.*): (\\d+) points from (\\S+) to (\\S+); first ${yTitle} (\\S+)$`));
  expect(m, label).not.toBeNull();
  return { name: m![1], points: Number(m![2]), from: m![3], to: m![4], first: Number(m![5]) };
}
/** Which of the SVGs python's xml.etree.ElementTree does not parse as XML (with its error), an empty list when all do. */
function notWellFormed(svgs: readonly string[]): string[] {
  const script = 'import json, sys, xml.etree.ElementTree as ET\nbad = []\nfor i, s in enumerate(json.load(sys.stdin)):\n    try:\n        ET.fromstring(s)\n    except ET.ParseError as e:\n        bad.append(f"{i}: {e}")\nprint(json.dumps(bad))';
  const python = spawnSync('python3', ['-c', script], { input: JSON.stringify(svgs), encoding: 'utf8' });
  if (python.status !== 0) throw new Error(`python3 failed: ${python.stderr}`);
  return JSON.parse(python.stdout) as string[];
}
const number = (text: string) => Number(text.replace('−', '-').replace(/[,%]/g, ''));

describe('results.json', () => {
  it('states how it was run and lists persistence first, then the sets in the given order', async () => {
    const results = JSON.parse(await readFile(join(scratch.dir, 'out', 'results.json'), 'utf8')) as ExperimentResults;
    expect(results).toMatchObject({ tool: 'pricecast', command: 'experiment', trainRatio: 0.7, refitEvery: 1, target: 'price' });
    expect(results.input.file).toBe('algorand.csv');
    expect(results.input.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(results.sets.map((s) => s.name)).toEqual(['persistence', 'base', 'price_only', 'rsi9']);
    expect(results.sets[1].features.slice(0, 3)).toEqual(['price', 'volume', 'marketCap']);
    expect(results.sets[1].features[3]).toMatch(/^rsi/);
    expect(results.sets[0].metrics.dm).toBeNull();
    expect(results.testRows).toBe(results.rows - results.trainRows);
    expect(results.trainRows).toBe(Math.floor(results.rows * 0.7));
    expect(results.firstTestDate).toBe(formatDay(run.forecasts.day[0]));
    expect(await readdir(join(scratch.dir, 'out'))).toEqual(['forecasts.parquet', 'report.html', 'results.json']);
  });
});

describe('forecasts.parquet', () => {
  it('holds date, price, next_price, persistence and one column per set, as hyparquet reads it', async () => {
    const bytes = await readFile(join(scratch.dir, 'out', 'forecasts.parquet'));
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const schema = parquetSchema(parquetMetadata(file));
    expect(schema.children.map((c) => c.element.name)).toEqual(['date', 'price', 'next_price', 'persistence', 'base', 'price_only', 'rsi9']);
    const rows = await parquetReadObjects({ file });
    const f = run.forecasts;
    expect(rows).toHaveLength(f.day.length);
    expect(rows.map((r) => (r.date as Date).toISOString().slice(0, 10))).toEqual(Array.from(f.day, formatDay));
    expect(rows.map((r) => r.next_price)).toEqual(Array.from(f.nextPrice));
    expect(rows.map((r) => r.persistence)).toEqual(Array.from(f.price));
    for (const set of f.sets) expect(rows.map((r) => r[set.name])).toEqual(Array.from(set.forecasts));
  });
});

describe('report.html', () => {
  it('is self-contained: no script, nothing loaded from elsewhere', () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
  });

  it('has the ranked table with every set, its skill, DM p-value and verdict', () => {
    const body = html.match(/<tbody>([\s\S]*?)<\/tbody>/)![1];
    const rows = [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]));
    const ranked = rankSets(run.results.sets);
    expect(rows.map((r) => r[1])).toEqual(ranked.map((s) => s.name));
    rows.forEach((cells, i) => {
      expect(number(cells[3])).toBeCloseTo(ranked[i].metrics.skill * 100, 2);
      expect(cells[cells.length - 1]).toBe(verdict(ranked[i]));
    });
    // On this data the original four features do not beat tomorrow = today.
    const base = rows.find((r) => r[1] === 'base')!;
    expect(base[base.length - 1]).toBe('no better than tomorrow = today');
  });

  it('has three SVG charts, each a standalone, well-formed SVG document', () => {
    expect(svgs).toHaveLength(3);
    for (const svg of svgs) {
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="(\d+)" height="(\d+)" viewBox="0 0 \1 \2"/);
      expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    }
    expect(notWellFormed(svgs)).toEqual([]);
    expect(html).not.toMatch(/vega/i);
  });

  it('charts actual and forecasts: one line per series, a point per test row, starting at the first values', () => {
    const [actual] = svgs;
    const f = run.forecasts;
    const T = f.day.length;
    const series = [ACTUAL_SERIES, 'persistence', ...chartedSets(run.results)];
    expect(chartRows(T).rows).toHaveLength(T);
    expect(linePointCounts(actual)).toEqual(series.map(() => T));
    const labels = markLabels(actual, 'line').map((l) => lineLabel(l, 'price'));
    expect(labels.map((l) => l.name)).toEqual(series);
    const first = (name: string) =>
      name === ACTUAL_SERIES ? f.nextPrice[0] : name === 'persistence' ? f.persistence[0] : f.sets.find((s) => s.name === name)!.forecasts[0];
    for (const label of labels) {
      expect(label).toEqual({ name: label.name, points: T, from: formatDay(f.day[0]), to: formatDay(f.day[T - 1]), first: first(label.name) });
    }
    // The legend names every series.
    for (const name of series) expect(actual).toContain(`>${name}</text>`);
    expect(actual).toContain('Next-day price: actual and forecasts over the test rows');
  });

  it('charts the cumulative squared-error difference against persistence per set', () => {
    const cumulative = svgs[1];
    const charted = chartedSets(run.results);
    const f = run.forecasts;
    expect(linePointCounts(cumulative)).toEqual(charted.map(() => f.day.length));
    const labels = markLabels(cumulative, 'line').map((l) => lineLabel(l, 'cumulative squared-error difference'));
    expect(labels.map((l) => l.name)).toEqual(charted);
    for (const label of labels) {
      const forecast = f.sets.find((s) => s.name === label.name)!.forecasts[0];
      const expected = (f.persistence[0] - f.nextPrice[0]) ** 2 - (forecast - f.nextPrice[0]) ** 2;
      expect(Math.abs(label.first - expected)).toBeLessThanOrEqual(Math.abs(expected) * 1e-9);
    }
    // The rule at 0.
    expect(cumulative).toMatch(/<line class="rule" /);
  });

  it('charts skill by set: one bar per set with its skill and p-value, best first', () => {
    const labels = markLabels(svgs[2], 'bar');
    const titles = markTitles(svgs[2], 'bar');
    const sets = run.results.sets.filter((s) => s.name !== 'persistence');
    expect(labels).toHaveLength(sets.length);
    expect(titles).toHaveLength(sets.length);
    const skills = labels.map((l) => number(l.match(/skill: ([^%]+)%/)![1]));
    expect(skills).toEqual([...skills].sort((a, b) => b - a));
    for (const set of sets) {
      const i = labels.findIndex((l) => l.startsWith(`set: ${set.name};`));
      expect(number(labels[i].match(/skill: ([^%]+)%/)![1])).toBeCloseTo(set.metrics.skill * 100, 9);
      expect(number(labels[i].match(/p-value: ([0-9.e-]+)/)![1])).toBeCloseTo(set.metrics.dm!.pValue, 12);
      expect(titles[i]).toBe(`${set.name}\nskill: ${(set.metrics.skill * 100).toFixed(2).replace('-', '−')}%\nDM p-value: ${set.metrics.dm!.pValue.toFixed(4)}`);
    }
  });
});

describe('long series in the charts', () => {
  it('plots every m-th test row and the last, at most MAX_CHART_POINTS + 1', () => {
    const { rows, stride } = chartRows(300_000);
    expect(stride).toBe(300);
    expect(rows.length).toBeLessThanOrEqual(MAX_CHART_POINTS + 1);
    expect(rows[rows.length - 1]).toBe(299_999);
    expect(chartRows(5).rows).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('output folder', () => {
  const options = (output: string) => ({ input: REAL_CSV, sets: [parseSetFlag('p=price')], trainRatio: 0.7, refitEvery: 20, target: 'price' as const, output });

  it('replaces an earlier experiment output', async () => {
    const dir = join(scratch.dir, 'again');
    await runExperiment(options(dir));
    const before = await readFile(join(dir, 'results.json'), 'utf8');
    await runExperiment({ ...options(dir), refitEvery: 10 });
    const after = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'));
    expect(after.refitEvery).toBe(10);
    expect(JSON.parse(before).refitEvery).toBe(20);
    expect((await readdir(scratch.dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('refuses a folder that is not an experiment output, before computing, and leaves it alone', async () => {
    const dir = join(scratch.dir, 'foreign');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await expect(runExperiment(options(dir))).rejects.toThrow(/not a pricecast experiment output \(it also holds notes.txt\)/);
    expect(await readdir(dir)).toEqual(['notes.txt']);
  });

  it('repairs a replace that was killed between its two renames, and removes leftovers', async () => {
    const dir = join(scratch.dir, 'killed');
    await runExperiment(options(dir));
    const earlier = await readFile(join(dir, 'results.json'), 'utf8');
    // As a run killed after moving the earlier output aside, before its new one (incomplete) moved in.
    const { rename } = await import('node:fs/promises');
    await rename(dir, join(scratch.dir, '.killed.old-0123456789ab'));
    await mkdir(join(scratch.dir, '.killed.tmp-0123456789ab'));
    await writeFile(join(scratch.dir, '.killed.tmp-0123456789ab', 'report.html'), 'half');
    await mkdir(join(scratch.dir, '.killed.tmp-aaaaaaaaaaaa'));
    await writeFile(join(scratch.dir, '.killed.tmp-aaaaaaaaaaaa', 'forecasts.parquet'), 'half');
    const { checkExperimentOutput } = await import('../../src/experiment/folder.js');
    await checkExperimentOutput(dir);
    expect(await readFile(join(dir, 'results.json'), 'utf8')).toBe(earlier);
    expect((await readdir(scratch.dir)).filter((n) => n.startsWith('.killed'))).toEqual([]);
  });

  it('writes nothing for bad input', async () => {
    const bad = join(scratch.dir, 'short.csv');
    await writeFile(bad, 'date,price,volume,marketCap\n2020-01-01,1,1,1\n2020-01-02,2,1,1\n');
    const dir = join(scratch.dir, 'never');
    await expect(runExperiment({ ...options(dir), input: bad })).rejects.toThrow(/enough rows for a walk-forward/);
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
  });

  it('ranks a set that beats persistence on data with momentum above it', async () => {
    // A trending series: tomorrow's price is today's plus a steady drift, so a fit on price beats
    // "tomorrow = today" clearly (skill > 0, DM p < 0.05).
    const file = join(scratch.dir, 'trend.csv');
    const lines = ['date,price,volume,marketCap'];
    for (let i = 0; i < 400; i++) {
      const price = 10 + 0.5 * i + Math.sin(i * 1.7) * 0.2;
      lines.push(`${formatDay(18000 + i)},${price},${1000 + i},${price * 1e6}`);
    }
    await writeFile(file, `${lines.join('\n')}\n`);
    const result = await runExperiment({ ...options(join(scratch.dir, 'trend-out')), input: file, refitEvery: 1 });
    const p = result.results.sets.find((s) => s.name === 'p')!;
    expect(p.metrics.skill).toBeGreaterThan(0.5);
    expect(verdict(p)).toBe('better than tomorrow = today');
    expect(rankSets(result.results.sets)[0].name).toBe('p');
  });
});
