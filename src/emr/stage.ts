/**
 * S3 staging: the plan's uploads, server-side encrypted (SSE-S3 AES256 by default, or SSE-KMS with a
 * key) and with a SHA-256 content checksum that S3 verifies on receipt and keeps with the object. An
 * object that already holds the same bytes (its stored SHA-256 matches, and it is encrypted the same
 * way) is not uploaded again, so re-running a run id re-sends only what changed, and the wheelhouse
 * (shared by every run with the same pins) is uploaded once. The bucket's owner is checked on every
 * call by the client itself (clients.ts, expectBucketOwner).
 */
import {
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { UsageError } from '../engine/errors.js';
import type { SseAlgorithm } from '../settings.js';
import type { LocalFileFacts, PlannedUpload } from './plan.js';

export interface Encryption {
  algorithm: SseAlgorithm;
  /** With aws:kms: the key id, alias or ARN. */
  kmsKeyId: string | null;
}

export const SSE_S3: Encryption = { algorithm: 'AES256', kmsKeyId: null };

/** The PutObject fields for an encryption setting. */
export function encryptionParams(encryption: Encryption): { ServerSideEncryption: SseAlgorithm; SSEKMSKeyId?: string } {
  return encryption.algorithm === 'aws:kms' && encryption.kmsKeyId !== null
    ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: encryption.kmsKeyId }
    : { ServerSideEncryption: encryption.algorithm };
}

/** Whether an object's encryption (from HeadObject) is the one asked for. S3 reports a KMS key by ARN. */
function sameEncryption(head: { ServerSideEncryption?: string; SSEKMSKeyId?: string }, encryption: Encryption): boolean {
  if (head.ServerSideEncryption !== encryption.algorithm) return false;
  if (encryption.algorithm !== 'aws:kms' || encryption.kmsKeyId === null) return true;
  const key = encryption.kmsKeyId;
  // An alias cannot be compared with the key ARN S3 reports: then the algorithm has to do.
  return key.startsWith('alias/') || head.SSEKMSKeyId === key || (head.SSEKMSKeyId ?? '').endsWith(`/${key}`);
}

/** Metadata key holding the hex sha256 as well (x-amz-meta-pricecast-sha256): readable without ChecksumMode. */
export const SHA256_METADATA = 'pricecast-sha256';

export interface StagedObject {
  upload: PlannedUpload;
  action: 'uploaded' | 'unchanged';
}

/** sha256 and size of a local file, streamed (the data file may be large). */
export async function localFileFacts(path: string): Promise<LocalFileFacts> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of handle.createReadStream() as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    return { path, sha256: hash.digest('hex'), size };
  } finally {
    await handle.close().catch(() => {});
  }
}

export function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

function isNotFound(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404;
}

/** Fails early, with the bucket named, when it does not exist or is not ours to use. */
export async function checkBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const status = (error as S3ServiceException).$metadata?.httpStatusCode;
    if (status === 404) throw new UsageError(`bucket ${bucket} does not exist (create it first; the tool never creates buckets)`);
    if (status === 301) {
      // S3 answers a bucket of another region with a bare 301 and names the region in a header.
      const region = (error as { $response?: { headers?: Record<string, string> } }).$response?.headers?.['x-amz-bucket-region'];
      const ours = await s3.config.region().catch(() => 'the configured region');
      throw new UsageError(
        `bucket ${bucket} is in ${region ?? 'another region'}, not ${ours}: run with AWS_REGION=${region ?? '<the bucket\'s region>'} (the cluster runs in the bucket's region)`,
      );
    }
    if (status === 403) {
      throw new UsageError(
        `bucket ${bucket}: access denied for the current AWS credentials, or it is not owned by the expected account (--expected-bucket-owner, default your own)`,
      );
    }
    throw error;
  }
}

/** True when the object exists with this sha256 (checksum or metadata) and the asked-for encryption. */
export async function isAlreadyStaged(s3: S3Client, upload: PlannedUpload, encryption: Encryption = SSE_S3): Promise<boolean> {
  try {
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: upload.bucket, Key: upload.key, ChecksumMode: 'ENABLED' }),
    );
    const sameBytes =
      head.ChecksumSHA256 === hexToBase64(upload.sha256) || head.Metadata?.[SHA256_METADATA] === upload.sha256;
    return sameBytes && head.ContentLength === upload.size && sameEncryption(head, encryption);
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

export async function stageUploads(
  s3: S3Client,
  uploads: PlannedUpload[],
  options: { encryption?: Encryption; log?: (line: string) => void } = {},
): Promise<StagedObject[]> {
  const encryption = options.encryption ?? SSE_S3;
  const log = options.log ?? (() => {});
  const staged: StagedObject[] = [];
  for (const upload of uploads) {
    if (await isAlreadyStaged(s3, upload, encryption)) {
      log(`stage: ${upload.uri} unchanged (sha256 ${upload.sha256.slice(0, 12)}…), not uploaded`);
      staged.push({ upload, action: 'unchanged' });
      continue;
    }
    // A local file is streamed; single PutObject (up to 5 GB, which covers the daily CSVs this job reads).
    const body = upload.localPath !== null ? createReadStream(upload.localPath) : upload.body ?? '';
    await s3.send(
      new PutObjectCommand({
        Bucket: upload.bucket,
        Key: upload.key,
        Body: body,
        ContentLength: upload.size,
        ContentType: upload.contentType,
        ...encryptionParams(encryption),
        ChecksumAlgorithm: 'SHA256',
        // Computed from the local bytes beforehand: S3 rejects the upload if what arrives differs.
        ChecksumSHA256: hexToBase64(upload.sha256),
        Metadata: { [SHA256_METADATA]: upload.sha256 },
      }),
    );
    log(`stage: uploaded ${upload.uri} (${upload.size} bytes)`);
    staged.push({ upload, action: 'uploaded' });
  }
  return staged;
}
