/**
 * The S3, EMR and STS clients. Credentials, profile and region come from the AWS SDK's default chain only
 * (AWS_PROFILE, AWS_REGION, ~/.aws/config, SSO, instance roles...); endpoints from the SDK's own
 * AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_EMR / AWS_ENDPOINT_URL_STS variables, which
 * the SDK (3.1089) reads itself. With a custom S3 endpoint, path-style addressing is used: an
 * S3-compatible server on localhost or an IP has no per-bucket DNS names.
 *
 * No call may hang: every request has a timeout (connection and response), and every `send` carries
 * the command's AbortSignal (Ctrl-C, SIGTERM, --timeout-minutes), so an endpoint that accepts a
 * connection and never answers ends in an error, not a hang. A call that passes its own `abortSignal`
 * (the clean-up's termination, which must run after the run's signal has fired) keeps it.
 */
import { EMRClient } from '@aws-sdk/client-emr';
import { S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

export interface AwsClients {
  s3: S3Client;
  emr: EMRClient;
  /** EMR without the SDK's retries: for RunJobFlow, which has no idempotency token (createCluster.ts). */
  emrSingleAttempt: EMRClient;
  sts: STSClient;
}

/** Default request timeout (no answer for this long = a retryable timeout error). */
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 60;
/** The SDK's own retries of one call (throttling, 5xx, timeouts), before the caller sees the error. */
export const SDK_MAX_ATTEMPTS = 3;

export interface ClientOptions {
  /** Aborts every call in flight and every later one (unless the call brings its own signal). */
  signal?: AbortSignal;
  requestTimeoutSeconds?: number;
  env?: NodeJS.ProcessEnv;
}

export function customS3Endpoint(env: NodeJS.ProcessEnv = process.env): string | null {
  return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || null;
}

/**
 * Makes `client.send(command)` carry `signal` unless the caller passes an abortSignal of its own. The
 * clients are shared by every stage of a command, so binding here covers every AWS call at once.
 */
export function bindSignal<C extends { send: (...args: any[]) => Promise<any> }>(client: C, signal: AbortSignal | undefined): C {
  if (signal === undefined) return client;
  const send = client.send.bind(client) as (command: unknown, options?: Record<string, unknown>) => Promise<unknown>;
  (client as { send: unknown }).send = (command: unknown, options?: Record<string, unknown>) =>
    send(command, { abortSignal: signal, ...(options ?? {}) });
  return client;
}

/** The clients' shared options: the SDK's retries and the request time-outs (serverlessClient.ts uses them too). */
export function commonClientOptions(options: ClientOptions = {}) {
  const timeoutMs = (options.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS) * 1000;
  return {
    maxAttempts: SDK_MAX_ATTEMPTS,
    // connectionTimeout: TCP connect; requestTimeout: no response for this long, which this SDK version
    // only logs unless throwOnRequestTimeout is set (then it is a retryable TimeoutError).
    requestHandler: { connectionTimeout: Math.min(timeoutMs, 10_000), requestTimeout: timeoutMs, throwOnRequestTimeout: true },
  };
}

export function createClients(options: ClientOptions = {}): AwsClients {
  const env = options.env ?? process.env;
  // The SDK warns on Node < 22 that releases published after January 2027 will need Node 22. This
  // project pins its SDK versions (package.json), so the warning is about versions it does not use and
  // would only bury the command's own output; a user who sets the variable keeps their choice.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const common = commonClientOptions(options);
  return {
    s3: bindSignal(new S3Client({ ...common, ...(customS3Endpoint(env) !== null ? { forcePathStyle: true } : {}) }), options.signal),
    emr: bindSignal(new EMRClient(common), options.signal),
    emrSingleAttempt: bindSignal(new EMRClient({ ...common, maxAttempts: 1 }), options.signal),
    sts: bindSignal(new STSClient(common), options.signal),
  };
}

/** Who is calling: the ARN (tagged on clusters as the creator) and account (the expected bucket owner). */
export interface CallerIdentity {
  arn: string;
  account: string;
}

export async function callerIdentity(sts: STSClient): Promise<CallerIdentity> {
  const out = await sts.send(new GetCallerIdentityCommand({}));
  if (!out.Arn || !out.Account) throw new Error('STS GetCallerIdentity returned no ARN or account');
  return { arn: out.Arn, account: out.Account };
}

/**
 * Puts `x-amz-expected-bucket-owner: ACCOUNT` on every S3 request of this client that has none, so a
 * bucket of the same name in another account (a typo, a deleted-and-recreated bucket) is refused by S3
 * with 403 instead of receiving the run's data. Done once here rather than on each command's input, so
 * no call can miss it.
 */
export function expectBucketOwner(s3: S3Client, account: string): void {
  s3.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers && request.headers['x-amz-expected-bucket-owner'] === undefined) {
        request.headers['x-amz-expected-bucket-owner'] = account;
      }
      return next(args);
    },
    { step: 'build', name: 'pricecastExpectedBucketOwner', override: true },
  );
}
