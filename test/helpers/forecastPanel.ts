/**
 * A seeded panel for the forecast's panel tests (test/forecast/panel.test.ts): a few assets, each a
 * geometric random walk of its own price level, in the contract's layout with an `asset` column,
 * rows interleaved day by day (as vendors' multi-asset exports come), and each asset's own file
 * holding exactly its lines of the panel in the same order, so that "the panel" and "each asset alone"
 * are the same rows.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lcg } from './lcg.js';

export interface PanelAsset {
  name: string;
  /** Days of data. */
  days: number;
  /** Days after the panel's first day on which this asset starts (default 0). */
  startOffset?: number;
  /** Price on its first day. */
  price: number;
}

export interface GeneratedPanel {
  /** The panel file. */
  panel: string;
  /** Each asset's lines alone, by name. */
  alone: Record<string, string>;
  /** Each asset's last day, YYYY-MM-DD. */
  lastDay: Record<string, string>;
}

export const PANEL_HEADER = 'date,price,volume,marketCap,asset';
const FIRST_DAY = Date.UTC(2023, 0, 1) / 86_400_000;

function dayText(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** Writes `<name>.csv` (the panel) and `<name>-<asset>.csv` (each asset alone) under dir. */
export function writeForecastPanel(dir: string, name: string, assets: readonly PanelAsset[], seed = 7): GeneratedPanel {
  const random = lcg(seed);
  const lines = new Map<string, string[]>();
  const byDay: { day: number; line: string; asset: string }[] = [];
  const lastDay: Record<string, string> = {};
  for (const asset of assets) {
    const own: string[] = [];
    let price = asset.price;
    let supply = 1e8;
    const start = FIRST_DAY + (asset.startOffset ?? 0);
    for (let i = 0; i < asset.days; i++) {
      const day = start + i;
      // log-normal steps of about 3% a day, a small drift; volume follows the price; the market cap too,
      // times a supply that grows unevenly (a fixed supply would make it collinear with the price)
      const step = (random() + random() + random() - 1.5) * 0.06 + 0.001;
      price *= Math.exp(step);
      supply *= 1 + random() * 0.002;
      const volume = price * (1e6 + Math.floor(random() * 5e5));
      const marketCap = price * supply;
      const line = `${dayText(day)},${price.toPrecision(12)},${volume.toPrecision(12)},${marketCap.toPrecision(12)},${asset.name}`;
      own.push(line);
      byDay.push({ day, line, asset: asset.name });
    }
    lines.set(asset.name, own);
    lastDay[asset.name] = dayText(start + asset.days - 1);
  }
  // day by day, the assets of a day in a seeded order
  const order = byDay.map((row) => ({ ...row, key: random() })).sort((a, b) => a.day - b.day || a.key - b.key);
  const panel = join(dir, `${name}.csv`);
  writeFileSync(panel, `${PANEL_HEADER}\n${order.map((row) => row.line).join('\n')}\n`);
  const alone: Record<string, string> = {};
  for (const asset of assets) {
    const file = join(dir, `${name}-${asset.name}.csv`);
    const own = order.filter((row) => row.asset === asset.name).map((row) => row.line);
    writeFileSync(file, `${PANEL_HEADER}\n${own.join('\n')}\n`);
    alone[asset.name] = file;
  }
  return { panel, alone, lastDay };
}
