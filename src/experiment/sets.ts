/**
 * The feature sets an experiment compares: named `--features` specs (docs/features.md#feature-specs), from
 * `--set NAME=SPEC` flags, a `--sets FILE` (JSON or YAML), or the built-in ladder (./ladder.ts).
 *
 * A sets file is either a map `{ NAME: SPEC, … }` or a list `[{ name: NAME, features: SPEC }, …]`; a
 * SPEC may also be a list of items (`[price, "rsi(window=9)"]`), joined with commas.
 *
 * A set may carry its own penalty (docs/regularisation.md#in-experiment): `--set NAME=SPEC;regParam=λ;elasticNet=α`,
 * or keys `regParam`, `elasticNet` beside `features` in the file (a map's value is then an object).
 *
 * A set's name becomes a column of forecasts.parquet and a row of the report, so it is a short
 * identifier (`[A-Za-z_][A-Za-z0-9_+.-]*`, at most 64 characters), unique, and not one of the fixed
 * columns (date, price, next_price, persistence).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { InputError, UsageError } from '../engine/errors.js';
import { parseFeatureSpec, type FeatureItem } from '../engine/features/spec.js';
import { elasticNetProblem, regParamProblem, type Regularisation } from '../engine/model/wls.js';

export interface FeatureSet {
  name: string;
  /** The spec as given. */
  spec: string;
  items: FeatureItem[];
  /** λ and α of its fits; omitted: unpenalised. */
  regularisation?: Regularisation;
}

/** The penalty keys a set may carry, with their rules (the same as `predict`'s flags). */
const PENALTY_KEYS = { regParam: regParamProblem, elasticNet: elasticNetProblem } as const;
type PenaltyKey = keyof typeof PENALTY_KEYS;

export const PERSISTENCE = 'persistence';
/** Columns of forecasts.parquet besides the sets'. */
export const FIXED_COLUMNS = ['date', 'price', 'next_price', PERSISTENCE] as const;
const SET_NAME = /^[A-Za-z_][A-Za-z0-9_+.-]{0,63}$/;

/**
 * One set from its name and spec text; `where` says where it came from, for the error message.
 * @param penalty λ (`regParam`) and α (`elasticNet`), each optional (0)
 */
export function featureSet(
  name: string,
  spec: string,
  where: string,
  penalty: Partial<Record<PenaltyKey, unknown>> = {},
): FeatureSet {
  if (!SET_NAME.test(name)) {
    throw new UsageError(
      `${where}: set name "${name}" must start with a letter or _ and hold only letters, digits, _ + . - (at most 64)`,
    );
  }
  if ((FIXED_COLUMNS as readonly string[]).includes(name)) {
    throw new UsageError(`${where}: set name "${name}" is reserved (${FIXED_COLUMNS.join(', ')} are columns of forecasts.parquet)`);
  }
  let items: FeatureItem[];
  try {
    items = parseFeatureSpec(spec);
  } catch (error) {
    if (error instanceof UsageError || error instanceof InputError) {
      throw new UsageError(`${where}: set "${name}": ${error.message.replace(/^--features:\s*/, '')}`);
    }
    throw error;
  }
  if (items.length === 0) throw new UsageError(`${where}: set "${name}" has no features`);
  const values: Record<PenaltyKey, number> = { regParam: 0, elasticNet: 0 };
  for (const key of Object.keys(PENALTY_KEYS) as PenaltyKey[]) {
    const raw = penalty[key];
    if (raw === undefined) continue;
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    const problem = Number.isNaN(value) ? 'a number' : PENALTY_KEYS[key](value);
    if (problem) throw new UsageError(`${where}: set "${name}": ${key}: expected ${problem}, got ${JSON.stringify(raw)}`);
    values[key] = value;
  }
  if (penalty.regParam === undefined && penalty.elasticNet === undefined) return { name, spec, items };
  return { name, spec, items, regularisation: { regParam: values.regParam, elasticNetParam: values.elasticNet } };
}

/**
 * `--reg-param` / `--elastic-net` lists: every set becomes one candidate per value (the cross product
 * when both are given), named `NAME[regParam=λ]`, `NAME[elasticNet=α]` or `NAME[regParam=λ,elasticNet=α]`;
 * a list replaces the set's own value. λ = 0 is the unpenalised fit whatever α, so it makes one
 * candidate, not one per α (named without α; under `--elastic-net` alone, a set without λ keeps its
 * name). No list: the sets as they are.
 */
export function expandPenalties(sets: readonly FeatureSet[], regParams?: readonly number[], elasticNets?: readonly number[]): FeatureSet[] {
  const lambdas = regParams && regParams.length > 0 ? regParams : null;
  const alphas = elasticNets && elasticNets.length > 0 ? elasticNets : null;
  if (lambdas === null && alphas === null) return [...sets];
  return sets.flatMap((set) =>
    (lambdas ?? [set.regularisation?.regParam ?? 0]).flatMap((regParam) =>
      (regParam === 0 ? [0] : (alphas ?? [set.regularisation?.elasticNetParam ?? 0])).map((elasticNetParam) => {
        const label = [lambdas && `regParam=${regParam}`, alphas && regParam !== 0 && `elasticNet=${elasticNetParam}`].filter(Boolean).join(',');
        return { ...set, name: label === '' ? set.name : `${set.name}[${label}]`, regularisation: { regParam, elasticNetParam } };
      }),
    ),
  );
}

/** `--set NAME=SPEC`, optionally followed by `;regParam=λ` and `;elasticNet=α`. */
export function parseSetFlag(text: string): FeatureSet {
  const [head, ...options] = text.split(';');
  const equals = head.indexOf('=');
  if (equals <= 0) throw new UsageError(`--set: expected NAME=SPEC (e.g. base=price,volume,marketCap,rsi), got "${text}"`);
  const penalty: Partial<Record<PenaltyKey, string>> = {};
  for (const option of options) {
    const [key, value] = option.split('=').map((part) => part.trim());
    if (!(key in PENALTY_KEYS) || value === undefined) {
      throw new UsageError(`--set: expected NAME=SPEC;regParam=λ;elasticNet=α after the spec, got "${option}" in "${text}"`);
    }
    penalty[key as PenaltyKey] = value;
  }
  return featureSet(head.slice(0, equals).trim(), head.slice(equals + 1).trim(), '--set', penalty);
}

/** `--sets FILE`: JSON or YAML (YAML is a superset of JSON, so one parser reads both). */
export function readSetsFile(file: string): FeatureSet[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--sets: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line ?? 0;
    throw new InputError(file, line, null, null, `a JSON or YAML file of feature sets (${firstLine((error as Error).message)})`);
  }
  const where = `--sets ${file}`;
  const specText = (value: unknown, name: string): string => {
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(',');
    throw new UsageError(`${where}: set "${name}": expected a feature spec (a string or a list of strings)`);
  };
  let sets: FeatureSet[];
  if (Array.isArray(data)) {
    sets = data.map((entry, i) => {
      const record = entry as { name?: unknown; features?: unknown; regParam?: unknown; elasticNet?: unknown } | null;
      if (record === null || typeof record !== 'object' || typeof record.name !== 'string') {
        throw new UsageError(`${where}: entry ${i + 1}: expected {name, features}`);
      }
      return featureSet(record.name, specText(record.features, record.name), where, record);
    });
  } else if (data !== null && typeof data === 'object') {
    sets = Object.entries(data as Record<string, unknown>).map(([name, value]) => {
      // NAME: SPEC, or NAME: {features: SPEC, regParam: λ, elasticNet: α}.
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const record = value as { features?: unknown; regParam?: unknown; elasticNet?: unknown };
        return featureSet(name, specText(record.features, name), where, record);
      }
      return featureSet(name, specText(value, name), where);
    });
  } else {
    throw new UsageError(`${where}: expected a map of NAME: SPEC or a list of {name, features}`);
  }
  if (sets.length === 0) throw new UsageError(`${where}: no sets in the file`);
  return sets;
}

/** Refuses two sets of one name. */
export function assertUniqueNames(sets: readonly FeatureSet[]): void {
  const seen = new Set<string>();
  for (const set of sets) {
    if (seen.has(set.name)) throw new UsageError(`set "${set.name}" is given twice`);
    seen.add(set.name);
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}
