/**
 * The feature sets an experiment compares: named `--features` specs (docs/features.md#feature-specs), from
 * `--set NAME=SPEC` flags, a `--sets FILE` (JSON or YAML), or the built-in ladder (./ladder.ts).
 *
 * A sets file is either a map `{ NAME: SPEC, … }` or a list `[{ name: NAME, features: SPEC }, …]`; a
 * SPEC may also be a list of items (`[price, "rsi(window=9)"]`), joined with commas.
 *
 * A set's name becomes a column of forecasts.parquet and a row of the report, so it is a short
 * identifier (`[A-Za-z_][A-Za-z0-9_+.-]*`, at most 64 characters), unique, and not one of the fixed
 * columns (date, price, next_price, persistence).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { InputError, UsageError } from '../engine/errors.js';
import { parseFeatureSpec, type FeatureItem } from '../engine/features/spec.js';

export interface FeatureSet {
  name: string;
  /** The spec as given. */
  spec: string;
  items: FeatureItem[];
}

export const PERSISTENCE = 'persistence';
/** Columns of forecasts.parquet besides the sets'. */
export const FIXED_COLUMNS = ['date', 'price', 'next_price', PERSISTENCE] as const;
const SET_NAME = /^[A-Za-z_][A-Za-z0-9_+.-]{0,63}$/;

/** One set from its name and spec text; `where` says where it came from, for the error message. */
export function featureSet(name: string, spec: string, where: string): FeatureSet {
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
  return { name, spec, items };
}

/** `--set NAME=SPEC`. */
export function parseSetFlag(text: string): FeatureSet {
  const equals = text.indexOf('=');
  if (equals <= 0) throw new UsageError(`--set: expected NAME=SPEC (e.g. base=price,volume,marketCap,rsi), got "${text}"`);
  return featureSet(text.slice(0, equals).trim(), text.slice(equals + 1).trim(), '--set');
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
      const record = entry as { name?: unknown; features?: unknown } | null;
      if (record === null || typeof record !== 'object' || typeof record.name !== 'string') {
        throw new UsageError(`${where}: entry ${i + 1}: expected {name, features}`);
      }
      return featureSet(record.name, specText(record.features, record.name), where);
    });
  } else if (data !== null && typeof data === 'object') {
    sets = Object.entries(data as Record<string, unknown>).map(([name, value]) => featureSet(name, specText(value, name), where));
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
