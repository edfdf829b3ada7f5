/**
 * The screening of an experiment's candidates against persistence (docs/screening.md): one bootstrap index
 * matrix, then SPA, StepM at 0.05 and 0.10 and the model confidence set at 0.10 (methods R and max), as the
 * plain data results.json records.
 */
import { mcs, constantLossDifference, type McsResult } from './mcs.js';
import { DEFAULT_BOOTSTRAP_REPS, DEFAULT_BOOTSTRAP_SEED, indicesFingerprint, MIN_BOOTSTRAP_REPS, stationaryBootstrapIndices, type BootstrapIndices } from './indices.js';
import { spa } from './spa.js';
import { stepm } from './stepm.js';

/** Fewer test days leave no bootstrap to speak of (and log log T undefined). */
export const MIN_SCREENING_DAYS = 3;
export const STEPM_SIZES = [0.05, 0.1] as const;
export const MCS_SIZE = 0.1;

export interface ScreeningOptions {
  seed: number;
  reps: number;
  /** Omitted: floor(√T). */
  blockSize?: number;
}

export const DEFAULT_SCREENING: ScreeningOptions = { seed: DEFAULT_BOOTSTRAP_SEED, reps: DEFAULT_BOOTSTRAP_REPS };

export interface ScreeningResult {
  indices: { sum: number; head: number[]; seed: number; reps: number; blockSize: number };
  benchmark: string;
  spa: {
    statistic: number;
    pvalues: { lower: number; consistent: number; upper: number };
    meanLossDiff: Record<string, number>;
    valid: Record<string, boolean>;
  };
  stepm: { size: number; superior: string[] }[];
  mcs: { size: number; R: McsSummary; max: McsSummary };
}

export interface McsSummary {
  included: string[];
  pvalues: Record<string, number>;
}

/** Input the screening cannot be computed on; the caller names the file. */
export class ScreeningInputError extends Error {
  override readonly name = 'ScreeningInputError';
}

export interface Losses {
  name: string;
  /** Squared errors on the common test days. */
  values: Float64Array;
}

export function screen(benchmark: Losses, candidates: readonly Losses[], options: ScreeningOptions): ScreeningResult {
  const T = benchmark.values.length;
  if (T < MIN_SCREENING_DAYS) {
    throw new ScreeningInputError(`at least ${MIN_SCREENING_DAYS} test days to screen the candidates, got ${T}`);
  }
  if (!(Number.isInteger(options.reps) && options.reps >= MIN_BOOTSTRAP_REPS)) {
    throw new ScreeningInputError(`at least ${MIN_BOOTSTRAP_REPS} bootstrap replications, got ${options.reps}`);
  }
  if (candidates.length === 0) throw new ScreeningInputError('at least one candidate to screen');
  const models = [benchmark, ...candidates];
  const twins = constantLossDifference(models.map((m) => m.values));
  if (twins !== null) {
    const [a, b] = twins.map((i) => models[i].name);
    throw new ScreeningInputError(
      `candidates whose forecasts differ (the model confidence set cannot tell apart two candidates whose squared errors differ by the same amount every day): "${a}" and "${b}"`,
    );
  }
  const blockSize = options.blockSize ?? Math.max(1, Math.floor(Math.sqrt(T)));
  const indices = stationaryBootstrapIndices(T, options.reps, blockSize, options.seed);
  return screenWithIndices(benchmark, candidates, indices);
}

/** The procedures on given indices (the tests inject the same ones into arch). */
export function screenWithIndices(benchmark: Losses, candidates: readonly Losses[], indices: BootstrapIndices): ScreeningResult {
  const names = candidates.map((c) => c.name);
  const computation = spa(benchmark.values, candidates.map((c) => c.values), indices);
  const { result } = computation;
  const models = [benchmark, ...candidates];
  const summary = (found: McsResult): McsSummary => ({
    included: models.filter((_, i) => found.included[i]).map((m) => m.name),
    pvalues: Object.fromEntries(models.map((m, i) => [m.name, found.pvalues[i]])),
  });
  const losses = models.map((m) => m.values);
  return {
    indices: { ...indicesFingerprint(indices), seed: indices.seed, reps: indices.reps, blockSize: indices.blockSize },
    benchmark: benchmark.name,
    spa: {
      statistic: result.statistic,
      pvalues: result.pvalues,
      meanLossDiff: Object.fromEntries(names.map((n, k) => [n, result.meanLossDiff[k]])),
      valid: Object.fromEntries(names.map((n, k) => [n, result.valid[k]])),
    },
    stepm: STEPM_SIZES.map((size) => ({ size, superior: stepm(computation, indices, size).map((k) => names[k]) })),
    mcs: {
      size: MCS_SIZE,
      R: summary(mcs(losses, indices, MCS_SIZE, 'R')),
      max: summary(mcs(losses, indices, MCS_SIZE, 'max')),
    },
  };
}
