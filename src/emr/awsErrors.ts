/**
 * What an AWS error means for a run that is waiting on a cluster (pure: decided from the error's name,
 * code and HTTP status, as tables):
 *   - transient: throttling, 5xx, network trouble, timeouts. Retry with backoff; the cluster is fine.
 *   - credentials: expired or no-longer-valid credentials. Retrying cannot help; say so, and say which
 *     cluster is left to clean up (terminating it needs working credentials too).
 *   - aborted: our own AbortSignal (Ctrl-C, SIGTERM, --timeout-minutes).
 *   - fatal: anything else (access denied, a cluster that does not exist, a bad request).
 */
export type AwsErrorKind = 'transient' | 'credentials' | 'aborted' | 'fatal';

/** Error codes AWS uses for throttling (the SDK's own list, plus EMR's and S3's spellings). */
export const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottledException', 'TooManyRequestsException',
  'ProvisionedThroughputExceededException', 'TransactionInProgressException', 'RequestLimitExceeded',
  'BandwidthLimitExceeded', 'LimitExceededException', 'RequestThrottled', 'SlowDown', 'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

/** Codes that mean "the server had a problem", whatever the status says. */
export const SERVER_ERROR_CODES: ReadonlySet<string> = new Set([
  'InternalError', 'InternalFailure', 'InternalServerError', 'InternalServerException', 'ServiceUnavailable',
  'ServiceUnavailableException', 'RequestTimeout', 'RequestTimeoutException',
]);

/** Credentials that stopped working (expired session, SSO token, revoked keys). */
export const CREDENTIAL_CODES: ReadonlySet<string> = new Set([
  'ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired', 'InvalidClientTokenId',
  'UnrecognizedClientException', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'CredentialsProviderError',
  'InvalidToken',
]);

/** Node and SDK names of network failures and timeouts. */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'ENETUNREACH', 'EPROTO', 'TimeoutError', 'RequestTimeout', 'NetworkingError', 'socket hang up',
]);

interface ErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

export function classifyAwsError(error: unknown, signal?: AbortSignal): AwsErrorKind {
  if (signal?.aborted) return 'aborted';
  const e = (error ?? {}) as ErrorShape;
  if (e.name === 'AbortError') return 'aborted';
  const names = [e.name, e.code, e.Code].filter((n): n is string => typeof n === 'string');
  if (names.some((n) => CREDENTIAL_CODES.has(n))) return 'credentials';
  if (names.some((n) => THROTTLING_CODES.has(n) || SERVER_ERROR_CODES.has(n) || NETWORK_CODES.has(n))) return 'transient';
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return 'transient';
  if (status === undefined && /socket hang up|ECONNRESET|timed? ?out/i.test(e.message ?? '')) return 'transient';
  return 'fatal';
}

/** One line: the error's name and message (the SDK's `name` is the AWS error code). */
export function describeAwsError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Backoff before retry `n` (1-based) after a transient error: doubling from `baseMs`, capped at `capMs`,
 * with "equal jitter" (half fixed, half random) so that many clients do not retry in step. `random` is
 * injected for tests.
 */
export function backoffMs(n: number, options: { baseMs?: number; capMs?: number; random?: () => number } = {}): number {
  const base = options.baseMs ?? 2000;
  const cap = options.capMs ?? 60_000;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, n - 1));
  const random = options.random ?? Math.random;
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
