/**
 * The parity report: the engine's output against the PySpark job's, row by row and statistic by
 * statistic. Pure: two outputs in, a report out.
 *
 * Columns compared: `date` (the test-row set), every feature column the engine's _model.json lists
 * (`features`, in spec order; the two sides must list the same), `next_price` and `prediction`.
 *
 * Tolerances (docs/parity.md#tolerances): the input columns (price, volume, marketCap) and next_price exactly;
 * indicator columns (rsi and every other ta function) within 1e-12 relative; predictions, the fit and
 * its statistics within 1e-9 relative. Two
 * refinements, both because of how the numbers are defined, not to hide differences:
 * - p-values are `2 * (1 - cdf(|t|))`: the subtraction cancels, so near 0 the value carries only
 *   ~1e-16 absolute precision in either engine, and a 1e-12 relative change in t moves p by about
 *   t^2 * 1e-12 relative. They pass within 1e-9 relative OR 1e-12 absolute.
 * - When either side's solver is `fallback` (a constant feature, collinear features: Spark's L-BFGS,
 *   run step for step by both, stops at tolerance 1e-6), docs/fit.md#fallback-solver says parity holds only to ~1e-6: 1e-5 relative is used
 *   for the fit's numbers and the predictions, and the report says so.
 * - When either side's solver is `owlqn` (an L1 penalty): 1e-6, and a coefficient that is 0 on one
 *   side must be exactly 0 on the other (docs/regularisation.md#parity).
 */
import { formatDay } from '../engine/ingest/dates.js';
import { INPUT_FEATURES } from '../engine/features/spec.js';
import type { ModelReport, PredictionColumns } from '../engine/types.js';

export interface RunOutput {
  predictions: PredictionColumns;
  report: ModelReport;
}

export interface Difference {
  name: string;
  /** How many values were compared. */
  count: number;
  maxAbs: number;
  maxRel: number;
  /** The relative tolerance applied. */
  tolerance: number;
  /** The absolute floor applied (a difference at or below it passes whatever its relative size). */
  absoluteFloor: number;
  ok: boolean;
  /** Why it failed when it is not a numeric difference (null on one side only, lengths differ). */
  problem?: string;
}

export interface ParityReport {
  ok: boolean;
  sameTestRows: boolean;
  engineTestRows: number;
  sparkTestRows: number;
  /** Dates (YYYY-MM-DD) in one output's test rows and not the other's, at most 10 each. */
  onlyInEngine: string[];
  onlyInSpark: string[];
  columns: Difference[];
  model: Difference[];
  notes: string[];
  /**
   * A panel (docs/parity.md#panels): each asset's own comparison. The report's columns and model are
   * then every asset's, merged (the largest differences over the assets), and its counts are sums.
   */
  assets?: AssetParity[];
}

/** One asset of a panel compared: its one-series report, or the side it is missing from. */
export interface AssetParity {
  asset: string;
  ok: boolean;
  /** Fitted on both sides: the comparison; otherwise null and `problem` says where it is missing or why. */
  report: ParityReport | null;
  problem?: string;
}

/** Indicator columns: ta's arithmetic reproduced, so the values agree to the last bits or nearly. */
export const INDICATOR_TOLERANCE = 1e-12;
/** The name this tolerance had when RSI was the only indicator. */
export const RSI_TOLERANCE = INDICATOR_TOLERANCE;
export const DEFAULT_TOLERANCE = 1e-9;
export const FALLBACK_TOLERANCE = 1e-5;
/** Elastic net and lasso: both sides run OWL-QN to Spark's stopping rule (docs/regularisation.md#parity). */
export const OWLQN_TOLERANCE = 1e-6;
export const P_VALUE_ABSOLUTE_FLOOR = 1e-12;

export function compareOutputs(engine: RunOutput, spark: RunOutput): ParityReport {
  const notes: string[] = [];
  const fallback = engine.report.model.solver === 'fallback' || spark.report.model.solver === 'fallback';
  const owlqn = engine.report.model.solver === 'owlqn' || spark.report.model.solver === 'owlqn';
  const fitTolerance = fallback ? FALLBACK_TOLERANCE : owlqn ? OWLQN_TOLERANCE : DEFAULT_TOLERANCE;
  if (owlqn && !fallback) {
    notes.push(`an L1 penalty: both fits run OWL-QN to a tolerance of 1e-6; fit compared to ${OWLQN_TOLERANCE} relative, zero coefficients exactly`);
  }
  if (fallback) {
    notes.push(
      `a constant or collinear feature made Spark fall back to L-BFGS (tolerance 1e-6): fit compared to ${FALLBACK_TOLERANCE} relative`,
    );
  }

  // Test-row sets, by date (dates are unique after dedupe).
  const engineDays = engine.predictions.day;
  const sparkDays = spark.predictions.day;
  const sparkIndex = new Map<number, number>();
  sparkDays.forEach((day, i) => sparkIndex.set(day, i));
  const engineSet = new Set(engineDays);
  const onlyInEngine = Array.from(engineDays).filter((d) => !sparkIndex.has(d));
  const onlyInSpark = Array.from(sparkDays).filter((d) => !engineSet.has(d));
  const sameTestRows = onlyInEngine.length === 0 && onlyInSpark.length === 0 && engineDays.length === sparkDays.length;

  // Pair rows by date, so that a set difference does not also show up as every value differing.
  const pairs: Array<[number, number]> = [];
  engineDays.forEach((day, i) => {
    const j = sparkIndex.get(day);
    if (j !== undefined) pairs.push([i, j]);
  });
  const column = (name: string, a: Float64Array | Int32Array | undefined, b: Float64Array | Int32Array | undefined, tolerance: number): Difference => {
    if (a === undefined || b === undefined) {
      const where = a === undefined ? 'engine' : 'spark';
      return { name, count: 0, maxAbs: NaN, maxRel: NaN, tolerance, absoluteFloor: 0, ok: false, problem: `no such column in the ${where} output` };
    }
    return diffValues(
      name,
      pairs.map(([i]) => a[i]),
      pairs.map(([, j]) => b[j]),
      tolerance,
      0,
    );
  };
  const e = engine.predictions;
  const s = spark.predictions;
  const featureTolerance = (name: string) => ((INPUT_FEATURES as readonly string[]).includes(name) ? 0 : INDICATOR_TOLERANCE);
  const columns = [
    ...engine.report.features.map((name) => column(name, e[name], s[name], featureTolerance(name))),
    column('next_price', e.nextPrice, s.nextPrice, 0),
    column('prediction', e.prediction, s.prediction, fitTolerance),
  ];

  const er = engine.report;
  const sr = spark.report;
  const model: Difference[] = [];
  const add = (name: string, a: ArrayLike<number | null> | null, b: ArrayLike<number | null> | null, tolerance: number, floor = 0) =>
    model.push(diffNullable(name, a, b, tolerance, floor));
  const names = er.model.featureNames;
  add('coefficients', er.model.coefficients, sr.model.coefficients, fitTolerance);
  add('intercept', [er.model.intercept], [sr.model.intercept], fitTolerance);
  if (owlqn) {
    // The L1 penalty's exact zeros: a coefficient one side zeroes must be exactly 0 on the other.
    const zeros = (c: readonly (number | null)[]) => c.map((v) => (v === 0 ? 0 : 1));
    add('coefficients that are 0', zeros(er.model.coefficients), zeros(sr.model.coefficients), 0);
  }
  add('regParam, elasticNetParam', [er.model.regParam ?? 0, er.model.elasticNetParam ?? 0], [sr.model.regParam ?? 0, sr.model.elasticNetParam ?? 0], 0);
  const t = er.training;
  const u = sr.training;
  add('training.coefficientStandardErrors', t.coefficientStandardErrors, u.coefficientStandardErrors, fitTolerance);
  add('training.tValues', t.tValues, u.tValues, fitTolerance);
  add('training.pValues', t.pValues, u.pValues, fitTolerance, P_VALUE_ABSOLUTE_FLOOR);
  for (const key of ['r2', 'r2adj', 'meanSquaredError', 'rootMeanSquaredError', 'meanAbsoluteError', 'explainedVariance'] as const) {
    add(`training.${key}`, [t[key]], [u[key]], fitTolerance);
  }
  for (const key of ['rootMeanSquaredError', 'meanAbsoluteError', 'r2'] as const) {
    add(`test.${key}`, [er.test[key]], [sr.test[key]], fitTolerance);
  }
  add('rows', [er.rows.afterDedupe, er.rows.afterDropNulls, er.rows.train, er.rows.test], [sr.rows.afterDedupe, sr.rows.afterDropNulls, sr.rows.train, sr.rows.test], 0);
  add('training.degreesOfFreedom', [t.degreesOfFreedom], [u.degreesOfFreedom], 0);
  if (er.model.solver !== sr.model.solver) {
    notes.push(`solver differs: engine ${er.model.solver}, spark ${sr.model.solver}`);
  }
  if (er.input.sha256 !== sr.input.sha256) notes.push('the two runs read different input files (sha256 differs)');
  const collapsed = (r: ModelReport) => `${r.input.duplicateDatesCollapsed.count} [${r.input.duplicateDatesCollapsed.first.join(', ')}]`;
  const sameCollapsed = collapsed(er) === collapsed(sr);
  if (!sameCollapsed) notes.push(`collapsed dates differ: engine ${collapsed(er)}, spark ${collapsed(sr)}`);
  const sameFeatures = er.features.join() === sr.features.join() && names.join() === sr.model.featureNames.join();
  if (!sameFeatures) notes.push(`feature columns differ: engine [${er.features.join(', ')}], spark [${sr.features.join(', ')}]`);

  const ok =
    sameTestRows &&
    sameFeatures &&
    columns.every((d) => d.ok) &&
    model.every((d) => d.ok) &&
    er.model.solver === sr.model.solver &&
    er.input.sha256 === sr.input.sha256 &&
    sameCollapsed;

  return {
    ok,
    sameTestRows,
    engineTestRows: engineDays.length,
    sparkTestRows: sparkDays.length,
    onlyInEngine: onlyInEngine.slice(0, 10).map(formatDay),
    onlyInSpark: onlyInSpark.slice(0, 10).map(formatDay),
    columns,
    model,
    notes,
  };
}

/** Relative difference as |a - b| / max(|a|, |b|); 0 when equal (both 0 included). */
export function relativeDifference(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

function diffNullable(
  name: string,
  a: ArrayLike<number | null> | null,
  b: ArrayLike<number | null> | null,
  tolerance: number,
  absoluteFloor: number,
): Difference {
  if (a === null || b === null) {
    const same = a === b;
    return {
      name, count: 0, maxAbs: 0, maxRel: 0, tolerance, absoluteFloor, ok: same,
      ...(same ? {} : { problem: `unavailable in ${a === null ? 'engine' : 'spark'} only` }),
    };
  }
  if (a.length !== b.length) {
    return { name, count: 0, maxAbs: NaN, maxRel: NaN, tolerance, absoluteFloor, ok: false, problem: `lengths differ: ${a.length} vs ${b.length}` };
  }
  for (let i = 0; i < a.length; i++) {
    if ((a[i] === null) !== (b[i] === null)) {
      return { name, count: a.length, maxAbs: NaN, maxRel: NaN, tolerance, absoluteFloor, ok: false, problem: `null on one side only at index ${i}` };
    }
  }
  const av: number[] = [];
  const bv: number[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== null) {
      av.push(a[i] as number);
      bv.push(b[i] as number);
    }
  }
  return diffValues(name, av, bv, tolerance, absoluteFloor);
}

function diffValues(name: string, a: ArrayLike<number>, b: ArrayLike<number>, tolerance: number, absoluteFloor: number): Difference {
  let maxAbs = 0;
  let maxRel = 0;
  let ok = a.length === b.length;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (!(Number.isNaN(x) && Number.isNaN(y))) ok = false;
      continue;
    }
    const abs = x === y ? 0 : Math.abs(x - y);
    const rel = relativeDifference(x, y);
    if (abs > maxAbs) maxAbs = abs;
    if (rel > maxRel) maxRel = rel;
    if (!(rel <= tolerance || abs <= absoluteFloor)) ok = false;
  }
  return { name, count: a.length, maxAbs, maxRel, tolerance, absoluteFloor, ok };
}

/**
 * Two panels compared asset by asset (docs/parity.md#panels): the same assets fitted, the same assets
 * skipped for the same reason, the same input; each fitted asset as one series (compareOutputs).
 */
export function comparePanels(
  engine: { assets: readonly string[]; skipped: ReadonlyArray<{ asset: string; reason: string }>; sha256: string; output: (asset: string) => RunOutput | null },
  spark: { assets: readonly string[]; skipped: ReadonlyArray<{ asset: string; reason: string }>; sha256: string; output: (asset: string) => RunOutput | null },
): ParityReport {
  const notes: string[] = [];
  const names = [...new Set([...engine.assets, ...spark.assets])].sort();
  const assets: AssetParity[] = names.map((asset) => {
    const ours = engine.output(asset);
    const theirs = spark.output(asset);
    if (ours === null || theirs === null) {
      const problem = `fitted by ${ours === null ? 'spark' : 'the engine'} only`;
      notes.push(`asset ${asset}: ${problem}`);
      return { asset, ok: false, report: null, problem };
    }
    const report = compareOutputs(ours, theirs);
    for (const note of report.notes) notes.push(`asset ${asset}: ${note}`);
    return { asset, ok: report.ok, report };
  });
  const skippedText = (list: ReadonlyArray<{ asset: string; reason: string }>) => list.map((s) => `${s.asset} (${s.reason})`).join('; ');
  const sameSkipped = skippedText(engine.skipped) === skippedText(spark.skipped);
  if (!sameSkipped) notes.push(`skipped assets differ: engine [${skippedText(engine.skipped)}], spark [${skippedText(spark.skipped)}]`);
  if (engine.sha256 !== spark.sha256) notes.push('the two runs read different input files (sha256 differs)');
  const compared = assets.flatMap((a) => (a.report === null ? [] : [{ asset: a.asset, report: a.report }]));
  const merge = (pick: (r: ParityReport) => Difference[]): Difference[] => {
    const merged = new Map<string, Difference>();
    for (const { asset, report } of compared) {
      for (const d of pick(report)) {
        const seen = merged.get(d.name);
        if (seen === undefined) {
          merged.set(d.name, { ...d, ...(d.problem ? { problem: `asset ${asset}: ${d.problem}` } : {}) });
          continue;
        }
        seen.count += d.count;
        seen.maxAbs = Math.max(seen.maxAbs, d.maxAbs);
        seen.maxRel = Math.max(seen.maxRel, d.maxRel);
        seen.tolerance = Math.max(seen.tolerance, d.tolerance);
        if (!d.ok && seen.ok) seen.problem ??= d.problem ? `asset ${asset}: ${d.problem}` : undefined;
        seen.ok &&= d.ok;
      }
    }
    return [...merged.values()];
  };
  const dates = (list: string[], asset: string) => list.map((day) => `${asset} ${day}`);
  return {
    ok: assets.every((a) => a.ok) && sameSkipped && engine.sha256 === spark.sha256,
    sameTestRows: assets.every((a) => a.report?.sameTestRows === true),
    engineTestRows: compared.reduce((sum, a) => sum + a.report.engineTestRows, 0),
    sparkTestRows: compared.reduce((sum, a) => sum + a.report.sparkTestRows, 0),
    onlyInEngine: compared.flatMap((a) => dates(a.report.onlyInEngine, a.asset)).slice(0, 10),
    onlyInSpark: compared.flatMap((a) => dates(a.report.onlyInSpark, a.asset)).slice(0, 10),
    columns: merge((r) => r.columns),
    model: merge((r) => r.model),
    notes,
    assets,
  };
}

function sci(x: number): string {
  return x === 0 ? '0' : x.toExponential(2);
}

export function formatParityReport(report: ParityReport): string {
  const lines: string[] = [];
  lines.push(`parity: ${report.ok ? 'OK, within tolerance' : 'DIFFERENT, outside tolerance'}`);
  lines.push(
    `  test rows: engine ${report.engineTestRows}, spark ${report.sparkTestRows}, ` +
      (report.sameTestRows ? 'the same set' : 'NOT the same set'),
  );
  if (report.assets !== undefined) {
    const failed = report.assets.filter((a) => !a.ok);
    lines.push(
      `  assets: ${report.assets.length} compared, each as its own series` +
        (failed.length === 0 ? ', all within tolerance' : `; outside tolerance: ${failed.map((a) => a.asset).join(', ')}`),
    );
  }
  if (report.onlyInEngine.length) lines.push(`    only in engine: ${report.onlyInEngine.join(', ')}`);
  if (report.onlyInSpark.length) lines.push(`    only in spark: ${report.onlyInSpark.join(', ')}`);
  lines.push(`  ${'what'.padEnd(40)}${'max abs diff'.padStart(14)}${'max rel diff'.padStart(14)}${'tolerance'.padStart(11)}`);
  for (const d of [...report.columns, ...report.model]) {
    const mark = d.ok ? ' ' : '✗';
    const tol = d.tolerance === 0 ? 'exact' : d.tolerance.toExponential(0);
    const floor = d.absoluteFloor > 0 ? ` or ${d.absoluteFloor.toExponential(0)} abs` : '';
    const body = d.problem
      ? `  ${d.problem}`
      : `${sci(d.maxAbs).padStart(14)}${sci(d.maxRel).padStart(14)}${tol.padStart(11)}${floor}`;
    lines.push(`${mark} ${d.name.padEnd(40)}${body}`);
  }
  for (const note of report.notes) lines.push(`  note: ${note}`);
  return `${lines.join('\n')}\n`;
}
