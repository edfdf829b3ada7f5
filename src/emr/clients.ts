/**
 * The S3 and EMR clients. Credentials, profile and region come from the AWS SDK's default chain only
 * (AWS_PROFILE, AWS_REGION, ~/.aws/config, SSO, instance roles...); endpoints from the SDK's own
 * AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_EMR variables, which the SDK
 * (3.1089) reads itself. With a custom S3 endpoint, path-style addressing is used: an S3-compatible
 * server on localhost or an IP has no per-bucket DNS names.
 */
import { EMRClient } from '@aws-sdk/client-emr';
import { S3Client } from '@aws-sdk/client-s3';

export interface AwsClients {
  s3: S3Client;
  emr: EMRClient;
}

export function customS3Endpoint(env: NodeJS.ProcessEnv = process.env): string | null {
  return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || null;
}

export function createClients(env: NodeJS.ProcessEnv = process.env): AwsClients {
  // The SDK warns on Node < 22 that releases published after January 2027 will need Node 22. This
  // project pins its SDK versions (package.json), so the warning is about versions it does not use and
  // would only bury the command's own output; a user who sets the variable keeps their choice.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return {
    s3: new S3Client(customS3Endpoint(env) !== null ? { forcePathStyle: true } : {}),
    emr: new EMRClient({}),
  };
}
