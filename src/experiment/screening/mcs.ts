/**
 * Hansen, Lunde and Nason's model confidence set (docs/screening.md#mcs), methods R and max, as arch 8.0.0's
 * `MCS` computes them: models are eliminated one step at a time (R: the row of the first pair at the
 * largest standardised mean loss difference; max: every model at the largest standardised distance from the
 * set's mean loss), each step's raw p-value is the share of bootstrap maxima above the step's statistic, and
 * a model's MCS p-value is the running maximum of the raw p-values up to its elimination (the last one 1).
 */
import { bootstrapMeans, mean } from './bootstrapMeans.js';
import type { BootstrapIndices } from './indices.js';

export type McsMethod = 'R' | 'max';

export interface McsResult {
  /** Per model, in the given order: the smallest size at which it leaves the set. */
  pvalues: number[];
  /** Per model: in the set at the requested size (p-value > size). */
  included: boolean[];
}

/** Two models whose losses differ by the same amount every day: the R method's variance of that pair is 0. */
export function constantLossDifference(losses: readonly Float64Array[]): [number, number] | null {
  for (let i = 0; i < losses.length; i++) {
    for (let j = i + 1; j < losses.length; j++) {
      const a = losses[i];
      const b = losses[j];
      const first = a[0] - b[0];
      let constant = true;
      for (let t = 1; t < a.length && constant; t++) constant = a[t] - b[t] === first;
      if (constant) return [i, j];
    }
  }
  return null;
}

export function mcs(losses: readonly Float64Array[], indices: BootstrapIndices, size: number, method: McsMethod): McsResult {
  const eliminated = method === 'R' ? eliminateR(losses, indices) : eliminateMax(losses, indices);
  const pvalues = new Array<number>(losses.length).fill(1);
  let running = -Infinity;
  for (const step of eliminated) {
    running = Math.max(running, step.pvalue);
    for (const model of step.models) pvalues[model] = running;
  }
  return { pvalues, included: pvalues.map((p) => p > size) };
}

interface Elimination {
  models: number[];
  pvalue: number;
}

function eliminateR(losses: readonly Float64Array[], indices: BootstrapIndices): Elimination[] {
  const N = losses.length;
  const B = indices.reps;
  const meanLoss = losses.map(mean);
  const draws = bootstrapMeans(losses, indices);
  const diff = (i: number, j: number) => meanLoss[i] - meanLoss[j];
  // V_ij: mean square of the bootstrap deviations of D_ij, 1 on the diagonal (whose deviations are all 0).
  const sd = new Float64Array(N * N);
  for (let i = 0; i < N; i++) {
    sd[i * N + i] = 1;
    for (let j = i + 1; j < N; j++) {
      const d = diff(i, j);
      let squares = 0;
      for (let r = 0; r < B; r++) {
        const deviation = draws[r * N + i] - draws[r * N + j] - d;
        squares += deviation ** 2;
      }
      sd[i * N + j] = sd[j * N + i] = Math.sqrt(squares / B);
    }
  }
  const z = (r: number, i: number, j: number) => (draws[r * N + i] - draws[r * N + j] - diff(i, j)) / sd[i * N + j];

  // Per replication and row i: the largest z over the columns still in the set (the diagonal gives 0), and where.
  const inSet = new Array<boolean>(N).fill(true);
  const rowMax = new Float64Array(B * N);
  const rowArg = new Int32Array(B * N);
  const refreshRow = (r: number, i: number) => {
    let best = 0;
    let arg = i;
    for (let j = 0; j < N; j++) {
      if (j === i || !inSet[j]) continue;
      const value = z(r, i, j);
      if (value > best) {
        best = value;
        arg = j;
      }
    }
    rowMax[r * N + i] = best;
    rowArg[r * N + i] = arg;
  };
  for (let r = 0; r < B; r++) for (let i = 0; i < N; i++) refreshRow(r, i);

  const steps: Elimination[] = [];
  for (let remaining = N; remaining > 1; remaining--) {
    let statistic = -Infinity;
    let worst = -1;
    for (let i = 0; i < N; i++) {
      if (!inSet[i]) continue;
      for (let j = 0; j < N; j++) {
        if (!inSet[j]) continue;
        const value = diff(i, j) / sd[i * N + j];
        if (value > statistic) {
          statistic = value;
          worst = i;
        }
      }
    }
    let exceed = 0;
    for (let r = 0; r < B; r++) {
      let max = -Infinity;
      for (let i = 0; i < N; i++) if (inSet[i] && rowMax[r * N + i] > max) max = rowMax[r * N + i];
      if (statistic < max) exceed++;
    }
    steps.push({ models: [worst], pvalue: exceed / B });
    inSet[worst] = false;
    for (let r = 0; r < B; r++) {
      for (let i = 0; i < N; i++) if (inSet[i] && rowArg[r * N + i] === worst) refreshRow(r, i);
    }
  }
  return steps;
}

function eliminateMax(losses: readonly Float64Array[], indices: BootstrapIndices): Elimination[] {
  const N = losses.length;
  const B = indices.reps;
  const meanLoss = losses.map(mean);
  const errors = losses.map((column, i) => column.map((x) => x - meanLoss[i]));
  const draws = bootstrapMeans(errors, indices);
  for (let r = 0; r < B; r++) {
    const grand = numpyMean(draws.subarray(r * N, (r + 1) * N));
    for (let i = 0; i < N; i++) draws[r * N + i] -= grand;
  }
  const inSet = new Array<boolean>(N).fill(true);
  const steps: Elimination[] = [];
  let members = [...Array(N).keys()];
  const centred = new Float64Array(B * N);
  while (members.length > 1) {
    const m = members.length;
    const row = new Float64Array(m);
    for (let r = 0; r < B; r++) {
      for (let a = 0; a < m; a++) row[a] = draws[r * N + members[a]];
      const grand = numpyMean(row);
      for (let a = 0; a < m; a++) centred[r * m + a] = row[a] - grand;
    }
    const sd = new Float64Array(m);
    for (let a = 0; a < m; a++) {
      let squares = 0;
      for (let r = 0; r < B; r++) squares += centred[r * m + a] ** 2;
      sd[a] = Math.sqrt(squares / B);
    }
    const memberMeans = Float64Array.from(members, (i) => meanLoss[i]);
    const setMean = numpyMean(memberMeans);
    const tStats = memberMeans.map((x, a) => (x - setMean) / sd[a]);
    const statistic = Math.max(...tStats);
    let exceed = 0;
    for (let r = 0; r < B; r++) {
      let max = -Infinity;
      for (let a = 0; a < m; a++) {
        const value = centred[r * m + a] / sd[a];
        if (value > max) max = value;
      }
      if (statistic < max) exceed++;
    }
    const out = members.filter((_, a) => tStats[a] === statistic);
    steps.push({ models: out, pvalue: exceed / B });
    for (const i of out) inSet[i] = false;
    members = members.filter((i) => inSet[i]);
  }
  return steps;
}

/** numpy's mean of a contiguous vector: the first element plus a pairwise sum of the rest, divided by n. */
function numpyMean(x: Float64Array): number {
  return (x[0] + pairwiseSum(x, 1, x.length - 1)) / x.length;
}

function pairwiseSum(x: Float64Array, from: number, n: number): number {
  if (n < 8) {
    let sum = -0;
    for (let i = 0; i < n; i++) sum += x[from + i];
    return sum;
  }
  if (n <= 128) {
    const r = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => x[from + j]);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += x[from + i + j];
    let sum = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) sum += x[from + i];
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(x, from, half) + pairwiseSum(x, from + half, n - half);
}
