/**
 * The fast CSV scanner on panels (the project's layout with an `asset` column, docs/input.md#assets)
 * against the csv-parse path it stands in for: on seeded panel files, `readDailyCsv` must return the
 * same DailyIngest field for field (columns bit for bit, each row's asset index, the names in order of
 * first appearance and the line each first appears on) without calling csv-parse; on a name it cannot
 * be sure of, it must step aside so that the csv-parse path returns the same result or throws the
 * same message. With worker threads, the chunks' name tables must merge in file order.
 */
import { stat } from 'node:fs/promises';
import { describe, expect, it, vi } from 'vitest';
import { useScratchFolder } from '../../helpers/scratch.js';
import { readDailyCsv, readDailyCsvWithCsvParse, type DailyIngest } from '../../../src/engine/ingest/csv.js';
import { PARALLEL_MIN_BYTES, scanInParallel, scanPlainCsv } from '../../../src/engine/ingest/csvScan.js';
import { fileIdentity } from '../../../src/engine/ingest/fileHash.js';

/** csv-parse's `parse`, counted: a read that never calls it took the scanner. */
const csvParse = vi.hoisted(() => ({ calls: 0 }));
vi.mock('csv-parse', async (importOriginal) => {
  const original = await importOriginal<typeof import('csv-parse')>();
  const parse = ((...args: unknown[]) => {
    csvParse.calls++;
    return (original.parse as (...a: unknown[]) => unknown)(...args);
  }) as typeof original.parse;
  return { ...original, parse };
});

const SMALL_CHUNK = 16 << 10;
const scratch = useScratchFolder('csvscan-assets');
const file = scratch.file;

/** A seeded stream of uniform [0, 1) numbers (xorshift32), so a failing case can be rerun. */
function uniform(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

interface PanelOptions {
  /** Each asset's cell spellings (one picked at random per row): `BTC`, `"BTC"`, ` BTC `. */
  assets: string[][];
  days: number;
  /** Rows date by date (each date every asset), asset by asset, or shuffled. */
  order: 'interleaved' | 'blocks' | 'random';
  seed: number;
  /** The header, in any order; `note` is an extra column of non-ASCII text. */
  columns?: string[];
  crlf?: boolean;
  bom?: boolean;
  /** A blank line after about this fraction of the rows. */
  blanks?: number;
  finalNewline?: boolean;
}

/** A seeded panel: a random walk per asset, numbers written in full (as the generators write them). */
function panel(options: PanelOptions): string {
  const next = uniform(options.seed);
  const columns = options.columns ?? ['date', 'asset', 'price', 'volume', 'marketCap'];
  const price = options.assets.map(() => 0.01 + 100 * next());
  const byAsset: string[][] = options.assets.map(() => []);
  for (let d = 0; d < options.days; d++) {
    const date = new Date(Date.UTC(2015, 0, 1 + d)).toISOString().slice(0, 10);
    options.assets.forEach((spellings, a) => {
      price[a] *= Math.exp(0.05 * (next() - 0.5));
      const cells: Record<string, string> = {
        date,
        asset: spellings[Math.floor(next() * spellings.length)],
        price: String(price[a]),
        volume: String(Math.round(1e6 * next()) / 100),
        marketCap: String(price[a] * 1e7),
        note: next() < 0.5 ? 'Algorand — ALGO' : 'ünïcödé',
      };
      byAsset[a].push(columns.map((c) => cells[c]).join(','));
    });
  }
  let rows: string[];
  if (options.order === 'blocks') rows = byAsset.flat();
  else {
    rows = Array.from({ length: options.days * options.assets.length }, (_, i) => byAsset[i % options.assets.length][Math.floor(i / options.assets.length)]);
    if (options.order === 'random') {
      for (let i = rows.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [rows[i], rows[j]] = [rows[j], rows[i]];
      }
    }
  }
  const lines = [columns.join(',')];
  for (const row of rows) {
    lines.push(row);
    if (options.blanks !== undefined && next() < options.blanks) lines.push('');
  }
  const end = options.crlf ? '\r\n' : '\n';
  return `${options.bom ? '\uFEFF' : ''}${lines.join(end)}${options.finalNewline === false ? '' : end}`;
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Field for field: typed arrays bit for bit, everything else deeply equal; no field more or less. */
function expectSameIngest(read: DailyIngest, reference: DailyIngest): void {
  expect(Object.keys(read).sort()).toEqual(Object.keys(reference).sort());
  for (const [key, value] of Object.entries(reference)) {
    const actual = (read as unknown as Record<string, unknown>)[key];
    if (key === 'columns') {
      expect(Object.keys(read.columns).sort()).toEqual(Object.keys(reference.columns).sort());
      for (const [name, column] of Object.entries(reference.columns)) {
        expect(sameBits((read.columns as unknown as Record<string, Float64Array>)[name], column as Float64Array), name).toBe(true);
      }
    } else if (ArrayBuffer.isView(value)) {
      expect(actual, key).toBeInstanceOf(value.constructor);
      expect(sameBits(actual as Int32Array, value as Int32Array), key).toBe(true);
    } else expect(actual, key).toEqual(value);
  }
}

/** readDailyCsv takes the scanner (no csv-parse call) and returns what the csv-parse path returns. */
async function expectScannedSameAsCsvParse(content: string): Promise<DailyIngest> {
  const path = await file(content);
  csvParse.calls = 0;
  const read = await readDailyCsv(path);
  expect(csvParse.calls, 'readDailyCsv called csv-parse').toBe(0);
  const reference = await readDailyCsvWithCsvParse(path);
  expect(reference.assetOf).toBeDefined();
  expectSameIngest(read, reference);
  return read;
}

/** The scanner steps aside; readDailyCsv then returns the csv-parse path's result or throws its message. */
async function expectCsvParseDecides(content: string): Promise<string | null> {
  const path = await file(content);
  expect(await scanPlainCsv(path, undefined, { threads: 0 })).toBeNull();
  expect(await scanInParallel(path, await fileIdentity(path), 2, SMALL_CHUNK)).toBeNull();
  return expectReadDailyCsvAsCsvParse(path);
}

async function expectReadDailyCsvAsCsvParse(path: string): Promise<string | null> {
  const reference = await readDailyCsvWithCsvParse(path).then(
    (ingest) => ({ ingest, message: null }),
    (error: Error) => ({ ingest: null, message: error.message }),
  );
  if (reference.ingest !== null) {
    expectSameIngest(await readDailyCsv(path), reference.ingest);
    return null;
  }
  const message = await readDailyCsv(path).then(
    () => null,
    (error: Error) => error.message,
  );
  expect(message).toBe(reference.message);
  return message;
}

const COINS = ['BTC', 'ETH', 'ALGO', 'Bitcoin Cash', 'usd-coin', 'wrapped_eth.v2', 'X'];

describe('panels the scanner reads: the same DailyIngest as the csv-parse path', () => {
  it('several assets interleaved date by date', async () => {
    const read = await expectScannedSameAsCsvParse(panel({ assets: COINS.map((c) => [c]), days: 300, order: 'interleaved', seed: 1 }));
    expect(read.assetNames).toEqual(COINS);
    expect(read.assetLines).toEqual(COINS.map((_c, k) => 2 + k));
    expect(read.asset).toBeUndefined();
  });

  it('in blocks, columns in another order, an extra non-ASCII column', async () => {
    const read = await expectScannedSameAsCsvParse(
      panel({ assets: COINS.map((c) => [c]), days: 250, order: 'blocks', seed: 2, columns: ['asset', 'note', 'marketCap', 'price', 'date', 'volume'] }),
    );
    expect(read.assetLines).toEqual(COINS.map((_c, k) => 2 + 250 * k));
  });

  it('shuffled rows, quoted names and spaces to trim (one name, several spellings)', async () => {
    const spellings = COINS.map((c) => [c, `"${c}"`, ` ${c}  `, `"\t${c} "`, `${c}\t`]);
    const read = await expectScannedSameAsCsvParse(panel({ assets: spellings, days: 200, order: 'random', seed: 3 }));
    expect([...read.assetNames!].sort()).toEqual([...COINS].sort());
  });

  it('CRLF with the asset last, a BOM, blank lines, no final newline', async () => {
    const spellings = COINS.map((c) => [c, `"${c}"`, ` ${c}`]);
    await expectScannedSameAsCsvParse(
      panel({ assets: spellings, days: 150, order: 'random', seed: 4, columns: ['date', 'price', 'volume', 'marketCap', 'asset'], crlf: true, bom: true, blanks: 0.02, finalNewline: false }),
    );
    await expectScannedSameAsCsvParse(panel({ assets: spellings, days: 150, order: 'interleaved', seed: 5, crlf: true, blanks: 0.01 }));
  });

  it('one asset: `asset` is set as well', async () => {
    const read = await expectScannedSameAsCsvParse(panel({ assets: [['ALGO', ' ALGO', '"ALGO"']], days: 400, order: 'blocks', seed: 6 }));
    expect(read.asset).toBe('ALGO');
    expect(read.assetNames).toEqual(['ALGO']);
  });

  it('the first appearance of a name is the line of its first spelling', async () => {
    const content = 'date,asset,price,volume,marketCap\n2021-01-01, ETH,2,1,1\n\n2021-01-01,BTC,3,1,1\n2021-01-02,ETH ,2,1,1\n2021-01-02,"BTC",3,1,1\n';
    const read = await expectScannedSameAsCsvParse(content);
    expect(read.assetNames).toEqual(['ETH', 'BTC']);
    expect(read.assetLines).toEqual([2, 4]);
    expect([...read.assetOf!]).toEqual([0, 1, 0, 1]);
  });
});

describe('names the scanner is not sure of: csv-parse decides, with the same result or message', () => {
  const header = 'date,asset,price,volume,marketCap\n';
  const rows = (cell: string) => `${header}2021-01-01,BTC,1,1,1\n2021-01-02,${cell},1,1,1\n2021-01-03,BTC,1,1,1\n`;
  it.each([
    ['a slash', 'BTC/USD'],
    ['an empty cell', ''],
    ['only spaces', '   '],
    ['a quoted comma', '"BTC,USD"'],
    ['non-ASCII letters', 'ünï'],
    ['an escaped quote', '"B""TC"'],
    ['a space after the closing quote', '"BTC" '],
    ['a space before the opening quote', ' "BTC"'],
    ['an unclosed quote', '"BTC'],
    ['a quote inside', 'B"TC'],
  ])('bad input: %s', async (_what, cell) => {
    const message = await expectCsvParseDecides(rows(cell));
    expect(message).toMatch(/:3: /);
  });

  it('a bad name in a CRLF file, and the asset column name in the message', async () => {
    const message = await expectCsvParseDecides('asset,date,price,volume,marketCap\r\nBTC,2021-01-01,1,1,1\r\nBTC USD!,2021-01-02,1,1,1\r\n');
    expect(message).toMatch(/:3: column asset: expected an asset name/);
  });

  it.each([
    ['a name padded with a no-break space (trim removes it)', rows('ETH\u00a0')],
    ['a quoted date', `${header}"2021-01-01",BTC,1,1,1\n`],
    ['a quoted price beside a quoted name', `${header}2021-01-01,"BTC","1",1,1\n`],
    ['a quoted header name', `date,"asset",price,volume,marketCap\n2021-01-01,BTC,1,1,1\n`],
  ])('valid: %s', async (_what, content) => {
    expect(await expectCsvParseDecides(content)).toBeNull();
  });

  it.each([
    ['`Asset`', 'date,Asset,price,volume,marketCap\n2021-01-01,BTC,1,1,1\n'],
    ['` asset` beside `asset`', 'date, asset,asset,price,volume,marketCap\n2021-01-01,BTC,ETH,1,1,1\n'],
    ['open, high and low', 'date,asset,open,high,low,price,volume,marketCap\n2021-01-01,BTC,1,2,0.5,1,1,1\n'],
  ])('a header the scanner leaves to csv-parse: %s', async (_what, content) => {
    const path = await file(content);
    csvParse.calls = 0;
    await expectReadDailyCsvAsCsvParse(path);
    expect(csvParse.calls).toBeGreaterThan(0);
  });
});

describe('with worker threads: chunk-local name tables merged in file order', () => {
  // 40 assets shuffled, then new ones in blocks: each 16 KiB chunk meets the names in its own order.
  const many = Array.from({ length: 40 }, (_v, k) => [`coin-${k}`, ` coin-${k}`, `"coin-${k}"`]);
  const shuffled = panel({ assets: many, days: 60, order: 'random', seed: 7, blanks: 0.01 });
  const late = panel({ assets: [['late-1'], ['coin-3'], ['late-2']], days: 300, order: 'blocks', seed: 8 });
  const content = shuffled + late.slice(late.indexOf('\n') + 1);

  it('the parallel scan equals the single-threaded scan and the csv-parse path', async () => {
    const path = await file(content);
    const identity = await fileIdentity(path);
    expect(identity.size).toBeGreaterThan(8 * SMALL_CHUNK);
    const parallel = await scanInParallel(path, identity, 2, SMALL_CHUNK);
    const single = await scanPlainCsv(path, undefined, { threads: 0 });
    const reference = await readDailyCsvWithCsvParse(path);
    for (const scanned of [parallel, single]) {
      expect(scanned).not.toBeNull();
      expect(scanned!.assetNames).toEqual(reference.assetNames);
      expect(scanned!.assetLines).toEqual(reference.assetLines);
      expect(sameBits(scanned!.assetOf!, reference.assetOf!)).toBe(true);
      expect(sameBits(scanned!.columns.price, reference.columns.price)).toBe(true);
      expect(scanned!.sha256).toBe(reference.sha256);
    }
    expect(reference.assetNames!.slice(-2)).toEqual(['late-1', 'late-2']);
  });

  it('a bad name in a later chunk: the same message as the csv-parse path', async () => {
    const lines = content.split('\n');
    lines[lines.length - 20] = lines[lines.length - 20].replace('late-2', 'late/2');
    const message = await expectCsvParseDecides(lines.join('\n'));
    expect(message).toMatch(new RegExp(`:${lines.length - 19}: column asset: .*late/2`));
  });

  it('a file big enough for readDailyCsv to use the workers', async () => {
    const assets = Array.from({ length: 40 }, (_v, k) => [`asset ${k}`, `"asset ${k}"`]);
    const big =
      panel({ assets, days: 3_500, order: 'interleaved', seed: 9, crlf: true }) +
      panel({ assets: [['newcomer'], ['asset 7']], days: 2_000, order: 'blocks', seed: 10, crlf: true }).replace(/^.*\r\n/, '');
    expect(Buffer.byteLength(big)).toBeGreaterThan(PARALLEL_MIN_BYTES);
    const path = await file(big);
    expect(await scanInParallel(path, await fileIdentity(path), 2, 4 << 20)).not.toBeNull();
    const read = await expectScannedSameAsCsvParse(big);
    expect(read.assetNames).toHaveLength(41);
    expect(read.assetLines!.at(-1)).toBe(2 + 40 * 3_500);
  });
});
