/**
 * Penalised candidates in `experiment` (docs/regularisation.md#in-experiment): a set's own λ and α
 * (`--set NAME=SPEC;regParam=λ;elasticNet=α`, keys in a sets file), the `--reg-param` / `--elastic-net`
 * grids, every refit using them (the expanding fit against a from-scratch fit on each window), the
 * built-in ladder's ridge and lasso rungs, and bad values refused with exit 2, one line, nothing written.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/engine/errors.js';
import { fitWeightedLeastSquares } from '../../src/engine/model/wls.js';
import { ExpandingFit } from '../../src/experiment/expandingFit.js';
import { builtInCandidates, builtInLadder, LADDER_PENALTIES } from '../../src/experiment/ladder.js';
import { expandPenalties, featureSet, parseSetFlag, readSetsFile } from '../../src/experiment/sets.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { useScratchFolder } from '../helpers/scratch.js';

const REAL = join(ROOT, 'fixtures', 'algorand.csv');
const scratch = useScratchFolder('experiment-penalties');

describe('a set with its own penalty', () => {
  it('--set NAME=SPEC;regParam=λ;elasticNet=α', () => {
    expect(parseSetFlag('l=price,rsi;regParam=0.1;elasticNet=0.5').regularisation).toEqual({ regParam: 0.1, elasticNetParam: 0.5 });
    expect(parseSetFlag('r=price,rsi; regParam = 0.2').regularisation).toEqual({ regParam: 0.2, elasticNetParam: 0 });
    expect(parseSetFlag('p=price,rsi').regularisation).toBeUndefined();
  });

  it('refuses a bad value or an unknown key, naming the set', () => {
    expect(() => parseSetFlag('l=price;regParam=-1')).toThrow(/set "l": regParam: expected a finite number ≥ 0, got "-1"/);
    expect(() => parseSetFlag('l=price;elasticNet=2')).toThrow(/elasticNet: expected a number between 0 and 1/);
    expect(() => parseSetFlag('l=price;regParam=abc')).toThrow(/regParam: expected a number/);
    expect(() => parseSetFlag('l=price;lambda=1')).toThrow(UsageError);
  });

  it('keys regParam and elasticNet in a sets file, in both forms', async () => {
    const list = join(scratch.dir, 'list.yaml');
    await writeFile(list, '- {name: a, features: "price,rsi", regParam: 0.1, elasticNet: 1}\n- {name: b, features: price}\n');
    expect(readSetsFile(list).map((s) => s.regularisation)).toEqual([{ regParam: 0.1, elasticNetParam: 1 }, undefined]);
    const map = join(scratch.dir, 'map.json');
    await writeFile(map, JSON.stringify({ a: { features: ['price', 'rsi'], regParam: 0.3 }, b: 'price' }));
    expect(readSetsFile(map).map((s) => s.regularisation)).toEqual([{ regParam: 0.3, elasticNetParam: 0 }, undefined]);
    await writeFile(map, JSON.stringify({ a: { features: 'price', regParam: 'lots' } }));
    expect(() => readSetsFile(map)).toThrow(/set "a": regParam: expected a number, got "lots"/);
  });
});

describe('penalty grids', () => {
  const sets = [featureSet('a', 'price,rsi', 'test'), featureSet('b', 'price', 'test', { regParam: 0.5 })];

  it('one candidate per value, named NAME[regParam=λ]; the grid replaces a set\'s own λ', () => {
    const grid = expandPenalties(sets, [0, 0.01]);
    expect(grid.map((s) => s.name)).toEqual(['a[regParam=0]', 'a[regParam=0.01]', 'b[regParam=0]', 'b[regParam=0.01]']);
    expect(grid.map((s) => s.regularisation?.regParam)).toEqual([0, 0.01, 0, 0.01]);
  });

  it('both grids: every pair, except that λ = 0 is one candidate (α changes nothing there)', () => {
    const grid = expandPenalties(sets.slice(0, 1), [0, 0.1], [0, 1]);
    expect(grid.map((s) => s.name)).toEqual(['a[regParam=0]', 'a[regParam=0.1,elasticNet=0]', 'a[regParam=0.1,elasticNet=1]']);
    expect(expandPenalties(sets, [0.1], undefined).length).toBe(2);
    expect(expandPenalties(sets, undefined, [1]).map((s) => [s.name, s.regularisation])).toEqual([
      ['a', { regParam: 0, elasticNetParam: 0 }],
      ['b[elasticNet=1]', { regParam: 0.5, elasticNetParam: 1 }],
    ]);
    expect(expandPenalties(sets)).toEqual(sets);
  });
});

describe('every refit uses the penalty', () => {
  it('the expanding fit equals a from-scratch penalised fit on each window, for ridge and lasso', () => {
    const n = 120;
    const a = Float64Array.from({ length: n }, (_, i) => 10 + Math.sin(i / 3) + i / 50);
    const b = Float64Array.from({ length: n }, (_, i) => 2 * a[i] + Math.cos(i * 1.7));
    const y = Float64Array.from({ length: n }, (_, i) => a[i] - 0.2 * b[i] + ((i * 7) % 5) / 10);
    for (const regularisation of [{ regParam: 0.1, elasticNetParam: 0 }, { regParam: 0.02, elasticNetParam: 1 }]) {
      const fit = new ExpandingFit([a, b], y, undefined, regularisation);
      for (const end of [40, 41, 80, 120]) {
        fit.extendTo(end);
        const expanding = fit.solve();
        const scratchFit = fitWeightedLeastSquares([a.subarray(0, end), b.subarray(0, end)], y.subarray(0, end), undefined, regularisation);
        expect(expanding.solver).toBe(regularisation.elasticNetParam === 0 ? 'cholesky' : 'owlqn');
        expect(Array.from(expanding.coefficients)).toEqual(Array.from(scratchFit.coefficients));
        expect(expanding.intercept).toBe(scratchFit.intercept);
      }
    }
  });
});

describe('the built-in candidates', () => {
  it('are the ladder, then its widest rung with a ridge and with a lasso penalty', () => {
    const ladder = builtInLadder();
    const candidates = builtInCandidates();
    expect(candidates.slice(0, ladder.length)).toEqual(ladder);
    const widest = ladder[ladder.length - 1];
    expect(candidates.slice(ladder.length).map((s) => [s.name, s.spec, s.regularisation])).toEqual([
      [`${widest.name}+ridge`, widest.spec, LADDER_PENALTIES.ridge],
      [`${widest.name}+lasso`, widest.spec, LADDER_PENALTIES.lasso],
    ]);
    expect(LADDER_PENALTIES.ridge.elasticNetParam).toBe(0);
    expect(LADDER_PENALTIES.lasso.elasticNetParam).toBe(1);
  });
});

describe('pricecast experiment with penalties', () => {
  it('--reg-param expands the sets; the penalised forecasts differ from the plain ones; results.json records λ and α', async () => {
    const out = join(scratch.dir, 'grid');
    const run = await runCli([
      'experiment', '--input', REAL, '--set', 'base=price,volume,marketCap,rsi', '--set', 'own=price,rsi;regParam=0.05;elasticNet=1',
      '--reg-param', '0,0.1', '--elastic-net', '1', '--refit-every', '20', '--output', out, '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const results = JSON.parse(run.stdout);
    const names = results.sets.map((s: { name: string }) => s.name);
    expect(names).toEqual(['persistence', 'base[regParam=0]', 'base[regParam=0.1,elasticNet=1]', 'own[regParam=0]', 'own[regParam=0.1,elasticNet=1]']);
    const rmse = (name: string) => results.sets.find((s: { name: string }) => s.name === name).metrics.rmse;
    expect(rmse('base[regParam=0.1,elasticNet=1]')).not.toBe(rmse('base[regParam=0]'));
    const penalised = results.sets.find((s: { name: string }) => s.name === 'base[regParam=0.1,elasticNet=1]');
    expect([penalised.regParam, penalised.elasticNet]).toEqual([0.1, 1]);
    expect(JSON.parse(await readFile(join(out, 'results.json'), 'utf8')).sets[2].regParam).toBe(0.1);
  }, 180_000);

  it('bad grids and bad set values: exit 2, one line, nothing written', async () => {
    for (const args of [
      ['--reg-param', '0,-1'],
      ['--reg-param', '0,inf'],
      ['--elastic-net', '0.5,1.5'],
      ['--reg-param', '0.1,0.1'],
      ['--set', 'x=price;regParam=-2'],
    ]) {
      const out = join(scratch.dir, `bad-${args.join('')}`);
      const run = await runCli(['experiment', '--input', REAL, ...(args[0] === '--set' ? [] : ['--set', 'p=price']), ...args, '--output', out]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr.trimEnd().split('\n'), run.stderr).toHaveLength(1);
      expect(run.stderr).toMatch(args[0] === '--set' ? /regParam/ : new RegExp(args[0]));
      expect(existsSync(out)).toBe(false);
    }
  }, 120_000);
});
