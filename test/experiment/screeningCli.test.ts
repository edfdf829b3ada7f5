/**
 * `pricecast experiment` with the screening and forward selection (docs/screening.md), as a user runs it:
 * results.json's `screening` and `selection`, the sentence in the table and in report.html, and the input it
 * refuses (exit 2, one line, nothing written).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALGORAND_CSV } from '../helpers/datasets.js';
import { runCli } from '../helpers/cli.js';
import { useScratchFolder } from '../helpers/scratch.js';

const scratch = useScratchFolder('screening-cli');

function expectRefused(run: { code: number; stderr: string }, out: string, pattern: RegExp): void {
  expect(run.code, run.stderr).toBe(2);
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(existsSync(out)).toBe(false);
}

describe('experiment --screen', () => {
  it('screens two or more sets by default: results.json, the table and the report say what it found', async () => {
    const out = join(scratch.dir, 'screened');
    const run = await runCli([
      'experiment', '--input', ALGORAND_CSV, '--set', 'a=price,volume', '--set', 'b=price,rsi', '--set', 'c=price,marketCap,rsi',
      '--refit-every', '5', '--bootstrap-reps', '2000', '--output', out,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    const s = results.screening;
    expect(s.indices).toMatchObject({ seed: 42, reps: 2000, blockSize: Math.floor(Math.sqrt(results.testRows)) });
    expect(s.indices.head).toHaveLength(10);
    expect(Object.keys(s.spa.meanLossDiff)).toEqual(['a', 'b', 'c']);
    expect(s.spa.statistic).toBe(Math.max(...Object.values(s.spa.meanLossDiff as Record<string, number>)));
    expect(s.spa.pvalues.lower).toBeLessThanOrEqual(s.spa.pvalues.consistent);
    expect(s.spa.pvalues.consistent).toBeLessThanOrEqual(s.spa.pvalues.upper);
    expect(s.stepm.map((x: { size: number }) => x.size)).toEqual([0.05, 0.1]);
    expect(Object.keys(s.mcs.R.pvalues)).toEqual(['persistence', 'a', 'b', 'c']);
    expect(Math.max(...(Object.values(s.mcs.max.pvalues) as number[]))).toBe(1);
    const consistent = s.spa.pvalues.consistent.toFixed(3).replace(/0+$/, '').replace(/\.$/, '');
    expect(run.stdout).toContain(`Screening: of 3 candidates, none beats persistence once the number of candidates is accounted for (SPA consistent p = ${consistent})`);
    expect(run.stdout).toMatch(new RegExp(`the confidence set at 90% keeps ${s.mcs.R.included.length} of 4`));
    const report = await readFile(join(out, 'report.html'), 'utf8');
    expect(report).toContain('Allowing for how many sets were tried');
    expect(report).toContain(`Of 3 candidates, none beats persistence`);
  }, 60_000);

  it('a different --bootstrap-seed draws different indices; --block-size is recorded', async () => {
    const out = join(scratch.dir, 'seed7');
    const run = await runCli(['experiment', '--input', ALGORAND_CSV, '--set', 'a=price,volume', '--set', 'b=price,rsi', '--refit-every', '5',
      '--bootstrap-reps', '500', '--bootstrap-seed', '7', '--block-size', '5', '--json', '--output', out]);
    expect(run.code, run.stderr).toBe(0);
    const s = JSON.parse(run.stdout).screening;
    expect(s.indices).toMatchObject({ seed: 7, reps: 500, blockSize: 5 });
    expect(s.indices.head).not.toEqual([]);
  }, 60_000);

  it('refuses fewer than 100 replications', async () => {
    const out = join(scratch.dir, 'reps');
    const run = await runCli(['experiment', '--input', ALGORAND_CSV, '--set', 'a=price', '--set', 'b=price,rsi', '--bootstrap-reps', '99', '--output', out]);
    expectRefused(run, out, /--bootstrap-reps: expected an integer ≥ 100/);
  });

  it('refuses two sets with identical forecasts, naming them', async () => {
    const out = join(scratch.dir, 'twins');
    const run = await runCli(['experiment', '--input', ALGORAND_CSV, '--set', 'a=price,rsi', '--set', 'b=price', '--set', 'twin=price,rsi', '--refit-every', '10', '--output', out]);
    expectRefused(run, out, /algorand\.csv: expected candidates whose forecasts differ .*"a" and "twin"/);
  }, 60_000);

  it('refuses fewer than 3 test days', async () => {
    const csv = await scratch.file(
      'date,price,volume,marketCap\n' +
        Array.from({ length: 8 }, (_, d) => `2024-01-0${d + 1},${(1 + 0.1 * d + 0.05 * (d % 3)).toFixed(3)},${100 + 7 * d * d},${1000 + 13 * d}`).join('\n') +
        '\n',
      'short.csv',
    );
    const out = join(scratch.dir, 'short');
    const run = await runCli(['experiment', '--input', csv, '--set', 'a=price', '--set', 'b=price,volume', '--train-ratio', '0.75', '--output', out]);
    expectRefused(run, out, /short\.csv: expected at least 3 test days to screen the candidates, got 2/);
  });
});

describe('experiment --select forward', () => {
  it('chooses on the training rows, scores each step on the test rows and records the path', async () => {
    const out = join(scratch.dir, 'forward');
    const run = await runCli([
      'experiment', '--input', ALGORAND_CSV, '--select', 'forward', '--pool', 'volume,marketCap,rsi,rsi(window=5),macd_diff',
      '--max-features', '4', '--refit-every', '5', '--bootstrap-reps', '500', '--output', out,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(results.selectionStart).toMatchObject({ set: 'start', features: ['price'] });
    expect(results.selectionStart.innerTrainRows).toBe(Math.floor(0.7 * results.trainRows));
    const path: { added: string; innerMse: number; set: string }[] = results.selection;
    let previous = results.selectionStart.innerMse;
    path.forEach((step, i) => {
      expect(step.set).toBe(`forward${i + 1}`);
      expect(step.innerMse).toBeLessThan(previous);
      previous = step.innerMse;
    });
    expect(path.length).toBeLessThanOrEqual(3);
    const names = results.sets.map((s: { name: string }) => s.name);
    expect(names).toEqual(['persistence', 'start', ...path.map((s) => s.set)]);
    if (path.length > 0) {
      const last = results.sets[results.sets.length - 1];
      expect(last.features).toEqual(['price', ...path.map((s) => s.added)]);
      expect(Object.keys(results.screening.spa.meanLossDiff)).toEqual(['start', ...path.map((s) => s.set)]);
    }
    expect(run.stdout).toContain('Forward selection on the training rows only');
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('Forward selection: inner mse after each step');
  }, 120_000);

  it('refuses a pool item that is also in the start set', async () => {
    const out = join(scratch.dir, 'overlap');
    const run = await runCli(['experiment', '--input', ALGORAND_CSV, '--select', 'forward', '--pool', 'rsi,volume', '--start', 'price,rsi', '--output', out]);
    expectRefused(run, out, /--pool: rsi\(window=14\) is also in the start set \(--start\)/);
  });
});
