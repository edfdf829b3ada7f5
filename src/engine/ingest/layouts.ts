/**
 * Input layouts (docs/input.md#layouts): which header column holds each of the engine's input fields,
 * recognised from the header, forced with `--format`, or given with `--columns`.
 *
 *   pricecast            date,price,volume,marketCap[,asset][,open,high,low] (any order): the contract's own
 *   coingecko            snapped_at,price,market_cap,total_volume
 *   coinmarketcap        Date,Open,High,Low,Close,Volume,Market Cap (also `Open*`, `Close**`)
 *   coinmarketcap-multi  Currency,Date,Open,High,Low,Close,Volume,Market Cap (Currency: the asset)
 *   kaggle               SNo,Name,Symbol,Date,High,Low,Open,Close,Volume,Marketcap (Symbol: the asset)
 *   yahoo                Date,Open,High,Low,Close,Adj Close,Volume (no market cap)
 *   cryptodatadownload   a banner line, then unix,date,symbol,open,high,low,close,Volume BASE,Volume QUOTE[,tradecount]
 *                        (the date is `unix`, the volume the quote currency's, no market cap)
 *   columns              --columns date=COL,price=COL[,volume=COL][,marketCap=COL][,asset=COL][,open=…,high=…,low=…]
 *
 * Header names are compared trimmed, case-insensitively, with `*` removed. A header that matches two
 * layouts (neither a refinement of the other) is refused rather than guessed (`--format` picks one).
 * `pyspark/price_regression.py` declares the same table (LAYOUTS) and the same rules.
 */
import { InputError, UsageError } from '../errors.js';
import { ohlcRefusal } from '../features/ohlcRefusal.js';

/** The engine's input fields. */
export const INPUT_FIELDS = ['date', 'price', 'volume', 'marketCap', 'asset', 'open', 'high', 'low'] as const;
export type InputField = (typeof INPUT_FIELDS)[number];
/** The numeric fields of the four-column series: a cell of one of these may be missing (missing.ts). */
export const VALUE_FIELDS = ['price', 'volume', 'marketCap'] as const;
export type ValueField = (typeof VALUE_FIELDS)[number];
/** The optional open/high/low columns (docs/input.md#open-high-and-low). */
export const OHLC_FIELDS = ['open', 'high', 'low'] as const;
export type OhlcField = (typeof OHLC_FIELDS)[number];
/** Every numeric field, in the order the readers hold them. */
export const NUMERIC_FIELDS = [...VALUE_FIELDS, ...OHLC_FIELDS] as const;
export type NumericField = (typeof NUMERIC_FIELDS)[number];

export const LAYOUT_NAMES = [
  'pricecast',
  'coingecko',
  'coinmarketcap',
  'coinmarketcap-multi',
  'kaggle',
  'yahoo',
  'cryptodatadownload',
] as const;
export type LayoutName = (typeof LAYOUT_NAMES)[number];
export const FORMATS = ['auto', ...LAYOUT_NAMES] as const;
export type InputFormat = (typeof FORMATS)[number];

/** How a layout writes its date cell: a calendar date or date-time, or a unix epoch number. */
export type DateKind = 'text' | 'unix';

interface LayoutDefinition {
  /** The header name of each field (as the vendor writes it); null: the layout has no such column. */
  columns: Record<InputField, string | null>;
  /** Header names that identify the layout (all must be present). */
  signature: readonly string[];
  /** Numbers may be written with `,` thousands separators (`"1,551,050,000"`). */
  thousands: boolean;
  date: DateKind;
}

export interface Layout {
  /** A vendor layout's name, or `columns` for a `--columns` mapping. */
  name: LayoutName | 'columns';
  /**
   * The header name of each field AS THE FILE WRITES IT (after resolveLayout); null: the file has no
   * such column.
   */
  columns: Record<InputField, string | null>;
  /** The column index of each field in the header; -1 when absent (after resolveLayout). */
  at: Record<InputField, number>;
  signature: readonly string[];
  thousands: boolean;
  date: DateKind;
}

const none = { asset: null, open: null, high: null, low: null };

/** The layouts' table (docs/input.md#layouts). */
export const LAYOUTS: Record<LayoutName, LayoutDefinition> = {
  pricecast: {
    columns: { date: 'date', price: 'price', volume: 'volume', marketCap: 'marketCap', asset: 'asset', open: 'open', high: 'high', low: 'low' },
    signature: ['date', 'price', 'volume', 'marketCap'],
    thousands: false,
    date: 'text',
  },
  coingecko: {
    columns: { date: 'snapped_at', price: 'price', volume: 'total_volume', marketCap: 'market_cap', ...none },
    signature: ['snapped_at', 'price', 'market_cap', 'total_volume'],
    thousands: false,
    date: 'text',
  },
  coinmarketcap: {
    columns: { date: 'Date', price: 'Close', volume: 'Volume', marketCap: 'Market Cap', asset: null, open: 'Open', high: 'High', low: 'Low' },
    signature: ['Date', 'Open', 'High', 'Low', 'Close', 'Volume', 'Market Cap'],
    thousands: true,
    date: 'text',
  },
  'coinmarketcap-multi': {
    columns: { date: 'Date', price: 'Close', volume: 'Volume', marketCap: 'Market Cap', asset: 'Currency', open: 'Open', high: 'High', low: 'Low' },
    signature: ['Currency', 'Date', 'Open', 'High', 'Low', 'Close', 'Volume', 'Market Cap'],
    thousands: true,
    date: 'text',
  },
  kaggle: {
    columns: { date: 'Date', price: 'Close', volume: 'Volume', marketCap: 'Marketcap', asset: 'Symbol', open: 'Open', high: 'High', low: 'Low' },
    signature: ['SNo', 'Name', 'Symbol', 'Date', 'High', 'Low', 'Open', 'Close', 'Volume', 'Marketcap'],
    thousands: false,
    date: 'text',
  },
  yahoo: {
    columns: { date: 'Date', price: 'Close', volume: 'Volume', marketCap: null, asset: null, open: 'Open', high: 'High', low: 'Low' },
    signature: ['Date', 'Open', 'High', 'Low', 'Close', 'Adj Close', 'Volume'],
    thousands: false,
    date: 'text',
  },
  cryptodatadownload: {
    // `Volume BASE` and `Volume QUOTE` stand for the file's two `Volume <currency>` columns, in that order.
    columns: { date: 'unix', price: 'close', volume: 'Volume QUOTE', marketCap: null, asset: 'symbol', open: 'open', high: 'high', low: 'low' },
    signature: ['unix', 'date', 'symbol', 'open', 'high', 'low', 'close', 'Volume BASE', 'Volume QUOTE'],
    thousands: false,
    date: 'unix',
  },
};

/** Whether a layout read (as _model.json names it) has a market cap column: yahoo and cryptodatadownload do not. */
export function layoutHasMarketCap(layout: string): boolean {
  const name = layout.replace(/^parquet \((.*)\)$/, '$1');
  return !(name in LAYOUTS) || LAYOUTS[name as LayoutName].columns.marketCap !== null;
}

/** How the input is to be read: the `--format`, `--columns`, `--thousands`, `--missing` settings. */
export interface LayoutOptions {
  /** Default `auto`: recognised from the header. */
  format?: InputFormat;
  /** `--columns`: the header name of each field (or its `date=Date,price=Close` text); overrides the format. */
  columns?: Partial<Record<InputField, string>> | string;
  /** `--thousands ,`: allow `1,234.5` in every layout (CoinMarketCap's allows it anyway). */
  thousands?: ',' | null;
  /**
   * The numeric fields the run needs (the feature spec's inputs; price always, it is the label). A field
   * outside it may be absent from the file; default: price, volume, marketCap.
   */
  required?: readonly NumericField[];
  /**
   * The run uses the default feature spec: a file without market cap then runs without it
   * (docs/input.md#no-market-cap) instead of being refused.
   */
  marketCapOptional?: boolean;
  /** `--ohlc-check on|off` (default on): a row whose open/high/low disagree with its close is bad input, or counted. */
  ohlcCheck?: OhlcCheck;
  /**
   * The first feature item that reads open, high or low (normalised text), when the spec has one: a file
   * without those columns is then refused naming it (docs/features.md#high-and-low-indicators).
   */
  ohlcFor?: string;
}

export const OHLC_CHECKS = ['on', 'off'] as const;
export type OhlcCheck = (typeof OHLC_CHECKS)[number];

/** A header name as layouts compare it: trimmed, `*` removed, lower case. */
export function normalName(name: string): string {
  return name.replace(/\*/g, '').trim().toLowerCase();
}

/** `date=Date,price=Close,volume=Volume` → the mapping; a UsageError for anything else. */
export function parseColumnMapping(text: string): Partial<Record<InputField, string>> {
  const mapping: Partial<Record<InputField, string>> = {};
  for (const item of text.split(',')) {
    const at = item.indexOf('=');
    const field = (at === -1 ? item : item.slice(0, at)).trim() as InputField;
    const column = at === -1 ? '' : item.slice(at + 1);
    if (!INPUT_FIELDS.includes(field) || column === '') {
      throw new UsageError(
        `--columns: expected FIELD=COLUMN items, comma-separated, FIELD one of ${INPUT_FIELDS.join(', ')} ` +
          `(e.g. date=Date,price=Close,volume=Volume), got "${text}"`,
      );
    }
    if (mapping[field] !== undefined) throw new UsageError(`--columns: ${field} is given twice in "${text}"`);
    mapping[field] = column;
  }
  if (mapping.date === undefined || mapping.price === undefined) {
    throw new UsageError(`--columns: expected at least date=COLUMN and price=COLUMN, got "${text}"`);
  }
  const ohlc = OHLC_FIELDS.filter((field) => mapping[field] !== undefined);
  if (ohlc.length !== 0 && ohlc.length !== 3) {
    throw new UsageError(`--columns: expected open, high and low together (or none of them), got "${text}"`);
  }
  return mapping;
}

/** The recognised layouts, for messages: `pricecast (date,price,volume,marketCap), …`. */
export function describeLayouts(): string {
  return LAYOUT_NAMES.map((name) => `${name} (${LAYOUTS[name].signature.join(',')})`).join('; ');
}

/**
 * The header indexes of a layout's names in `header` (-1: absent). The cryptodatadownload layout's
 * `Volume BASE` / `Volume QUOTE` are the first and second column named `Volume <something>`.
 */
function locate(names: readonly string[], header: readonly string[]): number[] {
  const normal = header.map(normalName);
  const volumes = normal.flatMap((name, i) => (/^volume \S/.test(name) ? [i] : []));
  return names.map((name) => {
    const n = normalName(name);
    if (n === 'volume base') return volumes.length === 2 ? volumes[0] : -1;
    if (n === 'volume quote') return volumes.length === 2 ? volumes[1] : -1;
    return normal.indexOf(n);
  });
}

function matches(name: LayoutName, header: readonly string[]): number {
  return locate(LAYOUTS[name].signature, header).filter((i) => i !== -1).length;
}

/**
 * Is `header` a banner line rather than a header: one field that is a URL (CryptoDataDownload writes
 * `https://www.CryptoDataDownload.com` above its header).
 */
export function isBannerLine(record: readonly string[]): boolean {
  return record.length === 1 && /^\s*(?:https?:\/\/|www\.)\S+\s*$/i.test(record[0]);
}

/**
 * The layout of a file with this header (names as written, BOM removed), per the options.
 * @throws InputError (line `headerLine`) when no layout fits, two fit, or a needed column is absent.
 */
export function resolveLayout(file: string, header: readonly string[], options: LayoutOptions = {}, headerLine = 1): Layout {
  let required: NumericField[] = [...new Set<NumericField>(['price', ...(options.required ?? VALUE_FIELDS)])];
  const headerText = header.join(',');
  let name: Layout['name'];
  let definition: LayoutDefinition;
  if (options.columns !== undefined && options.columns !== null) {
    const given = typeof options.columns === 'string' ? parseColumnMapping(options.columns) : options.columns;
    const columns = { date: null, price: null, volume: null, marketCap: null, ...none, ...given } as LayoutDefinition['columns'];
    name = 'columns';
    definition = { columns, signature: [], thousands: false, date: 'text' };
  } else if (options.format !== undefined && options.format !== 'auto') {
    name = options.format;
    definition = LAYOUTS[name];
  } else {
    const full = LAYOUT_NAMES.filter((n) => matches(n, header) === LAYOUTS[n].signature.length);
    // A layout whose signature another match's contains is that one's less specific form (coinmarketcap
    // inside coinmarketcap-multi): the more specific wins.
    const found = full.filter(
      (n) => !full.some((m) => m !== n && LAYOUTS[m].signature.length > LAYOUTS[n].signature.length && locate(LAYOUTS[n].signature, LAYOUTS[m].signature).every((i) => i !== -1)),
    );
    if (found.length > 1) {
      throw new InputError(
        file,
        headerLine,
        null,
        headerText,
        `a header of one layout; this one has the columns of ${found.join(' and ')}: choose with --format ${found.join('|')}`,
      );
    }
    if (found.length === 0) {
      // A header with two or more of a layout's columns is most likely that layout with columns missing
      // (the most such columns wins; ties go to the earlier layout).
      const near = LAYOUT_NAMES.reduce((best, n) => (matches(n, header) > matches(best, header) ? n : best));
      if (matches(near, header) < 2) {
        throw new InputError(
          file,
          headerLine,
          null,
          headerText,
          `a header of a recognised layout: ${describeLayouts()}; ` +
            'or name the columns with --columns date=COL,price=COL,volume=COL,marketCap=COL',
        );
      }
      name = near;
    } else name = found[0];
    definition = LAYOUTS[name];
  }
  const fieldNames = INPUT_FIELDS.map((field) => definition.columns[field]);
  const indexes = locate(fieldNames.map((n) => n ?? '\u0000'), header);
  const at = Object.fromEntries(INPUT_FIELDS.map((field, k) => [field, fieldNames[k] === null ? -1 : indexes[k]])) as Layout['at'];
  // open, high and low are read only together.
  if (OHLC_FIELDS.some((field) => at[field] === -1)) for (const field of OHLC_FIELDS) at[field] = -1;
  if (options.ohlcFor !== undefined && at.high === -1 && OHLC_FIELDS.some((field) => required.includes(field))) {
    throw new InputError(file, headerLine, null, null, ohlcRefusal(options.ohlcFor, name));
  }

  // No market cap in the file and the default features: run without it (docs/input.md#no-market-cap).
  if (definition.columns.marketCap === null && options.marketCapOptional === true) required = required.filter((f) => f !== 'marketCap');
  if (at.marketCap === -1 && required.includes('marketCap') && definition.columns.marketCap === null && name !== 'columns') {
    throw new InputError(
      file,
      headerLine,
      'marketCap',
      headerText,
      `a feature spec without marketCap: the ${name} layout has no market cap (its default features leave it out)`,
    );
  }
  const needed: InputField[] = ['date', ...required];
  const absent = needed.filter((field) => at[field] === -1);
  if (absent.length > 0) {
    const columnsOf = absent.map((field) => definition.columns[field] ?? field);
    const how =
      name === 'columns'
        ? `the columns given by --columns; missing ${absent.map((f) => `${f}=${definition.columns[f] ?? '?'}`).join(', ')}`
        : name === 'pricecast'
          ? `a header with the columns ${VALUE_FIELDS.reduce((text, f) => `${text}, ${f}`, 'date')} (any order); missing ${columnsOf.join(', ')}`
          : `the ${name} layout's columns (${definition.signature.join(',')}); missing ${columnsOf.join(', ')}` +
            '; for another layout name the columns with --columns date=COL,price=COL,volume=COL,marketCap=COL';
    throw new InputError(file, headerLine, columnsOf.join(', '), headerText, how);
  }
  const columns = Object.fromEntries(INPUT_FIELDS.map((field) => [field, at[field] === -1 ? null : header[at[field]]])) as Layout['columns'];
  return {
    name,
    columns,
    at,
    signature: definition.signature,
    thousands: definition.thousands || options.thousands === ',',
    date: definition.date,
  };
}
