/**
 * The minimal IAM policies shipped in docs/iam/ (docs/emr.md#permissions) allow every call the tool
 * makes: each `new XCommand(` in src/emr, by the SDK package it comes from, and the permissions a
 * request implies without a call of its own (tags on RunJobFlow need AddTags, an auto-termination
 * policy needs PutAutoTerminationPolicy, roles are passed, SSE-KMS needs the key). A call added to
 * src/emr without its permission fails here, not in a user's account.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEmrConfig } from '../../src/emr/config.js';
import { planRun } from '../../src/emr/plan.js';
import { planServerlessRun } from '../../src/emr/serverlessPlan.js';
import { PROJECT_ROOT } from '../../src/parity/pyenv.js';

interface Statement { Effect: string; Action: string | string[]; Resource: string | string[] }
const policy = (name: string) => JSON.parse(readFileSync(join(PROJECT_ROOT, 'docs', 'iam', name), 'utf8')) as { Statement: Statement[] };

/** Actions a policy allows (wildcards in the policy are matched like IAM does). */
function allows(doc: { Statement: Statement[] }, action: string): boolean {
  return doc.Statement.some((s) => s.Effect === 'Allow' && [s.Action].flat().some((a) => new RegExp(`^${a.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action)));
}

/** S3 operations → the IAM action that authorises them (the others are the operation's own name). */
const S3_ACTION: Record<string, string> = {
  HeadBucket: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  GetObject: 's3:GetObject',
  HeadObject: 's3:GetObject',
  PutObject: 's3:PutObject',
  DeleteObjects: 's3:DeleteObject',
};
const SERVICE_PREFIX: Record<string, string> = {
  '@aws-sdk/client-emr': 'elasticmapreduce',
  '@aws-sdk/client-emr-serverless': 'emr-serverless',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-sts': 'sts',
};

/** Every SDK command constructed in src/emr, as the IAM action it needs. */
function actionsCalledInSource(): string[] {
  const dir = join(PROJECT_ROOT, 'src', 'emr');
  const actions = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    const packageOf = new Map<string, string>();
    for (const m of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/client-[a-z0-9-]+)'/g)) {
      for (const name of m[1].split(',').map((n) => n.trim().replace(/^type\s+/, ''))) packageOf.set(name, m[2]);
    }
    for (const m of text.matchAll(/new (\w+)Command\(/g)) {
      const pkg = packageOf.get(`${m[1]}Command`);
      if (pkg === undefined) throw new Error(`${file}: ${m[1]}Command is not imported from an @aws-sdk client`);
      const service = SERVICE_PREFIX[pkg];
      if (service === 'sts') continue; // GetCallerIdentity needs no permission
      actions.add(service === 's3' ? (S3_ACTION[m[1]] ?? `s3:${m[1]}`) : `${service}:${m[1]}`);
    }
  }
  return [...actions].sort();
}

const facts = (path: string, hex: string) => ({ path, sha256: hex.repeat(64), size: 1 });

describe('docs/iam/caller.json: what a user running pricecast emr needs', () => {
  const caller = policy('caller.json');

  it('allows every AWS call src/emr makes', () => {
    const called = actionsCalledInSource();
    expect(called).toContain('elasticmapreduce:RunJobFlow');
    expect(called).toContain('emr-serverless:StartJobRun');
    expect(called.filter((a) => !allows(caller, a))).toEqual([]);
  });

  it('allows what the planned requests imply: tags, auto-termination, passed roles, SSE-KMS', () => {
    const { config } = loadEmrConfig({ flags: { bucket: 'my-bucket', sseAlgorithm: 'aws:kms', kmsKeyId: 'alias/k' } });
    const plan = planRun(config, { runId: 'r', attemptId: 'a', creatorArn: null }, {
      input: facts('/d/p.csv', 'a'), script: facts('/s.py', 'b'), bootstrap: facts('/b.sh', 'c'), wheelhouse: [facts('/w/requirements.txt', 'd')],
    });
    const implied: string[] = [];
    if ((plan.runJobFlow?.Tags ?? []).length > 0) implied.push('elasticmapreduce:AddTags');
    if (plan.runJobFlow?.AutoTerminationPolicy !== undefined) implied.push('elasticmapreduce:PutAutoTerminationPolicy');
    if (plan.runJobFlow?.ServiceRole !== undefined) implied.push('iam:PassRole');
    if (config.sseAlgorithm === 'aws:kms') implied.push('kms:GenerateDataKey', 'kms:Decrypt');

    const { config: sc } = loadEmrConfig({ flags: { bucket: 'my-bucket', serverless: true, executionRoleArn: 'arn:aws:iam::123456789012:role/x', pythonArchive: '/p.tgz' } });
    const serverless = planServerlessRun(sc, { runId: 'r', attemptId: 'a', creatorArn: null }, { input: facts('/d/p.csv', 'a'), script: facts('/s.py', 'b'), pythonArchive: facts('/p.tgz', 'c') });
    if (Object.keys(serverless.createApplication?.tags ?? {}).length > 0) implied.push('emr-serverless:TagResource');
    if (serverless.startJobRun.executionRoleArn !== undefined) implied.push('iam:PassRole');

    expect(implied).toEqual(expect.arrayContaining(['elasticmapreduce:AddTags', 'elasticmapreduce:PutAutoTerminationPolicy', 'iam:PassRole', 'kms:Decrypt', 'emr-serverless:TagResource']));
    expect(implied.filter((a) => !allows(caller, a))).toEqual([]);
  });

  it('grants nothing it does not need (no wildcards in actions)', () => {
    for (const name of ['caller.json', 'instance-profile.json', 'serverless-execution-role.json']) {
      const actions = policy(name).Statement.flatMap((s) => [s.Action].flat());
      expect(actions.filter((a) => a.includes('*')), name).toEqual([]);
    }
  });
});

describe('the roles the job runs as: read the run, write the attempt\'s output and the logs, decrypt SSE-KMS', () => {
  for (const name of ['instance-profile.json', 'serverless-execution-role.json']) {
    it(name, () => {
      const doc = policy(name);
      for (const action of ['s3:ListBucket', 's3:GetObject', 's3:PutObject', 's3:DeleteObject', 'kms:Decrypt', 'kms:GenerateDataKey']) {
        expect(allows(doc, action), action).toBe(true);
      }
      expect(allows(doc, 'elasticmapreduce:RunJobFlow')).toBe(false);
    });
  }
});
