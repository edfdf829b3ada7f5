/**
 * A panel's predict output published to S3 (src/engine/output/s3Folder.ts) against moto in server mode:
 * the partition folders become `asset=<name>/` key prefixes, a later one-asset output replaces them
 * (stale partitions deleted, `_SUCCESS` last), and a prefix with a foreign key inside a partition is
 * refused in one line with nothing written.
 */
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneAssetText, panelCsvText } from '../../helpers/assetPanel.js';
import { runCli } from '../../helpers/cli.js';
import { openMotoSession, type MotoSession } from '../../helpers/moto.js';
import { useScratchFolder } from '../../helpers/scratch.js';

const scratch = useScratchFolder('panel-s3');
let session: MotoSession;
const BUCKET = 'lake';

beforeAll(async () => {
  session = await openMotoSession('panel-s3');
  await session.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 120_000);
afterAll(async () => {
  await session?.close();
});

async function keys(prefix: string): Promise<string[]> {
  const out = await session.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort();
}

describe('a panel output on S3', () => {
  it('partitions as key prefixes; a one-asset output replaces them; a foreign key in a partition is refused', async () => {
    const text = panelCsvText([{ name: 'AAA', days: 120 }, { name: 'BBB', days: 100 }], 4);
    const panel = await scratch.file(text, 'panel.csv');
    const single = await scratch.file(oneAssetText(text, 'AAA'), 'single.csv');
    const out = `s3://${BUCKET}/predictions`;
    const run = await runCli(['predict', '--input', panel, '--output', out], { env: session.moto.env });
    expect(run.code, run.stderr).toBe(0);
    const part = /^part-00000-[0-9a-f-]{36}\.snappy\.parquet$/;
    const written = await keys('predictions/');
    expect(written).toEqual(['_SUCCESS', '_model.json', expect.stringMatching(/^asset=AAA\//), expect.stringMatching(/^asset=BBB\//)]);
    expect(written[2].slice('asset=AAA/'.length)).toMatch(part);

    expect((await runCli(['predict', '--input', single, '--output', out], { env: session.moto.env })).code).toBe(0);
    expect(await keys('predictions/')).toEqual(['_SUCCESS', '_model.json', expect.stringMatching(part)]);

    expect((await runCli(['predict', '--input', panel, '--output', out], { env: session.moto.env })).code).toBe(0);
    await session.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'predictions/asset=AAA/notes.txt', Body: 'mine' }));
    const before = await keys('predictions/');
    const refused = await runCli(['predict', '--input', single, '--output', out], { env: session.moto.env });
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/is not a pricecast output \(it also holds asset=AAA\/notes\.txt\)/);
    expect(await keys('predictions/')).toEqual(before);
  }, 180_000);
});
