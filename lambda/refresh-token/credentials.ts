import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { retryOn } from './retry';

/** Session name of the minting role, visible in CloudTrail next to each token it mints. */
export const MINTING_SESSION_NAME = 'codeartifact-token-refresher';

/**
 * Shortest session STS allows. A token lifetime other than 0 does not depend on the session;
 * with 0 the token expires together with this session.
 */
const SESSION_SECONDS = 900;

/**
 * Waits before each retry of an AccessDenied from AssumeRole, in milliseconds. IAM takes a few
 * seconds to accept a role or trust policy created in the same deployment.
 */
export const ASSUME_ROLE_RETRY_DELAYS = [1000, 2000];

/**
 * Assumes the minting role and returns its temporary credentials, so the token carries that
 * role's permissions and none of the function's own. Returns undefined when the response lacks
 * any part of the credentials.
 */
export async function assumeMintingRole(
  sts: STSClient,
  roleArn: string,
  abortSignal: AbortSignal,
): Promise<AwsCredentialIdentity | undefined> {
  const request = new AssumeRoleCommand({
    RoleArn: roleArn,
    RoleSessionName: MINTING_SESSION_NAME,
    DurationSeconds: SESSION_SECONDS,
  });
  const response = await retryOn(['AccessDenied'], ASSUME_ROLE_RETRY_DELAYS, abortSignal, () =>
    sts.send(request, { abortSignal }),
  );
  const credentials = response.Credentials;
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken) {
    return undefined;
  }
  return {
    accessKeyId: credentials.AccessKeyId,
    secretAccessKey: credentials.SecretAccessKey,
    sessionToken: credentials.SessionToken,
    expiration: credentials.Expiration,
  };
}

