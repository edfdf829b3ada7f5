/**
 * The EMR Serverless client, made like the others (clients.ts: the SDK chain for credentials and region,
 * AWS_ENDPOINT_URL_EMR_SERVERLESS / AWS_ENDPOINT_URL for the endpoint, request time-outs, the command's
 * AbortSignal on every call). A module of its own so that only `--serverless` loads the SDK package.
 */
import { EMRServerlessClient } from '@aws-sdk/client-emr-serverless';
import { bindSignal, commonClientOptions, type ClientOptions } from './clients.js';

export function createServerlessClient(options: ClientOptions = {}): EMRServerlessClient {
  return bindSignal(new EMRServerlessClient(commonClientOptions(options)), options.signal);
}
