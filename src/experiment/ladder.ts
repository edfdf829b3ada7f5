/**
 * The built-in sets when none is given: the original model's four features, then one `ta` family
 * (ta's module: momentum, trend, volatility, volume, others) added at a time, each rung keeping the
 * ones before, every indicator with its default arguments. Reading down the ranked table answers
 * "does adding this family help?".
 */
import { DEFAULT_FEATURE_SPEC, formatFeatureItem, parseFeatureSpec } from '../engine/features/spec.js';
import { INDICATORS } from '../engine/features/indicators/catalogue.js';
import { featureSet, type FeatureSet } from './sets.js';

export const LADDER_FAMILIES = ['momentum', 'trend', 'volatility', 'volume', 'others'] as const;
export const LADDER_BASE = 'base';

export function builtInLadder(): FeatureSet[] {
  const sets = [featureSet(LADDER_BASE, DEFAULT_FEATURE_SPEC, 'built-in ladder')];
  const present = new Set(parseFeatureSpec(DEFAULT_FEATURE_SPEC).map(formatFeatureItem));
  let spec = DEFAULT_FEATURE_SPEC;
  let name = LADDER_BASE;
  for (const family of LADDER_FAMILIES) {
    const added = INDICATORS.filter((indicator) => indicator.module === family)
      .map((indicator) => formatFeatureItem(parseFeatureSpec(indicator.name)[0]))
      .filter((item) => !present.has(item));
    if (added.length === 0) continue;
    for (const item of added) present.add(item);
    spec = `${spec},${added.join(',')}`;
    name = `${name}+${family}`;
    sets.push(featureSet(name, spec, 'built-in ladder'));
  }
  return sets;
}
