/**
 * A panel's forecast table on S3 (src/forecast/s3Table.ts) against moto in server mode: an s3:// panel
 * in, an s3:// table out, through the CLI. The partition holds the same bytes a local run writes (the
 * part file with its asset column, _forecast.json with every asset and the skipped ones), SSE on every
 * object; a second origin date adds a partition; re-running a day leaves every object as it was; bad
 * input writes nothing.
 */
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { writeForecastPanel, type GeneratedPanel } from '../helpers/forecastPanel.js';
import { openMotoSession, type MotoSession } from '../helpers/moto.js';

let session: MotoSession;
let data: GeneratedPanel;
const BUCKET = 'lake';
const TABLE = `s3://${BUCKET}/prices/panel-forecasts`;
const INPUT = `s3://${BUCKET}/in/panel.csv`;

beforeAll(async () => {
  session = await openMotoSession('forecast-panel-s3');
  data = writeForecastPanel(session.work, 'panel', [
    { name: 'AAA', days: 120, price: 10 },
    { name: 'BBB', days: 118, price: 200 },
    { name: 'CCC', days: 110, startOffset: 10, price: 0.25 },
  ]);
  await session.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await session.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'in/panel.csv', Body: await readFile(data.panel) }));
}, 120_000);
afterAll(async () => {
  await session?.close();
});

async function objects(prefix = 'prices/panel-forecasts/'): Promise<Record<string, string>> {
  const out = await session.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return Object.fromEntries((out.Contents ?? []).map((o) => [o.Key!.slice(prefix.length), o.ETag!]));
}

async function body(key: string): Promise<Uint8Array> {
  const out = await session.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `prices/panel-forecasts/${key}` }));
  return out.Body!.transformToByteArray();
}

const forecast = (args: string[]) => runCli(['forecast', '--input', INPUT, '--output', TABLE, '--horizon', '2', ...args], { env: session.moto.env });

describe('a panel forecast with s3:// input and output', () => {
  it('writes the partition a local run writes, byte for byte, SSE on every object', async () => {
    const origin = data.lastDay.AAA;
    const run = await forecast(['--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(new RegExp(`^skipped asset BBB: too few rows: expected rows up to the run's origin date ${origin}`))]);
    const doc = JSON.parse(run.stdout);
    expect(doc.originDate).toBe(origin);
    expect(doc.assets.map((a: { asset: string }) => a.asset)).toEqual(['AAA', 'CCC']);
    expect(doc.skipped.map((s: { asset: string }) => s.asset)).toEqual(['BBB']);

    const keys = Object.keys(await objects()).sort();
    expect(keys).toEqual(['_SUCCESS', `origin_date=${origin}/_forecast.json`, expect.stringMatching(new RegExp(`^origin_date=${origin}/part-00000-[0-9a-f-]{36}\\.snappy\\.parquet$`))]);
    for (const key of keys) {
      const head = await session.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `prices/panel-forecasts/${key}` }));
      expect(head.ServerSideEncryption, key).toBe('AES256');
    }
    expect(JSON.parse(Buffer.from(await body(`origin_date=${origin}/_forecast.json`)).toString('utf8'))).toEqual(doc);

    const local = join(session.work, 'local');
    const mine = await runCli(['forecast', '--input', data.panel, '--output', local, '--horizon', '2', '--json']);
    expect(mine.code, mine.stderr).toBe(0);
    const localDoc = JSON.parse(mine.stdout);
    expect(doc.assets).toEqual(localDoc.assets);
    expect(doc.skipped).toEqual(localDoc.skipped);
    expect(doc.input.sha256).toBe(localDoc.input.sha256);
    const part = keys.find((k) => k.endsWith('.parquet'))!;
    const localParts = (await readdir(join(local, `origin_date=${origin}`))).filter((n) => n.endsWith('.parquet'));
    expect(localParts).toEqual([part.split('/')[1]]);
    expect(Buffer.from(await body(part)).equals(await readFile(join(local, `origin_date=${origin}`, localParts[0])))).toBe(true);
  }, 120_000);

  it('another origin date adds a partition; re-running a day leaves every object as it was', async () => {
    const earlier = data.lastDay.BBB;
    const run = await forecast(['--as-of', earlier]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`for 3 assets from ${earlier}\\n`));
    const before = await objects();
    expect(Object.keys(before).filter((k) => k.endsWith('.parquet'))).toHaveLength(2);
    for (const args of [[], ['--as-of', earlier]]) {
      const again = await forecast(args);
      expect(again.code, again.stderr).toBe(0);
    }
    expect(await objects()).toEqual(before);
  }, 120_000);

  it('bad input (an unknown asset, a skipped asset named) writes nothing', async () => {
    const before = await objects();
    for (const [assets, message] of [
      ['AAA,ZZZ', /expected --assets to name assets of this file; this one is not in it \(found 3: AAA, BBB, CCC\) \(got "ZZZ"\)/],
      ['AAA,BBB', /expected rows up to the run's origin date .* \(got "BBB"\)/],
    ] as const) {
      const run = await forecast(['--assets', assets]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    }
    expect(await objects()).toEqual(before);
  }, 120_000);
});
