/**
 * An `s3://bucket/key` input (docs/forecast.md#the-table-on-s3): downloaded with the project's S3 client
 * (src/emr/clients.ts) to a temporary file of the same base name, read from there as a local file, and
 * removed after. So every layout, the checksum and the messages are those of the local path.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { parseS3Uri } from '../../emr/plan.js';

export function isS3Uri(text: string): boolean {
  return /^s3:\/\/[^/]+/.test(text);
}

/**
 * Runs `work` on a local copy of an s3:// input (removed after); the default client when none is given.
 * The AWS SDK is imported here, when an s3:// path is used, not when a local run loads this module.
 */
export async function withLocalInput<T>(uri: string, work: (file: string) => Promise<T>, s3?: S3Client): Promise<T> {
  const client = s3 ?? (await import('../../emr/clients.js')).createClients().s3;
  const { downloadObject } = await import('../../emr/fetch.js');
  const dir = await mkdtemp(join(tmpdir(), 'pricecast-input-'));
  try {
    const file = join(dir, posix.basename(parseS3Uri(uri).key) || 'input.csv');
    await downloadObject(client, uri, file);
    return await work(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
