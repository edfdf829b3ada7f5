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
  // D_ij = L̄_i − L̄_j; V_ij: mean square of the bootstrap deviations of D_ij, 1 on the diagonal (whose
  // deviations are all 0). Summed replication by replication, as numpy sums over the first axis.
  const diff = new Float64Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) diff[i * N + j] = meanLoss[i] - meanLoss[j];
  const squares = new Float64Array(N * N);
  for (let r = 0; r < B; r++) {
    const row = r * N;
    for (let i = 0; i < N; i++) {
      const bi = draws[row + i];
      const pair = i * N;
      for (let j = i + 1; j < N; j++) {
        const deviation = bi - draws[row + j] - diff[pair + j];
        squares[pair + j] += deviation * deviation;
      }
    }
  }
  const sd = new Float64Array(N * N);
  for (let i = 0; i < N; i++) {
    sd[i * N + i] = 1;
    for (let j = i + 1; j < N; j++) sd[i * N + j] = sd[j * N + i] = Math.sqrt(squares[i * N + j] / B);
  }

  // Per replication and row i: the largest z over the columns still in the set (the diagonal gives 0), and
  // where; per replication the largest over the rows, and which row. An elimination leaves a replication's
  // largest as it is when its pair survives (nothing else grew); otherwise the replication is rescanned,
  // recomputing the rows whose largest was in an eliminated column (a row's stale value only overstates it).
  const members = Int32Array.from({ length: N }, (_, i) => i);
  const inSet = new Uint8Array(N).fill(1);
  let m = N;
  const rowMax = new Float64Array(B * N);
  const rowArg = new Int32Array(B * N);
  // Every z_ij once: z_ji = −z_ij exactly (IEEE subtraction and division are sign-symmetric), so the pair's
  // value updates both rows.
  const repMax = new Float64Array(B);
  const repRow = new Int32Array(B);
  for (let r = 0; r < B; r++) {
    const row = r * N;
    for (let i = 0; i < N; i++) rowArg[row + i] = i;
    for (let i = 0; i < N; i++) {
      const bi = draws[row + i];
      const pair = i * N;
      let best = rowMax[row + i];
      let arg = rowArg[row + i];
      for (let j = i + 1; j < N; j++) {
        const value = (bi - draws[row + j] - diff[pair + j]) / sd[pair + j];
        if (value > best) {
          best = value;
          arg = j;
        }
        if (-value > rowMax[row + j]) {
          rowMax[row + j] = -value;
          rowArg[row + j] = i;
        }
      }
      rowMax[row + i] = best;
      rowArg[row + i] = arg;
    }
    let max = 0;
    let at = 0;
    for (let i = 0; i < N; i++) {
      if (rowMax[row + i] > max) {
        max = rowMax[row + i];
        at = i;
      }
    }
    repMax[r] = max;
    repRow[r] = at;
  }

  const steps: Elimination[] = [];
  while (m > 1) {
    // The statistic: max over the set's pairs of D_ij/√V_ij; the first maximising pair in row-major order names i.
    let statistic = -Infinity;
    let worst = -1;
    for (let a = 0; a < m; a++) {
      const i = members[a];
      for (let c = 0; c < m; c++) {
        const j = members[c];
        const value = diff[i * N + j] / sd[i * N + j];
        if (value > statistic) {
          statistic = value;
          worst = i;
        }
      }
    }
    let exceed = 0;
    for (let r = 0; r < B; r++) if (statistic < repMax[r]) exceed++;
    steps.push({ models: [worst], pvalue: exceed / B });
    let kept = 0;
    for (let a = 0; a < m; a++) if (members[a] !== worst) members[kept++] = members[a];
    m = kept;
    inSet[worst] = 0;
    for (let r = 0; r < B; r++) {
      const row = r * N;
      const top = repRow[r];
      if (inSet[top] === 1 && inSet[rowArg[row + top]] === 1) continue;
      let max = 0;
      let at = members[0];
      for (let a = 0; a < m; a++) {
        const i = members[a];
        if (inSet[rowArg[row + i]] === 0) {
          // Row i again, over the columns still in the set.
          const bi = draws[row + i];
          const pair = i * N;
          let best = 0;
          let arg = i;
          for (let c = 0; c < m; c++) {
            const j = members[c];
            const value = (bi - draws[row + j] - diff[pair + j]) / sd[pair + j];
            if (value > best) {
              best = value;
              arg = j;
            }
          }
          rowMax[row + i] = best;
          rowArg[row + i] = arg;
        }
        if (rowMax[row + i] > max) {
          max = rowMax[row + i];
          at = i;
        }
      }
      repMax[r] = max;
      repRow[r] = at;
    }
  }
  return steps;
}

function eliminateMax(losses: readonly Float64Array[], indices: BootstrapIndices): Elimination[] {
  const N = losses.length;
  const B = indices.reps;
  const meanLoss = losses.map(mean);
  const errors = losses.map((column, i) => column.map((x) => x - meanLoss[i]));
  const byReplication = bootstrapMeans(errors, indices);
  // Model-major copy (one model's B replication means contiguous), and per replication the sum over the
  // models still in the set, kept by subtracting each eliminated model. (arch first centres each
  // replication on the mean over all models; a shift that is the same for every model of a replication
  // cancels in the per-step centring below.)
  const draws = new Float64Array(N * B);
  const setSum = new Float64Array(B);
  for (let r = 0; r < B; r++) {
    for (let i = 0; i < N; i++) {
      const x = byReplication[r * N + i];
      draws[i * B + r] = x;
      setSum[r] += x;
    }
  }
  const steps: Elimination[] = [];
  let members = [...Array(N).keys()];
  const setMeanOf = new Float64Array(B);
  const maxima = new Float64Array(B);
  while (members.length > 1) {
    const m = members.length;
    for (let r = 0; r < B; r++) setMeanOf[r] = setSum[r] / m;
    // sd_i: root mean square over replications of the replication mean recentred on the set's mean.
    const sd = members.map((i) => {
      const column = draws.subarray(i * B, (i + 1) * B);
      let squares = 0;
      for (let r = 0; r < B; r++) {
        const c = column[r] - setMeanOf[r];
        squares += c * c;
      }
      return Math.sqrt(squares / B);
    });
    const memberMeans = Float64Array.from(members, (i) => meanLoss[i]);
    const setMean = numpyMean(memberMeans);
    const tStats = memberMeans.map((x, a) => (x - setMean) / sd[a]);
    const statistic = Math.max(...tStats);
    maxima.fill(-Infinity);
    members.forEach((i, a) => {
      const column = draws.subarray(i * B, (i + 1) * B);
      const s = sd[a];
      for (let r = 0; r < B; r++) {
        const value = (column[r] - setMeanOf[r]) / s;
        if (value > maxima[r]) maxima[r] = value;
      }
    });
    let exceed = 0;
    for (let r = 0; r < B; r++) if (statistic < maxima[r]) exceed++;
    const out = members.filter((_, a) => tStats[a] === statistic);
    steps.push({ models: out, pvalue: exceed / B });
    for (const i of out) for (let r = 0; r < B; r++) setSum[r] -= draws[i * B + r];
    members = members.filter((i) => !out.includes(i));
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
    let r0 = x[from], r1 = x[from + 1], r2 = x[from + 2], r3 = x[from + 3];
    let r4 = x[from + 4], r5 = x[from + 5], r6 = x[from + 6], r7 = x[from + 7];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const at = from + i;
      r0 += x[at]; r1 += x[at + 1]; r2 += x[at + 2]; r3 += x[at + 3];
      r4 += x[at + 4]; r5 += x[at + 5]; r6 += x[at + 6]; r7 += x[at + 7];
    }
    let sum = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) sum += x[from + i];
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(x, from, half) + pairwiseSum(x, from + half, n - half);
}
