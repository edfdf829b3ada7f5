/**
 * A seeded panel CSV for tests (docs/input.md#panels): the project's layout with an asset column, each
 * asset a geometric random walk of its own price level, rows in date-major order as downloads of many
 * coins usually come (every asset's row for a day, then the next day).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lcg } from './lcg.js';

export interface PanelAsset {
  name: string;
  days: number;
  /** First day, as days after 2020-01-01 (default 0). */
  start?: number;
  price?: number;
}

/** The CSV text; `header` default `date,price,volume,marketCap,asset`. */
export function panelCsvText(assets: readonly PanelAsset[], seed: number, header = 'date,price,volume,marketCap,asset'): string {
  const random = lcg(seed);
  const lines = [header];
  const state = assets.map((asset) => ({ ...asset, start: asset.start ?? 0, price: asset.price ?? 1 + 100 * random() }));
  const last = Math.max(...state.map((a) => a.start + a.days));
  const origin = Date.UTC(2020, 0, 1);
  for (let day = 0; day < last; day++) {
    const date = new Date(origin + day * 86_400_000).toISOString().slice(0, 10);
    for (const asset of state) {
      if (day < asset.start || day >= asset.start + asset.days) continue;
      asset.price *= Math.exp(0.04 * (random() - 0.5));
      const volume = asset.price * (1e5 + 1e6 * random());
      const cap = asset.price * 1e7 * (1 + 0.01 * random());
      lines.push(header.startsWith('date,price') ? `${date},${asset.price},${volume},${cap},${asset.name}` : `${asset.name},${date},${asset.price},${volume},${cap}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function panelCsv(dir: string, name: string, assets: readonly PanelAsset[], seed: number): string {
  const path = join(dir, name);
  writeFileSync(path, panelCsvText(assets, seed));
  return path;
}

/** The rows of one asset of a panel CSV text, as a file of its own (header kept). */
export function oneAssetText(text: string, asset: string): string {
  const [header, ...rows] = text.trimEnd().split('\n');
  const at = header.split(',').indexOf('asset');
  return `${[header, ...rows.filter((row) => row.split(',')[at] === asset)].join('\n')}\n`;
}
