/**
 * An output folder published to `s3://bucket/prefix/` (docs/forecast.md#the-table-on-s3): the folder is
 * first written locally by its own protocol (src/engine/output/folder.ts), then uploaded. S3 has no
 * rename, so the objects are replaced in the same order as a forecast partition's:
 *
 *   1. list the prefix; refuse unless every key there is a file name of the layout and its marker file
 *      says the output is ours (the local replace rule, on S3);
 *   2. put every new file but the layout's complete file (`_SUCCESS`, results.json);    → `s3-written`
 *   3. delete the listed keys that are not among the new ones;
 *   4. put the complete file last.
 *
 * A reader that waits for the complete file sees a whole output; in between, the old and new part files
 * may both be there. Every object gets the server-side encryption asked for; the client carries the
 * request time-outs and the expected bucket owner (src/forecast/s3Table.ts s3Client).
 */
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClients } from '../../emr/clients.js';
import { parseS3Uri, s3Uri } from '../../emr/plan.js';
import { encryptionParams, SSE_S3, type Encryption } from '../../emr/stage.js';
import { UsageError } from '../errors.js';
import { isLayoutPath, type OutputLayout } from './folder.js';
import { listKeys } from '../../emr/s3List.js';

function testHook(step: 's3-written'): void {
  if (process.env.PRICECAST_TEST_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
}

function prefixOf(uri: string): { bucket: string; prefix: string } {
  const { bucket, key } = parseS3Uri(uri);
  return { bucket, prefix: key === '' || key.endsWith('/') ? key : `${key}/` };
}

/** Step 1: the keys under the prefix, refused unless they are an earlier output of `layout` (or none). */
export async function checkS3Folder(s3: S3Client, uri: string, layout: OutputLayout): Promise<string[]> {
  const { bucket, prefix } = prefixOf(uri);
  const keys = await listKeys(s3, bucket, prefix);
  if (keys.length === 0) return keys;
  const foreign = keys.map((k) => k.slice(prefix.length)).filter((name) => !isLayoutPath(name, layout));
  const refuse = (why: string) => new UsageError(`${s3Uri(bucket, prefix)} exists and is not a ${layout.writer} output (${why}); refusing to replace it`);
  if (foreign.length > 0) throw refuse(`it also holds ${foreign.slice(0, 3).join(', ')}`);
  let marker: Record<string, unknown> = {};
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}${layout.markerFile}` }));
    marker = JSON.parse(await out.Body!.transformToString());
  } catch {
    throw refuse(`no readable ${layout.markerFile}`);
  }
  if (!Object.entries(layout.marker).every(([key, value]) => marker[key] === value)) throw refuse(`${layout.markerFile} was not written by ${layout.writer}`);
  return keys;
}

/** Uploads the local output folder `dir` to `uri` by steps 1-4; returns the URI. */
export async function publishFolderToS3(s3: S3Client, dir: string, uri: string, layout: OutputLayout, encryption: Encryption): Promise<string> {
  const { bucket, prefix } = prefixOf(uri);
  const earlier = await checkS3Folder(s3, uri, layout);
  const names: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    // A panel's partition folders (docs/output.md#panels) are uploaded as key prefixes.
    if (entry.isDirectory() && layout.partition?.test(entry.name)) {
      for (const inner of await readdir(join(dir, entry.name))) if (!inner.startsWith('.')) names.push(`${entry.name}/${inner}`);
    } else if (entry.isFile()) names.push(entry.name);
  }
  names.splice(0, names.length, ...names.filter((name) => isLayoutPath(name, layout)));
  const sse = encryptionParams(encryption);
  const put = async (name: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${name}`, Body: await readFile(join(dir, name)), ...sse }));
  for (const name of names.filter((n) => n !== layout.completeFile)) await put(name);
  testHook('s3-written');
  const fresh = new Set(names.map((name) => `${prefix}${name}`));
  const stale = earlier.filter((key) => !fresh.has(key));
  for (let i = 0; i < stale.length; i += 1000) {
    const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: stale.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
    if (out.Errors && out.Errors.length > 0) throw new Error(`could not delete ${out.Errors[0].Key} from ${s3Uri(bucket, prefix)}: ${out.Errors[0].Code}; the next run deletes it`);
  }
  if (names.includes(layout.completeFile)) await put(layout.completeFile);
  return s3Uri(bucket, prefix.slice(0, -1));
}

/**
 * Runs `work` with a local output folder in a temporary place and publishes what it wrote to `uri`;
 * the S3 prefix is checked before `work` runs, so a refusal costs no computation.
 */
export async function withS3Output<T>(
  uri: string,
  layout: OutputLayout,
  work: (localDir: string) => Promise<T>,
  s3: S3Client = createClients().s3,
  encryption: Encryption = SSE_S3,
): Promise<{ result: T; uri: string }> {
  await checkS3Folder(s3, uri, layout);
  const dir = await mkdtemp(join(tmpdir(), 'pricecast-output-'));
  try {
    const local = join(dir, 'out');
    const result = await work(local);
    return { result, uri: await publishFolderToS3(s3, local, uri, layout, encryption) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
