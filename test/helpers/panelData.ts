/**
 * A seeded panel for tests: several assets' daily histories in one CSV (`date,asset,price,volume,marketCap`,
 * the pricecast layout with its asset column), rows in date order with the assets interleaved as vendors
 * write them. Each asset has its own price level, start day and length, and its returns carry a little
 * momentum (r[t] = φ·r[t−1] + noise), so indicators have something to find. `flat` keeps an asset's price
 * constant (persistence mse 0). `byAsset` gives each asset's rows alone, in the same order, with the
 * same header: the file a one-asset run reads.
 */
import { lcg } from './lcg.js';

export interface PanelAssetSpec {
  name: string;
  days: number;
  /** Days after 2020-01-01 of its first row (default 0). */
  start?: number;
  /** Its first price (default 100). */
  level?: number;
  /** Momentum φ of its daily returns (default 0.25). */
  momentum?: number;
  /** A price that never moves. */
  flat?: boolean;
}

export const PANEL_HEADER = 'date,asset,price,volume,marketCap';

export interface GeneratedPanel {
  csv: string;
  byAsset: Map<string, string>;
}

export function panelCsv(assets: readonly PanelAssetSpec[], seed = 11): GeneratedPanel {
  const random = lcg(seed);
  const normal = () => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const rows: { day: number; order: number; asset: string; line: string }[] = [];
  assets.forEach((spec, order) => {
    let price = spec.level ?? 100;
    let r = 0;
    const phi = spec.momentum ?? 0.25;
    for (let i = 0; i < spec.days; i++) {
      const day = (spec.start ?? 0) + i;
      if (!spec.flat) {
        r = phi * r + 0.02 * normal();
        price *= Math.exp(r);
      }
      const volume = Math.round(1e6 * (1 + random()) * (spec.level ?? 100));
      const marketCap = price * 1e7;
      rows.push({ day, order, asset: spec.name, line: `${isoDay(day)},${spec.name},${price.toPrecision(10)},${volume},${marketCap.toPrecision(12)}` });
    }
  });
  rows.sort((a, b) => a.day - b.day || a.order - b.order);
  const csv = [PANEL_HEADER, ...rows.map((row) => row.line)].join('\n') + '\n';
  const byAsset = new Map(
    assets.map((spec) => [spec.name, [PANEL_HEADER, ...rows.filter((row) => row.asset === spec.name).map((row) => row.line)].join('\n') + '\n']),
  );
  return { csv, byAsset };
}

function isoDay(offset: number): string {
  return new Date(Date.UTC(2020, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10);
}
