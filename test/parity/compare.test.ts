import { describe, expect, it } from 'vitest';
import { compareOutputs, formatParityReport, relativeDifference } from '../../src/parity/compare.js';
import type { ModelReport, PredictionColumns } from '../../src/engine/types.js';

function predictions(days: number[], scale = 1): PredictionColumns {
  const f = (g: (i: number) => number) => Float64Array.from(days, (_, i) => g(i));
  return {
    day: Int32Array.from(days),
    price: f((i) => 1 + i),
    volume: f((i) => 1e6 + i),
    marketCap: f((i) => 1e9 + i),
    rsi: f((i) => 40 + i),
    nextPrice: f((i) => 2 + i),
    prediction: f((i) => (2.5 + i) * scale),
  };
}

function report(overrides: Partial<ModelReport['model']> = {}): ModelReport {
  return {
    tool: 'pricecast',
    engine: 'typescript',
    input: { file: 'x.csv', sha256: 'abc', rowsRead: 30, duplicateDatesCollapsed: { count: 0, first: [] } },
    seed: 42,
    split: 'random',
    trainRatio: 0.7,
    rows: { afterDedupe: 30, afterDropNulls: 16, train: 12, test: 4 },
    features: ['price', 'volume', 'marketCap', 'rsi'],
    model: { featureNames: ['price', 'volume', 'marketCap', 'rsi'], coefficients: [0.9, 1e-9, 2e-11, 0.01], intercept: 0.2, solver: 'cholesky', regParam: 0, elasticNetParam: 0, ...overrides },
    training: {
      numInstances: 12, degreesOfFreedom: 7,
      coefficientStandardErrors: [0.1, 1e-9, 1e-11, 0.001, 0.05],
      tValues: [9, 1, 2, 10, 4], pValues: [1e-5, 0.3, 0.08, 1e-6, 0.005],
      r2: 0.95, r2adj: 0.92, meanSquaredError: 0.01, rootMeanSquaredError: 0.1, meanAbsoluteError: 0.08, explainedVariance: 0.2,
    },
    test: { numInstances: 4, rootMeanSquaredError: 0.12, meanAbsoluteError: 0.1, r2: 0.9 },
  };
}

describe('relativeDifference', () => {
  it('is |a-b| / max(|a|,|b|), 0 for equal values including zeros', () => {
    expect(relativeDifference(100, 101)).toBeCloseTo(1 / 101, 15);
    expect(relativeDifference(0, 0)).toBe(0);
    expect(relativeDifference(-2, 2)).toBe(2);
  });
});

describe('compareOutputs', () => {
  it('passes identical outputs', () => {
    const r = compareOutputs({ predictions: predictions([1, 2, 3, 4]), report: report() }, { predictions: predictions([1, 2, 3, 4]), report: { ...report(), engine: 'pyspark' } });
    expect(r.ok).toBe(true);
    expect(r.sameTestRows).toBe(true);
    expect(formatParityReport(r)).toMatch(/^parity: OK/);
  });
  it('fails on a different test-row set and names the dates', () => {
    const r = compareOutputs({ predictions: predictions([1, 2, 3, 4]), report: report() }, { predictions: predictions([1, 2, 3, 5]), report: report() });
    expect(r.ok).toBe(false);
    expect(r.onlyInEngine).toEqual(['1970-01-05']);
    expect(r.onlyInSpark).toEqual(['1970-01-06']);
  });
  it('fails a prediction difference above 1e-9 relative and passes one below', () => {
    const engine = { predictions: predictions([1, 2, 3]), report: report() };
    const far = compareOutputs(engine, { predictions: predictions([1, 2, 3], 1 + 1e-8), report: report() });
    expect(far.ok).toBe(false);
    expect(far.columns.find((d) => d.name === 'prediction')?.ok).toBe(false);
    const near = compareOutputs(engine, { predictions: predictions([1, 2, 3], 1 + 1e-11), report: report() });
    expect(near.ok).toBe(true);
  });
  it('fails when statistics are available on one side only', () => {
    const other = report();
    other.training = { ...other.training, coefficientStandardErrors: null, tValues: null, pValues: null };
    const r = compareOutputs({ predictions: predictions([1]), report: report() }, { predictions: predictions([1]), report: other });
    expect(r.ok).toBe(false);
    expect(r.model.find((d) => d.name === 'training.pValues')?.problem).toMatch(/spark only/);
  });
  it('allows tiny p-values to differ by less than 1e-12 absolute', () => {
    const a = report();
    const b = report();
    a.training = { ...a.training, pValues: [3e-15, 0.3, 0.08, 1e-6, 0.005] };
    b.training = { ...b.training, pValues: [4e-15, 0.3, 0.08, 1e-6, 0.005] };
    expect(compareOutputs({ predictions: predictions([1]), report: a }, { predictions: predictions([1]), report: b }).ok).toBe(true);
  });
  it('loosens the fit tolerance when a solver fell back, and says so', () => {
    const spark = report({ coefficients: [0.9 * (1 + 1e-7), 1e-9, 0, 0.01], solver: 'fallback' });
    const engine = report({ coefficients: [0.9, 1e-9, 0, 0.01], solver: 'fallback' });
    const r = compareOutputs({ predictions: predictions([1]), report: engine }, { predictions: predictions([1]), report: spark });
    expect(r.model.find((d) => d.name === 'coefficients')?.ok).toBe(true);
    expect(r.notes.join()).toMatch(/L-BFGS/);
  });
  it('OWL-QN (an L1 penalty): 1e-6, but a coefficient zero on one side must be exactly zero on the other; λ and α exactly', () => {
    const penalised = { solver: 'owlqn' as const, regParam: 0.05, elasticNetParam: 1 };
    const engine = report({ ...penalised, coefficients: [0.9, 0, 0, 0.01] });
    const close = report({ ...penalised, coefficients: [0.9 * (1 + 5e-7), 0, 0, 0.01] });
    const pair = (spark: ModelReport) => compareOutputs({ predictions: predictions([1]), report: engine }, { predictions: predictions([1]), report: spark });
    expect(pair(close).ok).toBe(true);
    expect(pair(close).model.find((d) => d.name === 'coefficients')?.tolerance).toBe(1e-6);
    // A tiny nonzero where the other side has an exact 0: the zero-pattern row names that failure.
    const notZero = pair(report({ ...penalised, coefficients: [0.9, 1e-300, 0, 0.01] }));
    expect(notZero.model.find((d) => d.name === 'coefficients that are 0')?.ok).toBe(false);
    expect(notZero.ok).toBe(false);
    expect(pair(report({ ...penalised, regParam: 0.5, coefficients: [0.9, 0, 0, 0.01] })).ok).toBe(false);
  });
});

describe('compareOutputs with other feature specs (docs/features.md#feature-specs)', () => {
  /** Test rows with the columns price, macd_diff and rsi_window_9; `nudge` scales macd_diff. */
  function mixed(nudge = 1): { predictions: PredictionColumns; report: ModelReport } {
    const p = predictions([1, 2, 3]);
    const columns = ['price', 'macd_diff', 'rsi_window_9'];
    const r = report({ featureNames: columns, coefficients: [0.9, 0.1, 0.01] });
    r.features = columns;
    r.training = { ...r.training, coefficientStandardErrors: [0.1, 0.2, 0.3, 0.4], tValues: [1, 2, 3, 4], pValues: [0.1, 0.2, 0.3, 0.4] };
    return {
      predictions: {
        day: p.day,
        price: p.price,
        macd_diff: Float64Array.from([-0.012345678901234, 0.5, 3.25], (v) => v * nudge),
        rsi_window_9: Float64Array.of(40, 50, 60),
        nextPrice: p.nextPrice,
        prediction: p.prediction,
      },
      report: r,
    };
  }

  it('compares every listed feature column, in spec order, with the indicator tolerance', () => {
    const r = compareOutputs(mixed(), mixed());
    expect(r.ok).toBe(true);
    expect(r.columns.map((d) => [d.name, d.tolerance])).toEqual([
      ['price', 0], ['macd_diff', 1e-12], ['rsi_window_9', 1e-12], ['next_price', 0], ['prediction', 1e-9],
    ]);
  });

  it('an indicator column 1e-11 off (relative) fails; 1e-13 passes', () => {
    expect(compareOutputs(mixed(), mixed(1 + 1e-11)).columns.find((d) => d.name === 'macd_diff')?.ok).toBe(false);
    expect(compareOutputs(mixed(), mixed(1 + 1e-11)).ok).toBe(false);
    expect(compareOutputs(mixed(), mixed(1 + 1e-13)).ok).toBe(true);
  });

  it('fails when the two outputs list different feature columns, and says which', () => {
    const other = mixed();
    other.report.features = ['price', 'macd_diff', 'rsi'];
    const r = compareOutputs(mixed(), other);
    expect(r.ok).toBe(false);
    expect(r.notes.join()).toMatch(/feature columns differ: engine \[price, macd_diff, rsi_window_9\], spark \[price, macd_diff, rsi\]/);
  });

  it('a feature column missing from one output is a failure, not a crash', () => {
    const spark = mixed();
    delete (spark.predictions as Partial<PredictionColumns>).rsi_window_9;
    const r = compareOutputs(mixed(), spark);
    expect(r.ok).toBe(false);
    expect(r.columns.find((d) => d.name === 'rsi_window_9')?.problem).toBe('no such column in the spark output');
  });
});
