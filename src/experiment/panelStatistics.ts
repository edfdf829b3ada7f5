/**
 * What a panel's assets say together about each set (docs/experiment.md#panels):
 *
 *   assets                    the assets the set was scored on
 *   assetsBeatingPersistence  those where its skill is above 0
 *   medianSkill               the median of their skills (NaN ones left out)
 *   dm                        the panel Diebold–Mariano test against persistence:
 *
 *     d[a,t]  = (e[a,t]² − ep[a,t]²) / mean_t(ep[a,t]²)   asset a's loss differential on its test date t,
 *                                                         scaled by its own persistence mse
 *     dbar[t] = mean of d[a,t] over the assets with a test row on date t (summed in asset-name order)
 *     dm      = the one-series test (./dieboldMariano.ts) on dbar in date order, T = the number of dates
 *
 * The scaling makes the loss of a coin worth cents and of one worth thousands count alike. An asset
 * whose persistence mse is 0 (a price that never moves on its test dates) cannot be scaled: it is left
 * out of the test and listed. At horizon h the same, on the h-step forecasts by origin date, with the
 * h-step variance.
 *
 * @example two assets, one date each day: d = [−0.5, 0.1] on day 1 and [−0.3] (one asset) on day 2
 *   gives dbar = [−0.2, −0.3]
 */
import { dieboldMarianoOfDifferences, type DieboldMariano } from './dieboldMariano.js';
import type { Losses } from './screening/screen.js';
import { PERSISTENCE } from './sets.js';

/** One asset's forecasts over its test dates (one horizon). */
export interface AssetForecasts {
  asset: string;
  /** Test (origin) days, ascending. */
  day: Int32Array;
  actual: Float64Array;
  persistence: Float64Array;
  sets: { name: string; forecasts: Float64Array }[];
  /** Each set's skill as the asset's results give it. */
  skill: Map<string, number>;
}

export interface PanelSetResult {
  name: string;
  assets: number;
  assetsBeatingPersistence: number;
  medianSkill: number;
  /** The panel test; `dates` = T, the number of test dates pooled. */
  dm: DieboldMariano & { dates: number };
}

export interface PanelSets {
  sets: PanelSetResult[];
  /** Assets left out of the panel test: persistence mse 0. */
  leftOut: string[];
}

/** Σ ep² / T: the asset's persistence mse over its test dates. */
export function persistenceMse(asset: AssetForecasts): number {
  let sum = 0;
  for (let t = 0; t < asset.actual.length; t++) {
    const e = asset.persistence[t] - asset.actual[t];
    sum += e * e;
  }
  return sum / asset.actual.length;
}

/**
 * The panel statistics of every set named by any asset (in the order first named; persistence not
 * among them).
 * @param assets in asset-name order
 */
export function panelSets(assets: readonly AssetForecasts[], horizon = 1): PanelSets {
  const names: string[] = [];
  for (const asset of assets) for (const set of asset.sets) if (!names.includes(set.name)) names.push(set.name);
  const mse = assets.map(persistenceMse);
  const leftOut = assets.filter((_, a) => !(mse[a] > 0)).map((asset) => asset.asset);
  const sets = names.map((name): PanelSetResult => {
    const holding = assets.filter((asset) => asset.sets.some((set) => set.name === name));
    const skills = holding.map((asset) => asset.skill.get(name) ?? NaN);
    const d = pooledDifferentials(assets, mse, name);
    return {
      name,
      assets: holding.length,
      assetsBeatingPersistence: skills.filter((skill) => skill > 0).length,
      medianSkill: median(skills.filter((skill) => !Number.isNaN(skill))),
      dm: { ...dieboldMarianoOfDifferences(d, horizon), dates: d.length },
    };
  });
  return { sets, leftOut };
}

/** dbar[t] in date order for one set: the date means of the scaled differentials. */
export function pooledDifferentials(assets: readonly AssetForecasts[], mse: readonly number[], name: string): Float64Array {
  return pooledMeans(assets, mse, (asset) => {
    const forecasts = asset.sets.find((set) => set.name === name)?.forecasts;
    if (forecasts === undefined) return null;
    return (t) => {
      const e = forecasts[t] - asset.actual[t];
      const ep = asset.persistence[t] - asset.actual[t];
      return e * e - ep * ep;
    };
  }).values;
}

/**
 * The panel's losses for the screening (docs/screening.md), one value a date: per candidate (and for
 * persistence, the benchmark) the date mean of e²/mse_persistence over the assets with a test row that
 * day. Only the sets every scaled asset has take part.
 */
export function panelLosses(assets: readonly AssetForecasts[]): { benchmark: Losses; candidates: Losses[] } {
  const mse = assets.map(persistenceMse);
  const scaled = assets.filter((_, a) => mse[a] > 0);
  const names = (scaled[0]?.sets ?? []).map((set) => set.name).filter((name) => scaled.every((asset) => asset.sets.some((set) => set.name === name)));
  const loss = (name: string): Losses => ({
    name,
    values: pooledMeans(assets, mse, (asset) => {
      const forecasts = name === PERSISTENCE ? asset.persistence : asset.sets.find((set) => set.name === name)!.forecasts;
      return (t) => (forecasts[t] - asset.actual[t]) ** 2;
    }).values,
  });
  return { benchmark: loss(PERSISTENCE), candidates: names.map(loss) };
}

/**
 * Date means of `loss(t)/mse` over the assets that take part (`lossOf` not null, mse > 0), in date
 * order; the sums run over the assets in the order given.
 */
function pooledMeans(
  assets: readonly AssetForecasts[],
  mse: readonly number[],
  lossOf: (asset: AssetForecasts) => ((t: number) => number) | null,
): { days: number[]; values: Float64Array } {
  // Sums and counts by day, in arrays over the panel's span of days (a few thousand).
  let first = Infinity;
  let last = -Infinity;
  for (const asset of assets) {
    if (asset.day.length === 0) continue;
    first = Math.min(first, asset.day[0]);
    last = Math.max(last, asset.day[asset.day.length - 1]);
  }
  const span = last >= first ? last - first + 1 : 0;
  const sums = new Float64Array(span);
  const counts = new Int32Array(span);
  assets.forEach((asset, a) => {
    if (!(mse[a] > 0)) return;
    const loss = lossOf(asset);
    if (loss === null) return;
    for (let t = 0; t < asset.day.length; t++) {
      const d = asset.day[t] - first;
      const value = loss(t) / mse[a];
      sums[d] = counts[d] === 0 ? value : sums[d] + value;
      counts[d]++;
    }
  });
  const days: number[] = [];
  for (let d = 0; d < span; d++) if (counts[d] > 0) days.push(first + d);
  return { days, values: Float64Array.from(days, (day) => sums[day - first] / counts[day - first]) };
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Best first by the panel test: most negative statistic (smallest losses against persistence); no test last. */
export function rankPanelSets(sets: readonly PanelSetResult[]): PanelSetResult[] {
  const key = (s: PanelSetResult) => (Number.isNaN(s.dm.statistic) ? Infinity : s.dm.statistic);
  return [...sets].sort((a, b) => key(a) - key(b));
}

/** The plain-words reading of a set's panel test. */
export function panelVerdict(set: PanelSetResult, level: number): string {
  if (!(set.dm.pValue < level)) return 'no better than tomorrow = today across the panel';
  return set.dm.statistic < 0 ? 'better than tomorrow = today across the panel' : 'worse than tomorrow = today across the panel';
}
