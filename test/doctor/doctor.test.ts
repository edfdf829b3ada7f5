/**
 * `pricecast doctor` and the cache-folder rule it reports (docs/install.md#the-cache-folder,
 * docs/install.md#doctor). The emr checks run against moto in server mode, through the same SDK chain
 * and endpoint variables `emr` uses.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheDir } from '../../src/paths.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { useScratchFolder } from '../helpers/scratch.js';

const scratch = useScratchFolder('doctor');

describe('the cache folder', () => {
  const checkout = '/home/ana/pricecast';
  const installed = '/usr/lib/node_modules/pricecast';
  it('is PRICECAST_CACHE when set, wherever pricecast runs from', () => {
    expect(cacheDir({ PRICECAST_CACHE: '/data/pc', HOME: '/home/ana' }, installed)).toBe('/data/pc');
    expect(cacheDir({ PRICECAST_CACHE: '/data/pc', HOME: '/home/ana' }, checkout)).toBe('/data/pc');
  });
  it("is the checkout's own .cache in a clone, as it always was", () => {
    expect(cacheDir({ HOME: '/home/ana', XDG_CACHE_HOME: '/xdg' }, checkout)).toBe('/home/ana/pricecast/.cache');
  });
  it('is the per-user cache for an installed package: XDG_CACHE_HOME/pricecast, else ~/.cache/pricecast', () => {
    expect(cacheDir({ HOME: '/home/ana', XDG_CACHE_HOME: '/xdg' }, installed)).toBe('/xdg/pricecast');
    expect(cacheDir({ HOME: '/home/ana' }, installed)).toBe('/home/ana/.cache/pricecast');
    // The XDG spec: a relative XDG_CACHE_HOME is invalid and ignored.
    expect(cacheDir({ HOME: '/home/ana', XDG_CACHE_HOME: 'relative' }, installed)).toBe('/home/ana/.cache/pricecast');
  });
});

describe('pricecast doctor', () => {
  it('refuses a command it does not know (exit 2)', async () => {
    const run = await runCli(['doctor', 'fly']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command "fly"/);
  });

  it('says how to build a missing parity environment, into the cache folder in use (exit 1)', async () => {
    const cache = join(scratch.dir, 'empty-cache');
    const run = await runCli(['doctor', 'parity', '--json'], { env: { PRICECAST_CACHE: cache } });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.cache).toBe(cache);
    expect(report.ok).toBe(false);
    const pyenv = report.pieces.find((p: { name: string }) => p.name === 'pyenv');
    expect(pyenv).toMatchObject({ status: 'missing', fix: `PRICECAST_CACHE=${cache} bash ${join(ROOT, 'pyspark', 'provision.sh')}` });
    expect(report.pieces.map((p: { name: string }) => p.name)).toEqual(['node', 'java', 'python', 'pyenv']);
  });

  describe('emr, against moto', () => {
    let moto: MotoServer;
    const SECRET = 'doctor-test-secret-never-printed';
    let env: NodeJS.ProcessEnv;
    beforeAll(async () => {
      moto = await startMoto();
      // A wheelhouse the check counts as current (stamped with the pins' hash), so that the AWS pieces decide.
      const cache = join(scratch.dir, 'emr-cache');
      mkdirSync(join(cache, 'wheelhouse'), { recursive: true });
      const pins = createHash('sha256').update(readFileSync(join(ROOT, 'pyspark', 'wheelhouse.txt'))).digest('hex');
      writeFileSync(join(cache, 'wheelhouse', '.pricecast-stamp'), `${pins}\n`);
      env = { ...moto.env, AWS_SECRET_ACCESS_KEY: SECRET, PRICECAST_CACHE: cache };
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'; // as src/emr/clients.ts does
      const s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: SECRET } });
      await s3.send(new CreateBucketCommand({ Bucket: 'doctor-bucket' }));
      s3.destroy();
    });
    afterAll(async () => {
      await moto?.stop();
    });

    it('finds the region, the credentials (as the caller ARN) and the bucket: exit 0, no secret printed', async () => {
      const run = await runCli(['doctor', 'emr', '--bucket', 'doctor-bucket'], { env });
      expect(run.stdout).toMatch(/ok\s+aws region\s+us-east-1/);
      expect(run.stdout).toMatch(/ok\s+aws credentials\s+arn:aws:/);
      expect(run.stdout).toMatch(/ok\s+bucket\s+s3:\/\/doctor-bucket is reachable/);
      expect(run.stdout).toMatch(/emr\s+ready/);
      expect(run.code).toBe(0);
      expect(run.stdout + run.stderr).not.toContain(SECRET);
    });

    it('names a missing bucket and the command that makes it: exit 1', async () => {
      const run = await runCli(['doctor', 'emr', '--bucket', 'no-such-bucket', '--json'], { env });
      expect(run.code).toBe(1);
      const bucket = JSON.parse(run.stdout).pieces.find((p: { name: string }) => p.name === 'bucket');
      expect(bucket).toMatchObject({ status: 'missing', fix: 'aws s3 mb s3://no-such-bucket' });
      expect(run.stdout + run.stderr).not.toContain(SECRET);
    });

    it('without a region says so and how to set one: exit 1', async () => {
      const run = await runCli(['doctor', 'emr', '--json'], { env: { ...env, AWS_REGION: '', AWS_DEFAULT_REGION: '' } });
      expect(run.code).toBe(1);
      const region = JSON.parse(run.stdout).pieces.find((p: { name: string }) => p.name === 'aws region');
      expect(region).toMatchObject({ status: 'missing', fix: 'aws configure set region us-east-1' });
    });
  });
});
