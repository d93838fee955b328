import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';

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
  let response;
  for (let attempt = 0; ; attempt++) {
    try {
      response = await sts.send(request, { abortSignal });
      break;
    } catch (error) {
      const delay = ASSUME_ROLE_RETRY_DELAYS[attempt];
      if (!(error instanceof Error) || error.name !== 'AccessDenied' || delay === undefined || abortSignal.aborted) {
        throw error;
      }
      await sleep(delay, abortSignal);
    }
  }
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

function sleep(millis: number, abortSignal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      abortSignal.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, millis);
    abortSignal.addEventListener('abort', wake, { once: true });
  });
}
