/**
 * A panel (docs/input.md#panels): a file whose asset column names several assets. Every later stage
 * runs per asset, so the first thing done with a panel is to cut it into one ingest per asset, each
 * exactly what a file holding only that asset's rows (in the same order) would have given: same
 * columns, same missing cells with the same file lines, same layout. Nothing of one asset reaches
 * another after this point.
 */
import { InputError } from '../errors.js';
import type { DailyIngest, MissingCellSource } from '../ingest/csv.js';
import type { DailyColumns } from '../types.js';
import { checkOhlc } from '../ingest/valueRules.js';

/**
 * One asset's rows, as a file of its own would have been read (`ingest.asset` is its name). `ingest` is
 * cut from the panel each time it is read (not kept), so a run that takes one asset at a time never
 * holds a second copy of the whole panel.
 */
export interface AssetIngest {
  asset: string;
  /** Rows the asset has in the file. */
  rows: number;
  readonly ingest: DailyIngest;
}

/** An asset left out of the work, and why (one line, docs/input.md#panels). */
export interface SkippedAsset {
  asset: string;
  reason: string;
}

/** An asset's reason for being skipped: too few rows, and what the work expected (docs/input.md#panels). */
export function tooFewRowsReason(expected: string): string {
  return `too few rows: expected ${expected}`;
}

/** The one stderr line every command prints for a skipped asset. */
export function skippedAssetLine({ asset, reason }: SkippedAsset): string {
  return `skipped asset ${asset}: ${reason}\n`;
}

/** How many names a refusal lists before "… N more". */
const NAMES_LISTED = 10;

/** Whether the file is a panel: it has an asset column naming more than one asset. */
export function isPanel(ingest: DailyIngest): boolean {
  return (ingest.assetNames?.length ?? 0) > 1;
}

/**
 * One ingest per asset, in the order of their names (code-unit order, as Spark's `orderBy("asset")`),
 * or only those `wanted` names (`--assets`, in the order of the names too). A file without an asset
 * column is one asset with no name; `wanted` then refuses, as no asset can be chosen.
 */
export function splitAssets(ingest: DailyIngest, wanted?: readonly string[]): AssetIngest[] {
  const names = ingest.assetNames;
  if (names === undefined || ingest.assetOf === undefined) {
    if (wanted !== undefined && wanted.length > 0) {
      throw new InputError(ingest.file, 0, null, null, `an asset column for --assets to choose from; this file has none (name it with --columns asset=COL)`);
    }
    return [{ asset: ingest.asset ?? '', rows: ingest.rowsRead, ingest }];
  }
  const chosen = wanted === undefined || wanted.length === 0 ? [...names] : checkWanted(ingest, names, wanted);
  chosen.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const indexOf = new Map(names.map((name, k) => [name, k]));
  const rowsOf = rowsByAsset(ingest.assetOf, names.length);
  return chosen.map((asset) => {
    const rows = rowsOf[indexOf.get(asset)!];
    return {
      asset,
      rows: rows.length,
      get ingest() {
        return selectAsset(ingest, asset, rows);
      },
    };
  });
}

/** `--assets` names, each of which must be in the file (the names found are listed when one is not). */
function checkWanted(ingest: DailyIngest, names: readonly string[], wanted: readonly string[]): string[] {
  const found = new Set(names);
  const unknown = wanted.filter((name) => !found.has(name));
  if (unknown.length > 0) {
    const sorted = [...names].sort();
    const listed = sorted.slice(0, NAMES_LISTED).join(', ') + (sorted.length > NAMES_LISTED ? `, … ${sorted.length - NAMES_LISTED} more` : '');
    throw new InputError(
      ingest.file,
      0,
      ingest.assetColumn ?? 'asset',
      unknown[0],
      `--assets to name assets of this file; ${unknown.length === 1 ? 'this one is' : `${unknown.length} are`} not in it (found ${names.length}: ${listed})`,
    );
  }
  return [...new Set(wanted)];
}

/** Each asset's row positions in file order. */
function rowsByAsset(assetOf: Int32Array, count: number): Int32Array[] {
  const sizes = new Int32Array(count);
  for (let i = 0; i < assetOf.length; i++) sizes[assetOf[i]]++;
  const rows = Array.from(sizes, (size) => new Int32Array(size));
  const filled = new Int32Array(count);
  for (let i = 0; i < assetOf.length; i++) {
    const a = assetOf[i];
    rows[a][filled[a]++] = i;
  }
  return rows;
}

/** Rows whose open/high/low disagree with the close (accepted under `--ohlc-check off`). */
function countOhlcInconsistent({ open, high, low, price }: DailyColumns): number {
  if (!open || !high || !low) return 0;
  let count = 0;
  for (let r = 0; r < price.length; r++) if (checkOhlc(open[r], high[r], low[r], price[r]) !== null) count++;
  return count;
}

function pick(column: Float64Array, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = column[rows[k]];
  return out;
}

/** The ingest of one asset: its rows, in file order, with its missing cells renumbered to its rows. */
function selectAsset(ingest: DailyIngest, asset: string, rows: Int32Array): DailyIngest {
  const from = ingest.columns;
  const day = new Int32Array(rows.length);
  for (let k = 0; k < rows.length; k++) day[k] = from.day[rows[k]];
  const columns: DailyColumns = { day, price: pick(from.price, rows), volume: pick(from.volume, rows), marketCap: pick(from.marketCap, rows) };
  if (from.open && from.high && from.low) {
    columns.open = pick(from.open, rows);
    columns.high = pick(from.high, rows);
    columns.low = pick(from.low, rows);
  }
  const missingCells = new Map<number, MissingCellSource>();
  if (ingest.missingCells.size > 0) {
    for (let k = 0; k < rows.length; k++) {
      const cell = ingest.missingCells.get(rows[k]);
      if (cell !== undefined) missingCells.set(k, cell);
    }
  }
  const { assetOf: _assetOf, assetNames: _names, assetLines: _lines, seconds, ohlcInconsistentRows, ...rest } = ingest;
  return {
    ...rest,
    columns,
    rowsRead: rows.length,
    missingCells,
    asset,
    ...(seconds !== undefined ? { seconds: pick(seconds, rows) } : {}),
    // The file's count, recounted on this asset's rows (docs/input.md#open-high-and-low).
    ...(ohlcInconsistentRows !== undefined ? { ohlcInconsistentRows: ohlcInconsistentRows === 0 ? 0 : countOhlcInconsistent(columns) } : {}),
  };
}
