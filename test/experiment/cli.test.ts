/**
 * `pricecast experiment` as a user runs it (a child process through tsx): the ranked table, --json,
 * --sets files (JSON and YAML), and bad input, specs and usage: exit 2, one line on stderr, nothing
 * written.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtInLadder, LADDER_FAMILIES } from '../../src/experiment/ladder.js';
// The ladder's family rungs hold the functions of close and volume; the high/low rung is test/engine/features/ohlcCli.test.ts's.
import { CLOSE_VOLUME_INDICATORS as INDICATORS } from '../../src/engine/features/indicators/catalogue.js';
import { readSetsFile } from '../../src/experiment/sets.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { useScratchFolder } from '../helpers/scratch.js';

const REAL = join(ROOT, 'fixtures', 'algorand.csv');
const scratch = useScratchFolder('experiment-cli');
function expectOneLineError(run: { code: number; stderr: string }, pattern: RegExp): void {
  expect(run.code).toBe(2);
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^pricecast: /);
  expect(lines[0]).toMatch(pattern);
}

describe('pricecast experiment', () => {
  it('prints the ranked table with the persistence baseline and writes the folder', async () => {
    const out = join(scratch.dir, 'table');
    const run = await runCli(['experiment', '--input', REAL, '--set', 'base=price,volume,marketCap,rsi', '--set', 'p=price', '--refit-every', '5', '--output', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/refit every 5 rows, target price, baseline persistence/);
    const rows = run.stdout.split('\n').filter((l) => /^\d+\s/.test(l));
    expect(rows.map((l) => l.split(/\s+/)[1]).sort()).toEqual(['base', 'p', 'persistence']);
    expect(run.stdout).toMatch(/base .* no better than tomorrow = today/);
    expect((await readdir(out)).sort()).toEqual(['forecasts.parquet', 'report.html', 'results.json']);
  });

  it('--json prints results.json', async () => {
    const out = join(scratch.dir, 'json');
    const run = await runCli(['experiment', '--input', REAL, '--set', 'p=price', '--target', 'return', '--output', out, '--json']);
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout);
    expect(printed).toEqual(JSON.parse(await readFile(join(out, 'results.json'), 'utf8')));
    expect(printed.target).toBe('return');
    expect(printed.sets.map((s: { name: string }) => s.name)).toEqual(['persistence', 'p']);
  });

  it('reads sets from a YAML file (map or list) and a JSON file', async () => {
    const yamlMap = join(scratch.dir, 'sets.yaml');
    await writeFile(yamlMap, 'base: price,volume,marketCap,rsi\nshort:\n  - price\n  - rsi(window=9)\n');
    const yamlList = join(scratch.dir, 'list.yml');
    await writeFile(yamlList, '- name: a\n  features: price\n- name: b\n  features: "price, macd_diff(window_fast=10)"\n');
    const json = join(scratch.dir, 'sets.json');
    await writeFile(json, JSON.stringify({ one: 'price', two: ['price', 'volume'] }));
    expect(readSetsFile(yamlMap).map((s) => [s.name, s.items.length])).toEqual([['base', 4], ['short', 2]]);
    expect(readSetsFile(yamlList).map((s) => [s.name, s.items.map((i) => i.fn)])).toEqual([['a', ['price']], ['b', ['price', 'macd_diff']]]);
    expect(readSetsFile(json).map((s) => s.spec)).toEqual(['price', 'price,volume']);

    const run = await runCli(['experiment', '--input', REAL, '--sets', yamlMap, '--set', 'extra=volume', '--refit-every', '30', '--output', join(scratch.dir, 'yaml-out'), '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).sets.map((s: { name: string }) => s.name)).toEqual(['persistence', 'base', 'short', 'extra']);
  });

  it('takes its settings from a --config file too (flags win)', async () => {
    const config = join(scratch.dir, 'experiment.json');
    await writeFile(config, JSON.stringify({ job: { input: REAL }, experiment: { sets: ['p=price', 'v=price,volume'], refitEvery: 30, target: 'return' } }));
    const run = await runCli(['experiment', '--config', config, '--target', 'price', '--output', join(scratch.dir, 'config-out'), '--json']);
    expect(run.stderr).toBe('');
    const printed = JSON.parse(run.stdout);
    expect([printed.refitEvery, printed.target, printed.input.file]).toEqual([30, 'price', 'algorand.csv']);
    expect(printed.sets.map((s: { name: string }) => s.name)).toEqual(['persistence', 'p', 'v']);
  });

  it('reads vendor layouts, and needs only the columns its sets use', async () => {
    const blank = join(ROOT, 'fixtures', 'vendors', 'coingecko-blank-market-cap.csv');
    const ok = await runCli(['experiment', '--input', blank, '--set', 'p=price,volume,rsi', '--refit-every', '10', '--output', join(scratch.dir, 'vendor-out'), '--json']);
    expect(ok.stderr).toBe('');
    expect(JSON.parse(ok.stdout).input.file).toBe('coingecko-blank-market-cap.csv');
    const refused = await runCli(['experiment', '--input', blank, '--set', 'm=price,marketCap', '--output', join(scratch.dir, 'vendor-never')]);
    expectOneLineError(refused, /market_cap.*--missing/);
    expect(existsSync(join(scratch.dir, 'vendor-never'))).toBe(false);
  });

  const bad: [string, () => Promise<string[]>, RegExp][] = [
    ['an unknown function', async () => ['--set', 'x=price,rsii'], /set "x".*rsii.*did you mean "rsi"/],
    ['a set without a name', async () => ['--set', 'price,volume'], /--set: expected NAME=SPEC/],
    ['a bad set name', async () => ['--set', 'my set=price'], /set name "my set"/],
    ['a reserved set name', async () => ['--set', 'persistence=price'], /"persistence" is reserved/],
    ['the same name twice', async () => ['--set', 'a=price', '--set', 'a=volume'], /set "a" is given twice/],
    ['an empty spec', async () => ['--set', 'a='], /set "a"/],
    ['--refit-every 0', async () => ['--refit-every', '0'], /--refit-every: expected a positive integer/],
    ['--target tomorrow', async () => ['--target', 'tomorrow'], /--target: expected "price" or "return"/],
    ['--train-ratio 1', async () => ['--train-ratio', '1'], /--train-ratio: expected a number strictly between 0 and 1/],
    ['a sets file that is not YAML', async () => {
      const file = join(scratch.dir, 'broken.yaml');
      await writeFile(file, 'a: [price\n');
      return ['--sets', file];
    }, /broken\.yaml.*JSON or YAML/],
    ['a sets file that is a list of numbers', async () => {
      const file = join(scratch.dir, 'numbers.json');
      await writeFile(file, '[1, 2]');
      return ['--sets', file];
    }, /entry 1: expected \{name, features\}/],
    ['a missing sets file', async () => ['--sets', join(scratch.dir, 'nope.yaml')], /--sets: cannot read .*nope\.yaml/],
    ['bad input data', async () => {
      const file = join(scratch.dir, 'bad.csv');
      await writeFile(file, 'date,price,volume,marketCap\n2020-01-01,1,2,3\n2020-01-02,abc,2,3\n');
      return ['--input', file];
    }, /bad\.csv:3: column price/],
    ['too few rows for the widest set', async () => {
      const file = join(scratch.dir, 'short.csv');
      const lines = ['date,price,volume,marketCap'];
      for (let i = 0; i < 30; i++) lines.push(`2020-01-${String(i + 1).padStart(2, '0')},${1 + i / 10},5,6`);
      await writeFile(file, `${lines.join('\n')}\n`);
      return ['--input', file, '--set', 'x=price,sma_indicator(window=25)'];
    }, /enough rows for a walk-forward/],
  ];

  it.each(bad)('%s: exit 2, one line, nothing written', async (_name, args, pattern) => {
    const out = join(scratch.dir, `never-${_name.replace(/\W+/g, '-')}`);
    const extra = await args();
    const input = extra.includes('--input') ? [] : ['--input', REAL];
    const run = await runCli(['experiment', ...input, ...extra, '--output', out]);
    expectOneLineError(run, pattern);
    expect(run.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an output path under a file before computing anything', async () => {
    const file = join(scratch.dir, 'plain-file');
    await writeFile(file, 'x');
    const run = await runCli(['experiment', '--input', REAL, '--set', 'p=price', '--output', join(file, 'out')]);
    expectOneLineError(run, /cannot write .*plain-file is a file, not a folder/);
  });

  it('refuses an output folder that is not an experiment output, and leaves it alone', async () => {
    const out = join(scratch.dir, 'mine');
    await mkdir(out);
    await writeFile(join(out, 'thesis.tex'), 'precious');
    const run = await runCli(['experiment', '--input', REAL, '--set', 'p=price', '--output', out]);
    expectOneLineError(run, /not a pricecast experiment output \(it also holds thesis\.tex\)/);
    expect(await readdir(out)).toEqual(['thesis.tex']);
  });
});

describe('the built-in ladder', () => {
  it('starts from the original four features and adds one ta family at a time, keeping the ones before', () => {
    const ladder = builtInLadder();
    expect(ladder[0].name).toBe('base');
    expect(ladder[0].spec).toBe('price,volume,marketCap,rsi');
    expect(ladder.map((s) => s.name).slice(1)).toEqual(LADDER_FAMILIES.map((_, i) => ['base', ...LADDER_FAMILIES.slice(0, i + 1)].join('+')));
    for (let i = 1; i < ladder.length; i++) {
      const before = new Set(ladder[i - 1].items.map((item) => item.fn));
      const added = ladder[i].items.map((item) => item.fn).filter((fn) => !before.has(fn));
      const family = LADDER_FAMILIES[i - 1];
      // Everything added belongs to the family; every indicator of the family is there once.
      expect(added.every((fn) => INDICATORS.find((x) => x.name === fn)?.module === family)).toBe(true);
      const familyNames = INDICATORS.filter((x) => x.module === family).map((x) => x.name);
      expect(familyNames.every((fn) => ladder[i].items.some((item) => item.fn === fn))).toBe(true);
    }
    expect(ladder[ladder.length - 1].items.length).toBe(3 + INDICATORS.length);
  });
});
