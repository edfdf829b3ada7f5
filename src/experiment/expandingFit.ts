/**
 * The Spark WLS fit (docs/fit.md) of an expanding window, kept as running sums so a refit costs
 * one solve instead of a pass over every row so far.
 *
 * The sums are Spark's `WeightedLeastSquares.Aggregator` fields with unit weights, accumulated row by
 * row in the order `fitWeightedLeastSquares` (src/engine/model/wls.ts) adds them, then solved by the same
 * solve (`WlsWorkspace`):
 *   wSum += 1;  bSum += b;  bbSum += b·b;  aSum_j += a_j;  abSum_j = fma(b, a_j, abSum_j);
 *   aaSum_ij += a_i · a_j  (packed upper, BLAS dspr).
 * Rows are added in date order, exactly once, so after rows 0 … s−1 the sums are bit for bit those a
 * from-scratch fit on rows 0 … s−1 forms, and so is the solution (test/experiment/expandingFit.test.ts checks
 * every refit of a walk-forward against a from-scratch engine fit).
 *
 * Several sets of one series share their sums (`ExpandingSums`): each sum above involves one or two
 * columns and the label and nothing else, so it is the same number in every set holding those columns,
 * and is formed once, over the distinct columns and the pairs some set needs; a set's sums are
 * gathered from them at each refit. (dspr skips a column's products when its value is 0; adding the
 * product ±0 instead leaves a sum unchanged, as no sum of finite values started at +0 is ever −0, and a
 * non-finite value makes its own Σ a_j² non-finite either way, which the solve refuses first. So the
 * shared sums add every product.)
 */
import { fma } from '../engine/model/fma.js';
import { packedUpper } from '../engine/model/lapack.js';
import { NO_REGULARISATION, WlsWorkspace, type Regularisation, type WlsSolution, type WlsSums } from '../engine/model/wls.js';

/** The running sums of one series over distinct columns, for any sets of those columns. */
export class ExpandingSums {
  private rows = 0;
  private wSum = 0;
  private bSum = 0;
  private bbSum = 0;
  private readonly aSum: Float64Array;
  private readonly abSum: Float64Array;
  /** Σ a_first[p] · a_second[p] for each pair p some set needs (diagonals included). */
  private readonly pairSum: Float64Array;
  private readonly first: Int32Array;
  private readonly second: Int32Array;
  /** The pairs are every (i, j), i ≤ j, in packed order (one set, or sets nested in column order): a plain loop. */
  private readonly triangle: boolean;
  /** Per set: its columns (set order), and the pair of each of its packed entries. */
  private readonly layouts: { columns: Int32Array; pairs: Int32Array }[];
  private readonly row: Float64Array;

  /**
   * @param columns the distinct feature columns of the whole series; @param label its label column
   * @param sets each set's columns, as indices into `columns`, in the set's order
   */
  constructor(
    private readonly columns: readonly Float64Array[],
    private readonly label: Float64Array,
    sets: readonly (readonly number[])[],
  ) {
    const m = columns.length;
    const pairOf = new Map<number, number>();
    const first: number[] = [];
    const second: number[] = [];
    this.layouts = sets.map((set) => {
      const pairs = new Int32Array((set.length * (set.length + 1)) / 2);
      for (let j = 0; j < set.length; j++) {
        for (let i = 0; i <= j; i++) {
          const lo = Math.min(set[i], set[j]);
          const hi = Math.max(set[i], set[j]);
          const key = lo * m + hi;
          let p = pairOf.get(key);
          if (p === undefined) {
            p = first.length;
            pairOf.set(key, p);
            first.push(lo);
            second.push(hi);
          }
          pairs[packedUpper(i, j)] = p;
        }
      }
      return { columns: Int32Array.from(set), pairs };
    });
    this.first = Int32Array.from(first);
    this.triangle = first.length === (m * (m + 1)) / 2 && first.every((lo, p) => p === packedUpper(lo, second[p]));
    this.second = Int32Array.from(second);
    this.pairSum = new Float64Array(first.length);
    this.aSum = new Float64Array(m);
    this.abSum = new Float64Array(m);
    this.row = new Float64Array(m);
  }

  /** Rows summed so far (the window is rows 0 … rowCount − 1). */
  get rowCount(): number {
    return this.rows;
  }

  /** Extends the window to rows 0 … end − 1. */
  extendTo(end: number): void {
    const { columns, label, aSum, abSum, pairSum, first, second, row } = this;
    const m = columns.length;
    const pairs = pairSum.length;
    // The scalar sums kept in locals.
    let { wSum, bSum, bbSum } = this;
    for (let r = this.rows; r < end; r++) {
      const b = label[r];
      wSum += 1.0;
      bSum += b;
      bbSum += b * b;
      for (let c = 0; c < m; c++) {
        const x = columns[c][r];
        row[c] = x;
        aSum[c] += x;
        abSum[c] = fma(b, x, abSum[c]);
      }
      if (this.triangle) {
        for (let j = 0, p = 0; j < m; j++) {
          const xj = row[j];
          for (let i = 0; i <= j; i++, p++) pairSum[p] += row[i] * xj;
        }
      } else {
        for (let p = 0; p < pairs; p++) pairSum[p] += row[first[p]] * row[second[p]];
      }
    }
    this.wSum = wSum;
    this.bSum = bSum;
    this.bbSum = bbSum;
    this.rows = Math.max(this.rows, end);
  }

  /** Set `set`'s sums over the current window, written into `into` (arrays of the set's size). */
  gather(set: number, into: WlsSums): void {
    const { columns, pairs } = this.layouts[set];
    into.wSum = this.wSum;
    into.bSum = this.bSum;
    into.bbSum = this.bbSum;
    for (let j = 0; j < columns.length; j++) {
      into.aSum[j] = this.aSum[columns[j]];
      into.abSum[j] = this.abSum[columns[j]];
    }
    for (let p = 0; p < pairs.length; p++) into.aaSum[p] = this.pairSum[pairs[p]];
  }
}

/** One set's refits on shared sums: its gathered sums and its solve's workspace, allocated once. */
export class SetRefit {
  private readonly sums: WlsSums;
  private readonly workspace: WlsWorkspace;

  /**
   * @param set the set's index in `sums`; @param k its feature count
   * @param featureNames the columns' names, for the message when the sums overflow
   * @param regularisation λ and α of every refit (docs/regularisation.md): ridge stays a solve on
   *   these sums; an L1 part runs OWL-QN on them at each refit
   */
  constructor(
    private readonly shared: ExpandingSums,
    private readonly set: number,
    k: number,
    featureNames?: readonly string[],
    regularisation: Regularisation = NO_REGULARISATION,
  ) {
    this.sums = { wSum: 0, bSum: 0, bbSum: 0, aSum: new Float64Array(k), abSum: new Float64Array(k), aaSum: new Float64Array((k * (k + 1)) / 2) };
    this.workspace = new WlsWorkspace(k, featureNames, regularisation);
  }

  /**
   * The fit on the shared sums' current window, in the workspace the next refit overwrites: the
   * engine's solve (standardise, penalise, Cholesky, fallback or OWL-QN, scale back) without the
   * inverse no walk-forward reads.
   */
  refit(): WlsWorkspace {
    if (this.shared.rowCount === 0) throw new Error('Training dataset is empty.');
    this.shared.gather(this.set, this.sums);
    return this.workspace.solve(this.sums);
  }
}

/** One set's expanding fit on its own sums. */
export class ExpandingFit {
  private readonly sums: ExpandingSums;
  private readonly fit: SetRefit;

  /**
   * @param features the feature columns of the whole series; @param label its label column
   * @param featureNames the columns' names, for the message when the sums overflow
   * @param regularisation λ and α of every refit (docs/regularisation.md)
   */
  constructor(features: readonly Float64Array[], label: Float64Array, featureNames?: readonly string[], regularisation: Regularisation = NO_REGULARISATION) {
    this.sums = new ExpandingSums(features, label, [features.map((_, j) => j)]);
    this.fit = new SetRefit(this.sums, 0, features.length, featureNames, regularisation);
  }

  /** Rows fitted so far (the window is rows 0 … rowCount − 1). */
  get rowCount(): number {
    return this.sums.rowCount;
  }

  /** Extends the window to rows 0 … end − 1. */
  extendTo(end: number): void {
    this.sums.extendTo(end);
  }

  /** The fit on the current window, in a workspace the next refit overwrites. */
  refit(): WlsWorkspace {
    return this.fit.refit();
  }

  /** `refit` as a solution of its own (no `diagInvAtWA`). */
  solve(): WlsSolution {
    return this.refit().solution();
  }
}
