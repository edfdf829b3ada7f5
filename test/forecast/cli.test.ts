/**
 * `pricecast forecast` as a user runs it: the summary (table, track record in words, the stale-row
 * warning), --json, --from an experiment's results.json, and every bad input of docs/forecast.md#bad-input:
 * one line, exit 2, nothing written, an earlier table untouched.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { DEFAULT_CSV } from '../helpers/datasets.js';
import { useScratchFolder } from '../helpers/scratch.js';

const scratch = useScratchFolder('forecast-cli');

async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (sub: string) => {
    for (const entry of await readdir(join(dir, sub), { withFileTypes: true })) {
      const rel = join(sub, entry.name);
      if (entry.isDirectory()) await walk(rel);
      else out.push(`${rel} ${createHash('sha256').update(await readFile(join(dir, rel))).digest('hex')}`);
    }
  };
  await walk('');
  return out.sort();
}

describe('pricecast forecast', () => {
  let table = '';
  let earlier: string[] = [];
  beforeAll(async () => {
    table = join(scratch.dir, 'table');
    const first = await runCli(['forecast', '--input', DEFAULT_CSV, '--horizon', '3', '--output', table]);
    expect(first.code, first.stderr).toBe(0);
    earlier = await snapshot(table);
  }, 60_000);

  it('prints the forecasts with their intervals, then the track record in words, and says the newest row is stale', async () => {
    const run = await runCli(['forecast', '--input', DEFAULT_CSV, '--horizon', '2', '--level', '0.9', '--output', join(scratch.dir, 'summary')]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^pricecast forecast: features \(price, volume, marketCap, rsi\(window=14\); target price\) from (\d{4}-\d\d-\d\d), last price \d/);
    expect(run.stdout).toMatch(/warning: the newest row is \d+ days old \(\d{4}-\d\d-\d\d\)/);
    expect(run.stdout).toMatch(/\n1 +\d{4}-\d\d-\d\d +\d+\.\d+ +\d+\.\d+ … \d+\.\d+\n2 +\d{4}-\d\d-\d\d /);
    expect(run.stdout).toMatch(/h=1: on this history \(\d+ days\) this set's forecasts were \d+% (better|worse) than tomorrow = today \(DM p \d\.\d\d: [a-z ]+; mase \d+\.\d\d\); its 90% intervals covered \d+% of \d+ days/);
    expect(run.stdout).toMatch(/h=2: .* than in 2 days = today/);
  });

  it('--as-of is never called stale; --json prints _forecast.json\'s content', async () => {
    const out = join(scratch.dir, 'json');
    const run = await runCli(['forecast', '--input', DEFAULT_CSV, '--as-of', '2021-12-31', '--json', '--output', out]);
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.originDate).toBe('2021-12-31');
    expect(doc.horizons[0].targetDate).toBe('2022-01-01');
    expect(Object.keys(doc.horizons[0].trackRecord)).toEqual(
      expect.arrayContaining(['origins', 'metrics', 'intervals', 'persistence']),
    );
    expect(JSON.parse(await readFile(join(out, 'origin_date=2021-12-31', '_forecast.json'), 'utf8'))).toEqual(doc);
  });

  it('--from RESULTS --set NAME forecasts with the experiment\'s set and target', async () => {
    const experiment = join(scratch.dir, 'experiment');
    const ran = await runCli(['experiment', '--input', DEFAULT_CSV, '--set', 'small=price,rsi(window=9)', '--target', 'return', '--output', experiment]);
    expect(ran.code, ran.stderr).toBe(0);
    const run = await runCli(['forecast', '--input', DEFAULT_CSV, '--from', join(experiment, 'results.json'), '--set', 'small', '--json', '--output', join(scratch.dir, 'from')]);
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.set).toEqual({ name: 'small', features: ['price', 'rsi(window=9)'], target: 'return' });
  }, 60_000);

  const bad: [string, string[], RegExp][] = [
    ['a horizon of 0', ['--horizon', '0'], /--horizon: expected an integer from 1 to 366/],
    ['a horizon of 367', ['--horizon', '367'], /--horizon: expected an integer from 1 to 366/],
    ['a level of 1', ['--level', '0.8,1'], /--level: expected levels strictly between 0 and 1/],
    ['a repeated level', ['--level', '0.8,0.95,0.8'], /--level: 0\.8 is given twice/],
    ['a level too high for the history', ['--level', '0.999'], /a 0\.999 interval at horizon 1: 999 walk-forward scores are needed, \d+ are available/],
    ['a level too high for the calibration window', ['--calibration-window', '10'], /a 0\.95 interval at horizon 1: 19 walk-forward scores are needed, 10 are available \(--calibration-window 10\)/],
    ['--as-of not a date', ['--as-of', '2021-02-30'], /--as-of: expected a date YYYY-MM-DD/],
    ['--as-of before the first row', ['--as-of', '2010-01-01'], /--as-of 2010-01-01 is before the first row \(2019-06-20\)/],
    ['--as-of before the first usable row', ['--as-of', '2019-06-25'], /leaves no row where every feature has a value/],
    ['too few fitting rows', ['--as-of', '2019-07-08'], /at least 6 fitting rows for 4 features at horizon 1/],
    ['a calibration window below 1', ['--calibration-window', '0'], /--calibration-window: expected a positive integer/],
    ['--from without the named set', ['--from', 'RESULTS', '--set', 'nope'], /expected a set named in it \(small\) \(got "nope"\)/],
    ['--set without --from', ['--set', 'small'], /--set: only with --from RESULTS/],
  ];
  it.each(bad)('%s: one line, exit 2, the earlier table untouched', async (_label, args, message) => {
    const resolved = args.map((a) => (a === 'RESULTS' ? join(scratch.dir, 'experiment', 'results.json') : a));
    const run = await runCli(['forecast', '--input', DEFAULT_CSV, ...resolved, '--output', table]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(await snapshot(table)).toEqual(earlier);
  });
});
