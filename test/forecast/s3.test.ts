/**
 * The forecast table on S3 (src/forecast/s3Table.ts) against moto in server mode: an s3:// input and
 * output through the CLI, SSE on every object, a partition per day; a replace killed between the write
 * and the delete (PRICECAST_TEST_CRASH_AT=s3-written) leaves the old and the new part side by side and
 * the next run of that day leaves one; other days' objects untouched; a foreign partition refused;
 * predict and experiment read an s3:// input too.
 */
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { DEFAULT_CSV } from '../helpers/datasets.js';
import { openMotoSession, type MotoSession } from '../helpers/moto.js';

let session: MotoSession;
const BUCKET = 'lake';
const TABLE = `s3://${BUCKET}/prices/forecasts`;
const INPUT = `s3://${BUCKET}/in/default.csv`;

beforeAll(async () => {
  session = await openMotoSession('forecast-s3');
  await session.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await session.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'in/default.csv', Body: readFileSync(DEFAULT_CSV) }));
}, 120_000);
afterAll(async () => {
  await session?.close();
});

async function objects(prefix = 'prices/forecasts/'): Promise<Record<string, string>> {
  const out = await session.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return Object.fromEntries((out.Contents ?? []).map((o) => [o.Key!.slice(prefix.length), o.ETag!]));
}

const forecast = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(['forecast', '--input', INPUT, '--output', TABLE, ...args], { env: { ...session.moto.env, ...env } });

describe('forecast with s3:// input and output', () => {
  it('writes one partition per day, SSE on every object, _SUCCESS at the root', async () => {
    for (const day of ['2022-01-10', '2022-01-11']) {
      const run = await forecast(['--as-of', day, '--horizon', '2']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`wrote ${TABLE}/origin_date=${day}/`);
    }
    const keys = Object.keys(await objects()).sort();
    expect(keys).toEqual([
      '_SUCCESS',
      'origin_date=2022-01-10/_forecast.json',
      expect.stringMatching(/^origin_date=2022-01-10\/part-00000-[0-9a-f-]{36}\.snappy\.parquet$/),
      'origin_date=2022-01-11/_forecast.json',
      expect.stringMatching(/^origin_date=2022-01-11\/part-00000-[0-9a-f-]{36}\.snappy\.parquet$/),
    ]);
    for (const key of keys) {
      const head = await session.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `prices/forecasts/${key}` }));
      expect(head.ServerSideEncryption, key).toBe('AES256');
    }
  }, 120_000);

  it('killed between the write and the delete: old and new side by side; the next run leaves one; other days untouched', async () => {
    const before = await objects();
    const otherDay = Object.fromEntries(Object.entries(before).filter(([k]) => !k.startsWith('origin_date=2022-01-10/')));
    const crashed = await forecast(['--as-of', '2022-01-10', '--horizon', '3'], { PRICECAST_TEST_CRASH_AT: 's3-written' });
    expect(crashed.code).not.toBe(0);
    const between = Object.keys(await objects('prices/forecasts/origin_date=2022-01-10/'));
    expect(between.filter((k) => k.endsWith('.parquet'))).toHaveLength(2);

    const rerun = await forecast(['--as-of', '2022-01-10', '--horizon', '3']);
    expect(rerun.code, rerun.stderr).toBe(0);
    const after = await objects();
    expect(Object.keys(after).filter((k) => k.startsWith('origin_date=2022-01-10/') && k.endsWith('.parquet'))).toHaveLength(1);
    for (const [key, etag] of Object.entries(otherDay)) if (key !== '_SUCCESS') expect(after[key], key).toBe(etag);
  }, 120_000);

  it('predict and experiment read an s3:// input through the same client', async () => {
    const predicted = await runCli(['predict', '--input', INPUT, '--output', join(session.work, 'predictions'), '--json'], { env: session.moto.env });
    expect(predicted.code, predicted.stderr).toBe(0);
    const local = await runCli(['predict', '--input', DEFAULT_CSV, '--output', join(session.work, 'predictions-local'), '--json']);
    const [remote, mine] = [JSON.parse(predicted.stdout), JSON.parse(local.stdout)];
    expect(remote.input.sha256).toBe(mine.input.sha256);
    expect(remote.model).toEqual(mine.model);
    const experiment = await runCli(['experiment', '--input', INPUT, '--set', 'p=price', '--json', '--output', join(session.work, 'experiment')], { env: session.moto.env });
    expect(experiment.code, experiment.stderr).toBe(0);
    expect(JSON.parse(experiment.stdout).input).toMatchObject({ file: 'default.csv', sha256: mine.input.sha256 });
  }, 120_000);

  it('predict and experiment publish an s3:// output: new objects, old ones deleted, the complete file last', async () => {
    for (const seed of ['1', '2']) {
      const run = await runCli(['predict', '--input', INPUT, '--seed', seed, '--output', `s3://${BUCKET}/predictions`], { env: session.moto.env });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`s3://${BUCKET}/predictions`);
    }
    const predictions = Object.keys(await objects('predictions/')).sort();
    expect(predictions).toEqual(['_SUCCESS', '_model.json', expect.stringMatching(/^part-00000-.*\.snappy\.parquet$/)]);
    const experiment = await runCli(['experiment', '--input', INPUT, '--set', 'p=price', '--output', `s3://${BUCKET}/experiment`], { env: session.moto.env });
    expect(experiment.code, experiment.stderr).toBe(0);
    expect(Object.keys(await objects('experiment/')).sort()).toEqual(['forecasts.parquet', 'report.html', 'results.json']);
    const refused = await runCli(['predict', '--input', INPUT, '--output', `s3://${BUCKET}/in`], { env: session.moto.env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/s3:\/\/lake\/in\/ exists and is not a pricecast output \(it also holds default\.csv\)/);
  }, 180_000);

  it('refuses a partition that holds anything else, in one line, and writes nothing', async () => {
    await session.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'prices/forecasts/origin_date=2022-01-12/notes.txt', Body: 'x' }));
    const before = await objects();
    const run = await forecast(['--as-of', '2022-01-12']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/origin_date=2022-01-12\/ is not a pricecast forecast output \(it also holds notes\.txt\)/);
    expect(await objects()).toEqual(before);
  }, 120_000);
});
