/**
 * The high/low features through the CLI: an input without open/high/low refused in one line naming the
 * item and the layout (nothing written); the psar rows counted in the summary and _model.json;
 * `pricecast features` listing the functions with their inputs; the experiment's high/low rung.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateOhlc, ohlcCsv } from '../../../fixtures/ohlc.js';
import { findIndicator, INDICATORS, NEEDS_HIGH_LOW, needsHighLow } from '../../../src/engine/features/indicators/catalogue.js';
import { builtInLadder, LADDER_FAMILIES } from '../../../src/experiment/ladder.js';
import { runCli } from '../../helpers/cli.js';
import { DEFAULT_CSV } from '../../helpers/datasets.js';
import { useScratchFolder } from '../../helpers/scratch.js';

const scratch = useScratchFolder('ohlc-cli');

describe('a high/low item on an input without high and low', () => {
  it('exit 2, one line naming the item and the layout, nothing written, an earlier output intact', async () => {
    const earlier = join(scratch.dir, 'earlier');
    expect((await runCli(['predict', '--input', DEFAULT_CSV, '--output', earlier])).code).toBe(0);
    const before = readdirSync(earlier).sort();
    const fresh = join(scratch.dir, 'never');
    const cases: Array<[string, string]> = [
      ['price,average_true_range', 'average_true_range(window=14): it needs high and low prices'],
      ['price,stoch(window=5)', 'stoch(window=5,smooth_window=3): it needs high and low prices'],
      ['price,high', "high: it needs the day's high price"],
    ];
    for (const [spec, says] of cases) {
      for (const target of [earlier, fresh]) {
        const run = await runCli(['predict', '--input', DEFAULT_CSV, '--output', target, '--features', spec]);
        expect(run.code, spec).toBe(2);
        expect(run.stdout).toBe('');
        expect(run.stderr).toBe(
          `pricecast: ${DEFAULT_CSV}:1: expected an input with open, high and low for ${says}, which this input (pricecast layout) does not have\n`,
        );
      }
    }
    expect(existsSync(fresh)).toBe(false);
    expect(readdirSync(earlier).sort()).toEqual(before);
  }, 120_000);

  it('names the vendor layout (CoinGecko has no open, high or low)', async () => {
    const lines = ['snapped_at,price,market_cap,total_volume'];
    for (let d = 1; d <= 60; d++) lines.push(`2020-01-${String(((d - 1) % 28) + 1).padStart(2, '0')} 00:00:00 UTC,${1 + d / 100},${1e9 + d},${1e7 + d}`);
    const file = await scratch.file(`${lines.slice(0, 29).join('\n')}\n`, 'coingecko.csv');
    const run = await runCli(['predict', '--input', file, '--features', 'price,williams_r']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/expected an input with open, high and low for williams_r\(lbp=14\): it needs high and low prices, which this input \(coingecko layout\) does not have\n$/);
    expect(run.stderr.split('\n')).toHaveLength(2);
  }, 60_000);
});

describe('predict on an OHLC input', () => {
  it('runs every high/low function and open/high/low; the summary and _model.json count the psar rows', async () => {
    const file = await scratch.file(ohlcCsv(generateOhlc(2000, 21)), 'ohlc.csv');
    const run = async (spec: string) => {
      const out = join(scratch.dir, `out-${spec.length}-${spec.split(',').length}`);
      const result = await runCli(['predict', '--input', file, '--output', out, '--features', spec]);
      expect(result.stderr, spec).toBe('');
      expect(result.code, spec).toBe(0);
      return { stdout: result.stdout, report: JSON.parse(readFileSync(join(out, '_model.json'), 'utf8')) };
    };
    // Every function but the two half-NaN sides together (they would leave no row), plus the columns.
    const all = NEEDS_HIGH_LOW.filter((name) => name !== 'psar_down');
    const everything = await run(['price', 'open', 'high', 'low', ...all].join(','));
    expect(everything.report.features).toEqual(['price', 'open', 'high', 'low', ...all]);
    expect(everything.report.rows.droppedForPsar).toBeGreaterThan(0);

    // psar_up's NaN rows beyond the rsi warm-up: the rows the base spec keeps and this one loses.
    const base = await run('price,rsi');
    const withPsar = await run('price,rsi,psar_up');
    const dropped = withPsar.report.rows.droppedForPsar;
    expect(base.report.rows.droppedForPsar).toBe(0);
    expect(dropped).toBe(base.report.rows.afterDropNulls - withPsar.report.rows.afterDropNulls);
    expect(dropped).toBeGreaterThan(2000 * 0.2);
    expect(withPsar.stdout).toContain(`psar rows dropped     ${dropped} (psar_up/psar_down are NaN by design on the other trend's days)`);
    expect(base.stdout).not.toContain('psar rows');
  }, 180_000);
});

describe('pricecast features', () => {
  it('lists the high/low functions with their inputs and arguments', async () => {
    const text = await runCli(['features']);
    expect(text.code).toBe(0);
    for (const indicator of INDICATORS) {
      expect(text.stdout).toMatch(new RegExp(`^  ${indicator.name} +${indicator.inputs.join('\\+')} `, 'm'));
    }
    expect(text.stdout).toMatch(/^  average_true_range +high\+low\+close /m);
    expect(text.stdout).toMatch(/^  high +the day's high/m);
    expect(text.stdout).toMatch(/original_version=true \(bool\)/);
    const json = JSON.parse((await runCli(['features', '--json'])).stdout);
    const atr = json.functions.find((f: { name: string }) => f.name === 'keltner_channel_wband');
    expect(atr.inputs).toEqual(['high', 'low', 'close']);
    expect(atr.item).toBe('keltner_channel_wband(window=20,window_atr=10,original_version=true)');
    expect(json.inputs.map((i: { name: string }) => i.name)).toEqual(['price', 'volume', 'marketCap', 'open', 'high', 'low']);
    expect(json.needsHighLow).toHaveLength(41);
  }, 60_000);
});

describe("the experiment's built-in ladder", () => {
  it('gains a high/low rung (all but psar_up/psar_down) only when asked', () => {
    const plain = builtInLadder();
    expect(plain.map((s) => s.name).at(-1)).toBe(['base', ...LADDER_FAMILIES].join('+'));
    expect(plain.flatMap((s) => s.items).some((item) => findIndicator(item.fn) !== undefined && needsHighLow(findIndicator(item.fn)!))).toBe(false);
    const ladder = builtInLadder({ highLow: true });
    expect(ladder.slice(0, -1)).toEqual(plain);
    const last = ladder.at(-1)!;
    expect(last.name).toBe(`${plain.at(-1)!.name}+highlow`);
    const added = last.items.slice(plain.at(-1)!.items.length).map((item) => item.fn);
    expect(added).toEqual(NEEDS_HIGH_LOW.filter((name) => name !== 'psar_up' && name !== 'psar_down'));
  });

  it('runs it on an input with open, high and low', async () => {
    const file = await scratch.file(ohlcCsv(generateOhlc(500, 9)), 'ladder.csv');
    const out = join(scratch.dir, 'ladder-out');
    const run = await runCli(['experiment', '--input', file, '--refit-every', '50', '--output', out, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const names = JSON.parse(run.stdout).sets.map((s: { name: string }) => s.name);
    expect(names).toContain(['base', ...LADDER_FAMILIES, 'highlow'].join('+'));
  }, 180_000);
});
