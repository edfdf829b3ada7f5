/**
 * The forecast table on S3 (docs/forecast.md#the-table-on-s3): the same layout under an s3:// prefix,
 * written with the project's S3 client (src/emr/clients.ts: request time-outs, the expected bucket
 * owner on every call) and server-side encryption on every object (src/emr/stage.ts).
 *
 * S3 has no rename, so a partition is replaced by writing the new objects first and deleting the old
 * ones after, `_SUCCESS` last:
 *
 *   1. list PREFIX/origin_date=D/; refuse unless every key there is a forecast partition's file and its
 *      _forecast.json says "command": "forecast";
 *   2. put the part file (its name comes from its bytes), then _forecast.json;          → `s3-written`
 *   3. delete every other key that was listed in 1;                                      → `s3-deleted`
 *   4. put PREFIX/_SUCCESS.
 *
 * In between 2 and 3 a reader listing the partition sees the old part file beside the new one: that
 * origin's rows twice (the old and the new forecasts), until the delete. A run that dies there leaves
 * exactly that; the next run of the same day lists, writes and deletes again, and ends with one part.
 *
 * A panel's run (docs/forecast.md#panels) writes one partition too, its part file holding every asset's
 * rows with their `asset` column: the same steps, the same bytes as the local table.
 */
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { UsageError } from '../engine/errors.js';
import { createClients, expectBucketOwner } from '../emr/clients.js';
import { parseS3Uri, s3Uri } from '../emr/plan.js';
import { encryptionParams, type Encryption } from '../emr/stage.js';
import { FORECAST_FILE, FORECAST_PARTITION_LAYOUT, partitionName } from './partition.js';
import { listKeys } from '../emr/s3List.js';


export interface S3Settings {
  encryption: Encryption;
  expectedBucketOwner?: string;
  requestTimeoutSeconds?: number;
}

export function s3Client(settings: S3Settings): S3Client {
  const { s3 } = createClients({ requestTimeoutSeconds: settings.requestTimeoutSeconds });
  if (settings.expectedBucketOwner !== undefined) expectBucketOwner(s3, settings.expectedBucketOwner);
  return s3;
}

/** Test-only: `PRICECAST_TEST_CRASH_AT=s3-written` kills the process between the write and the delete. */
function testHook(step: 's3-written' | 's3-deleted'): void {
  if (process.env.PRICECAST_TEST_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
}

function partitionPrefix(table: string, originDate: string): { bucket: string; prefix: string; root: string } {
  const { bucket, key } = parseS3Uri(table);
  const root = key === '' || key.endsWith('/') ? key : `${key}/`;
  return { bucket, prefix: `${root}${partitionName(originDate)}/`, root };
}

/** Step 1: the partition's keys, refused unless they are an earlier forecast partition's (or none). */
export async function checkS3Partition(s3: S3Client, table: string, originDate: string): Promise<string[]> {
  const { bucket, prefix } = partitionPrefix(table, originDate);
  const keys = await listKeys(s3, bucket, prefix);
  if (keys.length === 0) return keys;
  const where = s3Uri(bucket, prefix);
  const foreign = keys.map((k) => k.slice(prefix.length)).filter((name) => !FORECAST_PARTITION_LAYOUT.fileName.test(name));
  if (foreign.length > 0) throw new UsageError(`${where} is not a pricecast forecast output (it also holds ${foreign.slice(0, 3).join(', ')}); refusing to replace it`);
  let marker: { tool?: unknown; command?: unknown } = {};
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}${FORECAST_FILE}` }));
    marker = JSON.parse(await out.Body!.transformToString());
  } catch {
    // a partition caught between a crashed write's put and delete still has its _forecast.json; none at all is not ours
  }
  if (marker.tool !== 'pricecast' || marker.command !== 'forecast') {
    throw new UsageError(`${where} holds no _forecast.json written by pricecast forecast; refusing to replace it`);
  }
  return keys;
}

/** Steps 1-4 of the header; returns the partition's URI. */
export async function writeS3Partition(
  s3: S3Client,
  settings: S3Settings,
  table: string,
  originDate: string,
  parquet: Uint8Array,
  forecastJson: string,
  partId: string,
): Promise<string> {
  const { bucket, prefix, root } = partitionPrefix(table, originDate);
  const earlier = await checkS3Partition(s3, table, originDate);
  const sse = encryptionParams(settings.encryption);
  const partKey = `${prefix}part-00000-${partId}.snappy.parquet`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: partKey, Body: parquet, ...sse }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${FORECAST_FILE}`, Body: forecastJson, ContentType: 'application/json', ...sse }));
  testHook('s3-written');
  const stale = earlier.filter((key) => key !== partKey && key !== `${prefix}${FORECAST_FILE}`);
  for (let i = 0; i < stale.length; i += 1000) {
    const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: stale.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
    if (out.Errors && out.Errors.length > 0) throw new Error(`could not delete ${out.Errors[0].Key} from ${s3Uri(bucket, prefix)}: ${out.Errors[0].Code}; the next run of ${originDate} deletes it`);
  }
  testHook('s3-deleted');
  // An empty body gets no Content-Length of its own, and the SDK then warns on stderr about streams of unknown length.
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${root}_SUCCESS`, Body: '', ContentLength: 0, ...sse }));
  return s3Uri(bucket, prefix.slice(0, -1));
}
