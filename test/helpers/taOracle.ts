/**
 * What the two comparisons against Python `ta` share (test/engine/features/indicators.test.ts for the
 * functions of close and volume, ohlc.test.ts for those of high and low): the JSON wire format of
 * floats, one run of test/py/ta_indicators.py, and the per-row comparison with its 1e-12 tolerance.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Indicator } from '../../src/engine/features/indicators/catalogue.js';
import { relativeDifference } from '../../src/parity/compare.js';
import { ROOT } from './cli.js';

/** Finite values equal or within this relative difference (NaN and ±inf in the same places). */
export const TOLERANCE = 1e-12;

/** A float as JSON carries it: NaN and ±inf as strings. */
export type Wire = number | 'nan' | 'inf' | '-inf';
export type ArgValues = Record<string, number | boolean>;

export interface IndicatorCase {
  id: string;
  indicator: Indicator;
  series: string;
  /** Only the arguments set explicitly: ta gets its own defaults for the rest. */
  overrides: ArgValues;
}

/** Every indicator on every series, with ta's defaults ({}) and then each of its non-default argument sets. */
export function variantCases(indicators: readonly Indicator[], series: readonly string[], variants: Record<string, ArgValues[]>): IndicatorCase[] {
  return indicators.flatMap((indicator) =>
    series.flatMap((name) =>
      [{}, ...(variants[indicator.name] ?? [])].map((overrides) => ({
        id: `${indicator.name} ${name} ${JSON.stringify(overrides)}`,
        indicator,
        series: name,
        overrides,
      })),
    ),
  );
}

export const toWire = (x: ArrayLike<number>): Wire[] =>
  Array.from(x, (v) => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v));
export const fromWire = (x: Wire[]): Float64Array =>
  Float64Array.from(x, (v) => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v));

/** The overrides over the indicator's defaults: every argument set. */
export function completeArgs(indicator: Indicator, overrides: ArgValues): ArgValues {
  return Object.fromEntries(indicator.args.map((arg) => [arg.name, overrides[arg.name] ?? arg.default]));
}

export interface Comparison {
  values: number;
  identical: number;
  maxRel: number;
  /** Rows where ta gave NaN, and ±inf. */
  nan: number;
  inf: number;
  problems: string[];
}

/**
 * The engine's values against ta's, row by row: equal (NaN to NaN, either zero to either zero) counts as
 * identical; otherwise both finite and within TOLERANCE, or within absoluteFloor[i] where given.
 */
export function compare(mine: Float64Array, ref: Float64Array, absoluteFloor?: Float64Array): Comparison {
  const result: Comparison = { values: ref.length, identical: 0, maxRel: 0, nan: 0, inf: 0, problems: [] };
  if (mine.length !== ref.length) {
    result.problems.push(`length ${mine.length} vs ta ${ref.length}`);
    return result;
  }
  for (let i = 0; i < ref.length; i++) {
    const a = mine[i];
    const b = ref[i];
    if (Number.isNaN(b)) result.nan++;
    else if (!Number.isFinite(b)) result.inf++;
    if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)) || (a === 0 && b === 0)) {
      result.identical++;
      continue;
    }
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      result.problems.push(`row ${i}: ${a} vs ${b}`);
      continue;
    }
    const rel = relativeDifference(a, b);
    result.maxRel = Math.max(result.maxRel, rel);
    if (rel > TOLERANCE && !(absoluteFloor && Math.abs(a - b) <= absoluteFloor[i])) result.problems.push(`row ${i}: ${a} vs ${b} (relative ${rel.toExponential(2)})`);
  }
  return result;
}

/** One run of test/py/ta_indicators.py: the request as JSON on stdin, its answer from stdout. */
export function runTaPython(python: string, env: NodeJS.ProcessEnv, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [join(ROOT, 'test', 'py', 'ta_indicators.py')], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`ta_indicators.py exited ${code}: ${stderr}`))));
    child.stdin.end(input);
  });
}
