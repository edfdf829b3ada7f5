/**
 * Input files for the parity suite, made by code from the seeded fixtures generator (no data from
 * elsewhere). Each returns the path of a CSV it wrote under `dir`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CSV_HEADER, SeededRandom, generateDailyCsv, type GenerateOptions } from '../../fixtures/generate.js';
import { ROOT } from './cli.js';
import { lcg } from './lcg.js';

export const DEFAULT_CSV = join(ROOT, 'fixtures', 'default.csv');
/** The real history: the original project's CoinGecko export of Algorand, bundled unchanged. */
export const ALGORAND_CSV = join(ROOT, 'fixtures', 'algorand.csv');

export function generated(dir: string, name: string, options: GenerateOptions): string {
  const chunks: string[] = [];
  generateDailyCsv(options, (chunk) => chunks.push(chunk));
  const file = join(dir, name);
  writeFileSync(file, chunks.join(''));
  return file;
}

function dataLines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').slice(1).filter((line) => line !== '');
}

/** The default data with its rows in a seeded random order (Fisher-Yates). */
export function shuffledDefault(dir: string, seed: number): string {
  const lines = dataLines(DEFAULT_CSV);
  const random = new SeededRandom(seed);
  for (let i = lines.length - 1; i > 0; i--) {
    const j = Math.floor(random.nextDouble() * (i + 1));
    [lines[i], lines[j]] = [lines[j], lines[i]];
  }
  const file = join(dir, 'shuffled.csv');
  writeFileSync(file, `${CSV_HEADER}\n${lines.join('\n')}\n`);
  return file;
}

/**
 * A generated series where `repeats` dates appear two or three times at scattered places in the file,
 * each copy with different values: only the last copy in file order may survive.
 */
export function repeatedDates(dir: string, rows: number, repeats: number, seed: number): string {
  const source = generated(dir, 'repeated-source.csv', { rows, seed, repeatedDate: false, zeroMarketCap: false });
  const lines = dataLines(source);
  const random = new SeededRandom(seed + 1);
  for (let k = 0; k < repeats; k++) {
    const original = lines[Math.floor(random.nextDouble() * lines.length)];
    const [date, price, volume, marketCap] = original.split(',');
    const copies = 1 + Math.floor(random.nextDouble() * 2);
    for (let c = 0; c < copies; c++) {
      const factor = 0.9 + random.nextDouble() * 0.2;
      const copy = [date, Number(price) * factor, Number(volume) * factor, Number(marketCap) * factor].join(',');
      lines.splice(Math.floor(random.nextDouble() * (lines.length + 1)), 0, copy);
    }
  }
  const file = join(dir, 'repeated.csv');
  writeFileSync(file, `${CSV_HEADER}\n${lines.join('\n')}\n`);
  return file;
}

/** A generated series whose `column` holds one exactly representable value on every row. */
export function constantColumn(dir: string, column: 'volume' | 'marketCap', value: number): string {
  const lines = dataLines(generated(dir, 'constant-source.csv', { rows: 400, seed: 11 }));
  const index = column === 'volume' ? 2 : 3;
  const rewritten = lines.map((line) => {
    const fields = line.split(',');
    fields[index] = String(value);
    return fields.join(',');
  });
  const file = join(dir, `constant-${column}.csv`);
  writeFileSync(file, `${CSV_HEADER}\n${rewritten.join('\n')}\n`);
  return file;
}

/**
 * Collinear daily rows (docs/fit.md#fallback-solver): a seeded price walk in cents, volume = 10·cents + 5e5
 * and marketCap = 1.9e5·cents + 1e8, both exactly affine in price.
 */
export function affineCsv(dir: string, name: string, rows: number, seed: number): string {
  const random = lcg(seed);
  const lines = ['date,price,volume,marketCap'];
  let cents = 300_000;
  const start = Date.UTC(2020, 0, 1);
  for (let i = 0; i < rows; i++) {
    cents = Math.max(1000, cents + Math.floor(random() * 8001) - 4000);
    const date = new Date(start + i * 86_400_000).toISOString().slice(0, 10);
    const price = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
    lines.push(`${date},${price},${10 * cents + 500_000},${190_000 * cents + 100_000_000}`);
  }
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
