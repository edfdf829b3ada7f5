/**
 * Input layouts (docs/input.md#layouts): which header column holds each of the engine's four input fields,
 * recognised from the header, forced with `--format`, or given with `--columns`.
 *
 *   pricecast      date,price,volume,marketCap (any order, other columns ignored): the contract's own
 *   coingecko      snapped_at,price,market_cap,total_volume (CoinGecko's CSV export)
 *   coinmarketcap  Date,Open,High,Low,Close,Volume,Market Cap (CoinMarketCap's historical data; Close is
 *                  the price; numbers may have thousands separators)
 *   columns        --columns date=COL,price=COL,volume=COL,marketCap=COL, for anything else
 *
 * A header that matches two layouts is refused rather than guessed (`--format` picks one).
 * `pyspark/price_regression.py` declares the same table (LAYOUTS) and the same rules.
 */
import { InputError, UsageError } from '../errors.js';

/** The engine's input fields, in the order of its columns. */
export const INPUT_FIELDS = ['date', 'price', 'volume', 'marketCap'] as const;
export type InputField = (typeof INPUT_FIELDS)[number];
/** The numeric fields: a cell of one of these may be missing (empty or `-`), see missing.ts. */
export const VALUE_FIELDS = ['price', 'volume', 'marketCap'] as const;
export type ValueField = (typeof VALUE_FIELDS)[number];

export const LAYOUT_NAMES = ['pricecast', 'coingecko', 'coinmarketcap'] as const;
export type LayoutName = (typeof LAYOUT_NAMES)[number];
export const FORMATS = ['auto', ...LAYOUT_NAMES] as const;
export type InputFormat = (typeof FORMATS)[number];

export interface Layout {
  /** A vendor layout's name, or `columns` for a `--columns` mapping. */
  name: LayoutName | 'columns';
  /** The header name of each field; null: the file has no such column (only with `--columns`). */
  columns: Record<InputField, string | null>;
  /** Header names that identify the layout (all must be present). */
  signature: readonly string[];
  /** Numbers may be written with `,` thousands separators (`"1,551,050,000"`). */
  thousands: boolean;
}

export const LAYOUTS: Record<LayoutName, Layout> = {
  pricecast: {
    name: 'pricecast',
    columns: { date: 'date', price: 'price', volume: 'volume', marketCap: 'marketCap' },
    signature: ['date', 'price', 'volume', 'marketCap'],
    thousands: false,
  },
  coingecko: {
    name: 'coingecko',
    columns: { date: 'snapped_at', price: 'price', volume: 'total_volume', marketCap: 'market_cap' },
    signature: ['snapped_at', 'price', 'market_cap', 'total_volume'],
    thousands: false,
  },
  coinmarketcap: {
    name: 'coinmarketcap',
    columns: { date: 'Date', price: 'Close', volume: 'Volume', marketCap: 'Market Cap' },
    signature: ['Date', 'Open', 'High', 'Low', 'Close', 'Volume', 'Market Cap'],
    thousands: true,
  },
};

/** How the input is to be read: the `--format`, `--columns`, `--thousands`, `--missing` settings. */
export interface LayoutOptions {
  /** Default `auto`: recognised from the header. */
  format?: InputFormat;
  /** `--columns`: the header name of each field (or its `date=Date,price=Close` text); overrides the format. */
  columns?: Partial<Record<InputField, string>> | string;
  /** `--thousands ,`: allow `1,234.5` in every layout (CoinMarketCap's allows it anyway). */
  thousands?: ',' | null;
  /**
   * The value fields the run needs (the feature spec's inputs; price always, it is the label). A field
   * outside it may be absent from the file (`--columns` without it); default: all three.
   */
  required?: readonly ValueField[];
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
  return mapping;
}

/** The recognised layouts, for messages: `pricecast (date,price,volume,marketCap), …`. */
export function describeLayouts(): string {
  return LAYOUT_NAMES.map((name) => `${name} (${LAYOUTS[name].signature.join(',')})`).join('; ');
}

/**
 * The layout of a file with this header (names as written, BOM removed), per the options.
 * @throws InputError (line 1) when no layout fits, two fit, or a needed column is absent.
 */
export function resolveLayout(file: string, header: readonly string[], options: LayoutOptions = {}): Layout {
  const names = new Set(header);
  const required = options.required ?? VALUE_FIELDS;
  const headerText = header.join(',');
  let layout: Layout;
  if (options.columns !== undefined && options.columns !== null) {
    const given = typeof options.columns === 'string' ? parseColumnMapping(options.columns) : options.columns;
    const columns = { date: null, price: null, volume: null, marketCap: null, ...given } as Layout['columns'];
    layout = { name: 'columns', columns, signature: [], thousands: false };
  } else if (options.format !== undefined && options.format !== 'auto') {
    layout = LAYOUTS[options.format];
  } else {
    const matches = LAYOUT_NAMES.filter((name) => LAYOUTS[name].signature.every((column) => names.has(column)));
    if (matches.length > 1) {
      throw new InputError(
        file,
        1,
        null,
        headerText,
        `a header of one layout; this one has the columns of ${matches.join(' and ')}: choose with --format ${matches.join('|')}`,
      );
    }
    if (matches.length === 0) {
      // A header with two or more of a layout's columns is most likely that layout with columns missing
      // (the most such columns wins; ties go to the earlier layout).
      const overlap = (name: LayoutName) => LAYOUTS[name].signature.filter((column) => names.has(column)).length;
      const near = LAYOUT_NAMES.reduce((best, name) => (overlap(name) > overlap(best) ? name : best));
      if (overlap(near) >= 2) layout = LAYOUTS[near];
      else {
        throw new InputError(
          file,
          1,
          null,
          headerText,
          `a header of a recognised layout: ${describeLayouts()}; ` +
            'or name the columns with --columns date=COL,price=COL,volume=COL,marketCap=COL',
        );
      }
    } else layout = LAYOUTS[matches[0]];
  }
  // Every field the run needs must be a column of the file.
  const needed: InputField[] = ['date', ...VALUE_FIELDS.filter((f) => f === 'price' || required.includes(f))];
  const absent = needed.filter((field) => layout.columns[field] === null || !names.has(layout.columns[field]!));
  if (absent.length > 0) {
    const columnsOf = absent.map((field) => layout.columns[field] ?? field);
    const how =
      layout.name === 'columns'
        ? `the columns given by --columns; missing ${absent.map((f) => `${f}=${layout.columns[f] ?? '?'}`).join(', ')}`
        : layout.name === 'pricecast'
          ? `a header with the columns ${INPUT_FIELDS.join(', ')} (any order); missing ${columnsOf.join(', ')}`
          : `the ${layout.name} layout's columns (${layout.signature.join(',')}); missing ${columnsOf.join(', ')}` +
            '; for another layout name the columns with --columns date=COL,price=COL,volume=COL,marketCap=COL';
    throw new InputError(file, 1, columnsOf.join(', '), headerText, how);
  }
  const thousands = layout.thousands || options.thousands === ',';
  return thousands === layout.thousands ? layout : { ...layout, thousands };
}
