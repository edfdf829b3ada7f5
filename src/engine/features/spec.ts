/**
 * Feature specs (docs/features.md#feature-specs): the `--features` text, parsed into normalised items, and the
 * columns they compute.
 *
 * Grammar: items separated by commas; an item is a name with optional keyword arguments in
 * parentheses, spaces (space, tab, CR, LF) allowed around every token:
 *
 *   spec  = item *("," item)          item  = name ["(" [arg *("," arg)] ")"]
 *   arg   = name "=" value            value = integer | decimal number | true | false
 *
 * A name is `price`, `volume`, `marketCap`, `open`, `high`, `low` (the input columns, no arguments) or
 * a function of `ta` 0.11.0's functional API (./indicators/catalogue.ts lists them with their arguments
 * and inputs). Close is `price`; `fillna` is always false. The functions of high and low, and the items
 * open/high/low, need an input that has them: computeFeatures refuses them otherwise
 * (docs/features.md#high-and-low-indicators). Normalising fills every argument's default,
 * so `rsi`, `rsi()` and `rsi(window=14)` are the same item.
 *
 * Column names: the function name when every argument has its default value (so the default spec's
 * columns are exactly price, volume, marketCap, rsi), otherwise the function name followed, for each
 * argument whose value is not the default (in the function's argument order), by `_<argument>_<value>`,
 * the value written as JavaScript prints the number with `.` as `p`, `-` as `m` and `+` dropped, and
 * true/false for a flag: `rsi(window=9)` is `rsi_window_9`, `bollinger_pband(window=25,window_dev=1.5)`
 * is `bollinger_pband_window_25_window_dev_1p5`. Names match `[A-Za-z_][A-Za-z0-9_]*` and are unique.
 *
 * A bad spec is a UsageError (exit 2): one line, `--features: position P: what is wrong`, P the
 * 1-based character position in the text. pyspark/price_regression.py's parse_feature_spec follows
 * these rules and words its errors the same (test/engine/features/spec.test.ts compares the two).
 */
import { InputError, UsageError } from '../errors.js';
import { findIndicator, INDICATORS, needsHighLow, type Indicator } from './indicators/catalogue.js';
import { ohlcRefusal } from './ohlcRefusal.js';
import type { DailyColumns, FeatureItem, LabelledColumns } from '../types.js';

export type { FeatureItem };

export const DEFAULT_FEATURE_SPEC = 'price,volume,marketCap,rsi';

/** The input columns usable as features as they are. */
export const INPUT_FEATURES = ['price', 'volume', 'marketCap', 'open', 'high', 'low'] as const;
type InputFeature = (typeof INPUT_FEATURES)[number];
/** The input columns only some inputs have (docs/features.md#high-and-low-indicators). */
const OHLC_FEATURES: readonly string[] = ['open', 'high', 'low'];

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const VALUE = /[^ \t\r\n,()=]+/y;
const SPACE = /[ \t\r\n]/;
const INTEGER = /^[+-]?[0-9]+$/;
/** The CSV reader's decimal syntax (csv.ts): no spaces, hex, NaN or Infinity. */
const DECIMAL = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

/** An item as written, before its names are checked. Positions are 0-based offsets in the text. */
interface RawItem {
  name: string;
  at: number;
  args: Array<{ name: string; value: string; at: number }>;
}

function fail(at: number | null, message: string): never {
  throw new UsageError(`--features: ${at === null ? '' : `position ${at + 1}: `}${message}`);
}

/** What the text holds at `i`, for messages: one character, or the end. */
function got(text: string, i: number): string {
  return i >= text.length ? 'the end of the spec' : JSON.stringify(text[i]);
}

/** The syntax pass: items and their `name=value` arguments, unchecked. */
function scan(text: string): RawItem[] {
  let i = 0;
  const skipSpaces = () => {
    while (i < text.length && SPACE.test(text[i])) i++;
  };
  const name = (): string | null => {
    NAME.lastIndex = i;
    const match = NAME.exec(text);
    if (match === null) return null;
    i += match[0].length;
    return match[0];
  };
  const items: RawItem[] = [];
  for (;;) {
    skipSpaces();
    if (i >= text.length || text[i] === ',') fail(i, 'empty item');
    const at = i;
    const fn = name();
    if (fn === null) fail(i, `expected a function name, got ${got(text, i)}`);
    const item: RawItem = { name: fn, at, args: [] };
    skipSpaces();
    if (text[i] === '(') {
      const open = i;
      i++;
      skipSpaces();
      if (text[i] === ')') i++;
      else {
        for (;;) {
          skipSpaces();
          if (i >= text.length) fail(open, '"(" is never closed');
          const argAt = i;
          const arg = name();
          if (arg === null) fail(i, `expected an argument name, got ${got(text, i)}`);
          skipSpaces();
          if (i >= text.length) fail(open, '"(" is never closed');
          if (text[i] !== '=') fail(i, `expected "=" after ${arg}, got ${got(text, i)}`);
          i++;
          skipSpaces();
          VALUE.lastIndex = i;
          const value = VALUE.exec(text);
          if (value === null) {
            if (i >= text.length) fail(open, '"(" is never closed');
            fail(i, `expected a value for ${arg}, got ${got(text, i)}`);
          }
          i += value[0].length;
          item.args.push({ name: arg, value: value[0], at: argAt });
          skipSpaces();
          if (i >= text.length) fail(open, '"(" is never closed');
          if (text[i] === ')') {
            i++;
            break;
          }
          if (text[i] !== ',') fail(i, `expected "," or ")", got ${got(text, i)}`);
          i++;
        }
      }
      skipSpaces();
    }
    items.push(item);
    if (i >= text.length) return items;
    if (text[i] === ')') fail(i, 'unexpected ")"');
    if (text[i] !== ',') fail(i, `expected ",", got ${got(text, i)}`);
    i++;
  }
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** Every name a spec may use: the input columns, then the catalogue's functions. */
export function featureNames(): string[] {
  return [...INPUT_FEATURES, ...INDICATORS.map((indicator) => indicator.name)];
}

/**
 * The closest known name, or null: the first (alphabetically) that extends the name with `_...`
 * (`ema` → `ema_indicator`), else the nearest by case-insensitive edit distance, at most 2 or a third
 * of the name's length, ties broken alphabetically (so both engines suggest the same).
 */
export function closestName(name: string): string | null {
  const limit = Math.max(2, Math.floor(name.length / 3));
  const candidates = [...featureNames()].sort();
  const extension = candidates.find((candidate) => candidate.toLowerCase().startsWith(`${name.toLowerCase()}_`));
  if (extension !== undefined) return extension;
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : null;
}

function parseValue(indicator: Indicator, arg: Indicator['args'][number], text: string, at: number): number | boolean {
  const what = `${indicator.name} argument ${arg.name}`;
  let value: number | boolean;
  if (arg.type === 'bool') {
    const lower = text.toLowerCase();
    if (lower !== 'true' && lower !== 'false') fail(at, `${what} expects true or false, got ${JSON.stringify(text)}`);
    return lower === 'true';
  }
  if (arg.type === 'int') {
    value = Number(text);
    if (!INTEGER.test(text) || !Number.isSafeInteger(value)) {
      fail(at, `${what} expects an integer, got ${JSON.stringify(text)}`);
    }
  } else {
    value = Number(text);
    if (!DECIMAL.test(text) || !Number.isFinite(value)) fail(at, `${what} expects a number, got ${JSON.stringify(text)}`);
  }
  if (value === 0) value = 0; // -0 → 0: one normal form
  if (arg.positive && value <= 0) fail(at, `${what} must be positive, got ${JSON.stringify(text)}`);
  // An integer that is not a window (volume_price_trend's smoothing_factor, 0 = none) is a count: >= 0.
  if (arg.type === 'int' && !arg.positive && value < 0) fail(at, `${what} must not be negative, got ${JSON.stringify(text)}`);
  return value;
}

/** A value as it appears in a column name: JavaScript's number text, `.` → p, `-` → m, `+` dropped. */
function columnValueText(value: number | boolean): string {
  return String(value).replace(/\./g, 'p').replace(/-/g, 'm').replace(/\+/g, '');
}

function columnName(fn: string, args: Record<string, number | boolean>, indicator: Indicator | undefined): string {
  const changed = (indicator?.args ?? []).filter((arg) => args[arg.name] !== arg.default);
  return [fn, ...changed.map((arg) => `${arg.name}_${columnValueText(args[arg.name])}`)].join('_');
}

/** The item as normalised text: `rsi(window=14)`, `price`, `on_balance_volume`. */
export function formatFeatureItem(item: Pick<FeatureItem, 'fn' | 'args'>): string {
  const args = Object.entries(item.args);
  return args.length === 0 ? item.fn : `${item.fn}(${args.map(([name, value]) => `${name}=${String(value)}`).join(',')})`;
}

/** Parses and checks a feature spec; throws UsageError (one line, with the position) when it is bad. */
export function parseFeatureSpec(text: string): FeatureItem[] {
  if (/^[ \t\r\n]*$/.test(text)) {
    fail(null, `expected a comma-separated list of items such as "${DEFAULT_FEATURE_SPEC}", got an empty spec`);
  }
  const items: FeatureItem[] = [];
  const seen = new Map<string, number>();
  const columns = new Map<string, number>();
  for (const raw of scan(text)) {
    let item: FeatureItem;
    if ((INPUT_FEATURES as readonly string[]).includes(raw.name)) {
      if (raw.args.length > 0) fail(raw.at, `${raw.name} takes no arguments`);
      item = { column: raw.name, fn: raw.name, args: {} };
    } else {
      const indicator = findIndicator(raw.name);
      if (indicator === undefined) {
        const suggestion = closestName(raw.name);
        fail(
          raw.at,
          `unknown function ${JSON.stringify(raw.name)} ` +
            (suggestion !== null ? `(did you mean "${suggestion}"?)` : '(pricecast features lists them)'),
        );
      }
      const given = new Map<string, { value: string; at: number }>();
      for (const arg of raw.args) {
        if (!indicator.args.some((a) => a.name === arg.name)) {
          const valid = indicator.args.map((a) => a.name).join(', ');
          fail(
            arg.at,
            `${indicator.name} has no argument ${JSON.stringify(arg.name)} ` +
              (valid === '' ? '(it takes none)' : `(its arguments: ${valid})`),
          );
        }
        if (given.has(arg.name)) fail(arg.at, `argument ${arg.name} of ${indicator.name} is given twice`);
        given.set(arg.name, arg);
      }
      const args: Record<string, number | boolean> = {};
      for (const arg of indicator.args) {
        const written = given.get(arg.name);
        args[arg.name] = written === undefined ? arg.default : parseValue(indicator, arg, written.value, written.at);
      }
      item = { column: columnName(indicator.name, args, indicator), fn: indicator.name, args };
    }
    const normalised = formatFeatureItem(item);
    const earlier = seen.get(normalised);
    if (earlier !== undefined) fail(raw.at, `duplicate item ${normalised} (same as item ${earlier})`);
    const sameColumn = columns.get(item.column);
    if (sameColumn !== undefined) fail(raw.at, `item ${normalised} makes the column ${item.column}, as item ${sameColumn} does`);
    items.push(item);
    seen.set(normalised, items.length);
    columns.set(item.column, items.length);
  }
  return items;
}

/** The column names of a parsed spec, in spec order. */
export function featureColumns(items: readonly FeatureItem[]): string[] {
  return items.map((item) => item.column);
}

/** Where the series came from, for the one-line refusal of an item the input cannot feed. */
export interface FeatureSource {
  /** The input as the user named it. */
  file: string;
  /** The layout read (`pricecast`, `coingecko`, `columns`, `parquet`, …). */
  layout: string;
}

/** True for an item that reads the day's open, high or low. */
export function needsOhlc(item: Pick<FeatureItem, 'fn'>): boolean {
  if (OHLC_FEATURES.includes(item.fn)) return true;
  const indicator = findIndicator(item.fn);
  return indicator !== undefined && needsHighLow(indicator);
}

/**
 * Refuses, as bad input naming the item and the layout, the first item that needs open, high or low
 * when the series has none: one line, before any feature is computed.
 */
export function checkFeatureInputs(items: readonly FeatureItem[], sorted: DailyColumns, source: FeatureSource): void {
  const item = items.find(needsOhlc);
  if (item === undefined || (sorted.high !== undefined && sorted.low !== undefined && sorted.open !== undefined)) return;
  throw new InputError(source.file, 0, null, null, ohlcRefusal(formatFeatureItem(item), source.layout));
}

/** The first item that reads open, high or low, as normalised text (for the ingest's refusal), or undefined. */
export function firstOhlcItem(items: readonly FeatureItem[]): string | undefined {
  const item = items.find(needsOhlc);
  return item === undefined ? undefined : formatFeatureItem(item);
}

/**
 * One column per item, in spec order, over the date-sorted, de-duplicated series. Input features are
 * the input's own arrays (no copy); indicators are new arrays in which NaN (warm-up) and ±inf (e.g. a
 * zero band width) are kept for the drop stage. With `source`, an item the series cannot feed (no
 * open/high/low) is refused as bad input first (checkFeatureInputs).
 */
export function computeFeatures(items: readonly FeatureItem[], sorted: DailyColumns, source?: FeatureSource): Float64Array[] {
  checkFeatureInputs(items, sorted, source ?? { file: 'input', layout: 'input' });
  const series = { close: sorted.price, volume: sorted.volume, high: sorted.high, low: sorted.low };
  return items.map((item) => {
    if ((INPUT_FEATURES as readonly string[]).includes(item.fn)) return sorted[item.fn as InputFeature]!;
    const indicator = findIndicator(item.fn);
    if (indicator === undefined) throw new UsageError(`--features: unknown function ${JSON.stringify(item.fn)}`);
    return indicator.compute(series, item.args);
  });
}

/** ta's parabolic SAR sides: NaN by design on every row of the other trend (about half the rows). */
export const TREND_SIDE_FUNCTIONS: readonly string[] = ['psar_up', 'psar_down'];

/**
 * How many rows the drop stage loses only because psar_up or psar_down is NaN there (a row of the other
 * trend): every other column (features, next price) is finite on them. null when the spec has neither
 * (the report then writes 0, the summary says nothing; docs/features.md#high-and-low-indicators).
 */
export function trendSideDroppedRows(table: LabelledColumns, items: readonly FeatureItem[]): number | null {
  const sides = new Set(items.filter((item) => TREND_SIDE_FUNCTIONS.includes(item.fn)).map((item) => item.column));
  if (sides.size === 0) return null;
  const others = Object.keys(table).filter((name) => name !== 'day' && !sides.has(name));
  let count = 0;
  for (let i = 0; i < table.day.length; i++) {
    const finite = (name: string) => {
      const x = table[name][i];
      return x - x === 0;
    };
    if (others.every(finite) && ![...sides].every(finite)) count++;
  }
  return count;
}
