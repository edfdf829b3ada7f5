/**
 * The built-in sets when none is given: the original model's four features, then one `ta` family
 * (ta's module: momentum, trend, volatility, volume, others) of close/volume functions added at a time,
 * each rung keeping the ones before, every indicator with its default arguments. Reading down the
 * ranked table answers "does adding this family help?". When the input has open, high and low, a last
 * rung adds the functions of high and low (docs/features.md#high-and-low-indicators), all but psar_up
 * and psar_down: each is NaN on every row of the other trend, so together they leave no common row.
 */
import { DEFAULT_FEATURE_SPEC, formatFeatureItem, parseFeatureSpec } from '../engine/features/spec.js';
import { CLOSE_VOLUME_INDICATORS, INDICATORS, needsHighLow } from '../engine/features/indicators/catalogue.js';
import type { Regularisation } from '../engine/model/wls.js';
import type { DailyColumns } from '../engine/types.js';
import { featureSet, type FeatureSet } from './sets.js';

export const LADDER_FAMILIES = ['momentum', 'trend', 'volatility', 'volume', 'others'] as const;
export const LADDER_BASE = 'base';
/** The last rung's suffix, on inputs with open, high and low. */
export const LADDER_HIGH_LOW = 'highlow';
/**
 * The two penalised rungs (builtInCandidates): the widest set with a ridge and with a lasso penalty. Round values where the
 * penalty changes the fit of ~40 standardized indicator columns without emptying it; `--reg-param`
 * searches others.
 */
export const LADDER_PENALTIES = {
  ridge: { regParam: 0.3, elasticNetParam: 0 },
  lasso: { regParam: 0.01, elasticNetParam: 1 },
} as const satisfies Record<string, Regularisation>;
/** Left out of the high/low rung: NaN on about half the rows each, on complementary rows. */
const HALF_NAN = new Set(['psar_up', 'psar_down']);

/** True when the series carries the day's open, high and low. */
export function hasHighLow(columns: DailyColumns): boolean {
  return columns.open !== undefined && columns.high !== undefined && columns.low !== undefined;
}

/**
 * What the ladder is built on: `highLow` adds the high/low rung; `marketCap: false` (a layout without
 * market cap, docs/input.md#no-market-cap) takes marketCap out of the base set, as predict's default features do.
 */
export interface LadderOptions {
  highLow?: boolean;
  marketCap?: boolean;
}

/** The base rung's spec: predict's default features, without marketCap when the layout has none. */
export function ladderBaseSpec(options: LadderOptions = {}): string {
  if (options.marketCap !== false) return DEFAULT_FEATURE_SPEC;
  return parseFeatureSpec(DEFAULT_FEATURE_SPEC).filter((item) => item.fn !== 'marketCap').map(formatFeatureItem).join(',');
}

export function builtInLadder(options: LadderOptions = {}): FeatureSet[] {
  const base = ladderBaseSpec(options);
  const sets = [featureSet(LADDER_BASE, base, 'built-in ladder')];
  const present = new Set(parseFeatureSpec(base).map(formatFeatureItem));
  let spec = base;
  let name = LADDER_BASE;
  const rung = (suffix: string, names: readonly string[]) => {
    const added = names.map((fn) => formatFeatureItem(parseFeatureSpec(fn)[0])).filter((item) => !present.has(item));
    if (added.length === 0) return;
    for (const item of added) present.add(item);
    spec = `${spec},${added.join(',')}`;
    name = `${name}+${suffix}`;
    sets.push(featureSet(name, spec, 'built-in ladder'));
  };
  for (const family of LADDER_FAMILIES) {
    rung(family, CLOSE_VOLUME_INDICATORS.filter((indicator) => indicator.module === family).map((indicator) => indicator.name));
  }
  if (options.highLow === true) {
    rung(LADDER_HIGH_LOW, INDICATORS.filter((indicator) => needsHighLow(indicator) && !HALF_NAN.has(indicator.name)).map((indicator) => indicator.name));
  }
  return sets;
}

/**
 * What `experiment` runs when no set is given: the ladder, then its widest rung again with each of
 * LADDER_PENALTIES (docs/regularisation.md#in-experiment): does shrinking help where least squares
 * overfits the many correlated columns?
 */
export function builtInCandidates(options: LadderOptions = {}): FeatureSet[] {
  const ladder = builtInLadder(options);
  const widest = ladder[ladder.length - 1];
  const penalised = Object.entries(LADDER_PENALTIES).map(([suffix, { regParam, elasticNetParam }]) =>
    featureSet(`${widest.name}+${suffix}`, widest.spec, 'built-in ladder', { regParam, elasticNet: elasticNetParam }),
  );
  return [...ladder, ...penalised];
}
