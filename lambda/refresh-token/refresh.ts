import { CodeartifactClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-codeartifact';
import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import type { RefresherConfig } from './config';
import { assumeMintingRole } from './credentials';
import {
  describeStoredState,
  hintFor,
  RefreshError,
  RefreshStep,
  StoredState,
  summarizeAwsError,
} from './errors';
import { CODEARTIFACT_USERNAME, fetchRepositoryEndpoint, packageSettings, RepositoryEndpoint } from './package-settings';
import { retryOn } from './retry';
import { SecretField, SecretTag } from '../../src/secret-fields';

/**
 * A token whose expiration is closer than this is not stored: consumers would start failing
 * before anyone noticed, and the previous token may well outlive it.
 */
export const MIN_USEFUL_VALIDITY_SECONDS = 300;

/** Tag value that claims nothing: the stored token's expiry is unknown, so treat it as expired. */
const UNKNOWN_EXPIRY = new Date(0).toISOString();

/** SDK clients of one refresh. */
export interface RefreshClients {
  /** CodeArtifact in the domain's Region, with the function's own credentials. */
  readonly codeartifact: CodeartifactClient;
  readonly secretsManager: SecretsManagerClient;
  /** STS in the function's Region, to assume the minting role. */
  readonly sts: STSClient;
}

/** Creates the clients for a domain Region and the Region of the secret and the function. */
export function refreshClients(domainRegion: string, secretRegion: string): RefreshClients {
  return {
    codeartifact: new CodeartifactClient({ region: domainRegion }),
    secretsManager: new SecretsManagerClient({ region: secretRegion }),
    sts: new STSClient({ region: secretRegion }),
  };
}

/** Outcome of a refresh; it carries no token. */
export interface RefreshResult {
  readonly versionId: string;
  readonly expiration: string;
  /** False when a concurrent refresh stored a newer version, which then owns the tag. */
  readonly tagged: boolean;
}

/** Limits of one refresh. */
export interface RefreshOptions {
  /** Aborted when the refresh must give up, before Lambda's own timeout stops the function. */
  readonly abortSignal: AbortSignal;
  /** Account of the function, to tell a cross-account domain from a local one in hints. */
  readonly functionAccount?: string;
  /** Clock, in milliseconds since the epoch. */
  readonly now?: () => number;
  /**
   * Retries AccessDenied from CodeArtifact, for a deployment that has just created or changed
   * the permissions, which IAM applies only after a few seconds.
   */
  readonly waitForPermissions?: boolean;
}

/** Waits before each retry of an AccessDenied during a deployment, in milliseconds. */
export const PERMISSION_RETRY_DELAYS = [1000, 2000, 4000];

/**
 * Mints a CodeArtifact token and stores it, then tags the secret with its expiration.
 *
 * The value is written before the tag, so a failure in between leaves a tag that understates
 * the stored token's expiry. When another refresh stores a version at the same time, the tag
 * is written only while this version is AWSCURRENT. If a newer version appeared while tagging,
 * the tag is put back to its earlier value, so with two concurrent refreshes it never claims a
 * later expiry than the stored token has.
 */
export async function refreshToken(
  config: RefresherConfig,
  clients: RefreshClients,
  options: RefreshOptions,
): Promise<RefreshResult> {
  const now = options.now ?? Date.now;
  let token: string | undefined;
  let stored: StoredState = 'unchanged';
  // The pip index URL embeds the token percent-encoded, so both forms are removed.
  const redact = (text: string): string =>
    token ? text.split(token).join('[REDACTED]').split(encodeURIComponent(token)).join('[REDACTED]') : text;

  const call = async <T>(step: RefreshStep, send: () => Promise<T>, target?: string): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      const storedNow = step === 'PutSecretValue' && putMayHaveStored(error) ? 'value-maybe-written-tag-stale' : stored;
      throw toRefreshError(step, error, config, storedNow, options, redact, target);
    }
  };

  // With a minting role, every CodeArtifact call runs with that role's credentials, so the
  // token carries exactly its permissions.
  let codeartifact = clients.codeartifact;
  if (config.mintingRoleArn) {
    const roleArn = config.mintingRoleArn;
    const credentials = await call(
      'AssumeRole',
      () => assumeMintingRole(clients.sts, roleArn, options.abortSignal),
      `role ${roleArn}`,
    );
    if (credentials === undefined) {
      throw invalidResponse(`AssumeRole returned no credentials for role ${roleArn}.`);
    }
    codeartifact = new CodeartifactClient({ region: config.domainRegion, credentials });
  }

  const permissionDelays = options.waitForPermissions ? PERMISSION_RETRY_DELAYS : [];
  const whilePermissionsPropagate = <T>(send: () => Promise<T>) =>
    retryOn(['AccessDeniedException'], permissionDelays, options.abortSignal, send);

  const minted = await call('GetAuthorizationToken', () =>
    whilePermissionsPropagate(() =>
      codeartifact.send(
        new GetAuthorizationTokenCommand({
          domain: config.domain,
          domainOwner: config.domainOwner,
          durationSeconds: config.durationSeconds,
        }),
        { abortSignal: options.abortSignal },
      ),
    ),
  );
  token = minted.authorizationToken;
  const expiration = checkMintedToken(token, minted.expiration, now(), config);
  const mintedToken = token as string;

  const endpoints: RepositoryEndpoint[] = [];
  for (const repository of config.repositories) {
    const target = `repository "${repository.name}" (${repository.format}) of domain "${config.domain}"`;
    const endpoint = await call(
      'GetRepositoryEndpoint',
      () => whilePermissionsPropagate(() => fetchRepositoryEndpoint(codeartifact, config, repository, options.abortSignal)),
      target,
    );
    if (endpoint === undefined) {
      throw invalidResponse(`GetRepositoryEndpoint returned no repositoryEndpoint URL for ${target}.`);
    }
    endpoints.push({ ...repository, endpoint });
  }

  const secretString = JSON.stringify({
    [SecretField.TOKEN]: mintedToken,
    [SecretField.EXPIRATION]: expiration,
    [SecretField.DOMAIN]: config.domain,
    [SecretField.DOMAIN_OWNER]: config.domainOwner,
    [SecretField.REGION]: config.domainRegion,
    [SecretField.USERNAME]: CODEARTIFACT_USERNAME,
    ...packageSettings(endpoints, mintedToken),
  });

  const put = await call('PutSecretValue', () =>
    clients.secretsManager.send(
      new PutSecretValueCommand({ SecretId: config.secretArn, SecretString: secretString }),
      { abortSignal: options.abortSignal },
    ),
  );
  stored = 'value-written-tag-stale';
  const versionId = put.VersionId;
  if (!versionId) {
    throw new RefreshError(
      `PutSecretValue returned no VersionId for secret ${config.secretArn}. ${describeStoredState(stored)}`,
      'PutSecretValue',
      stored,
    );
  }

  const describeCurrent = async () => {
    const described = await call('DescribeSecret', () =>
      clients.secretsManager.send(new DescribeSecretCommand({ SecretId: config.secretArn }), {
        abortSignal: options.abortSignal,
      }),
    );
    return {
      isCurrent: (described.VersionIdsToStages?.[versionId] ?? []).includes('AWSCURRENT'),
      expiryTag: described.Tags?.find((tag) => tag.Key === SecretTag.EXPIRATION)?.Value,
    };
  };
  const tag = (value: string) =>
    call('TagResource', () =>
      clients.secretsManager.send(
        new TagResourceCommand({ SecretId: config.secretArn, Tags: [{ Key: SecretTag.EXPIRATION, Value: value }] }),
        { abortSignal: options.abortSignal },
      ),
    );

  const before = await describeCurrent();
  if (!before.isCurrent) {
    return { versionId, expiration, tagged: false };
  }
  await tag(expiration);
  const after = await describeCurrent();
  if (!after.isCurrent) {
    // A newer version landed while tagging, and its own tag may already be written. Putting
    // back the tag read before keeps the tag at or below the newer token's expiry. Without an
    // earlier tag, the epoch marks the token as expired until the next refresh tags it again.
    // NOTE: with three or more concurrent refreshes, the tag read before may be a third run's,
    // which can exceed the current token's expiry by the seconds between their mints.
    await tag(before.expiryTag ?? UNKNOWN_EXPIRY);
    return { versionId, expiration, tagged: false };
  }
  return { versionId, expiration, tagged: true };
}

function checkMintedToken(
  token: string | undefined,
  expiration: Date | undefined,
  nowMillis: number,
  config: RefresherConfig,
): string {
  const ids = `domain "${config.domain}" (owner ${config.domainOwner}, Region ${config.domainRegion})`;
  if (typeof token !== 'string' || token.length === 0) {
    throw invalidResponse(`GetAuthorizationToken returned no authorizationToken for ${ids}.`);
  }
  if (!(expiration instanceof Date) || Number.isNaN(expiration.getTime())) {
    throw invalidResponse(`GetAuthorizationToken returned no valid expiration for ${ids}.`);
  }
  const remainingSeconds = Math.floor((expiration.getTime() - nowMillis) / 1000);
  if (remainingSeconds < MIN_USEFUL_VALIDITY_SECONDS) {
    throw invalidResponse(
      `GetAuthorizationToken returned a token for ${ids} that expires at ${expiration.toISOString()}, ` +
        `${remainingSeconds} seconds from now; at least ${MIN_USEFUL_VALIDITY_SECONDS} seconds are required.`,
    );
  }
  return expiration.toISOString();
}

/**
 * Tells whether a failed PutSecretValue may have stored the value anyway: true unless Secrets
 * Manager rejected the request with a client error (HTTP 4xx). An aborted request, a lost
 * response or a server error can all come after the write.
 */
function putMayHaveStored(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return status === undefined || status >= 500;
}

function invalidResponse(message: string): RefreshError {
  return new RefreshError(`${message} ${describeStoredState('unchanged')}`, 'ValidateResponse', 'unchanged');
}

function toRefreshError(
  step: RefreshStep,
  error: unknown,
  config: RefresherConfig,
  stored: StoredState,
  options: RefreshOptions,
  redact: (text: string) => string,
  target?: string,
): RefreshError {
  const aws = summarizeAwsError(error, redact);
  if (options.abortSignal.aborted) {
    return new RefreshError(
      `Gave up on ${step} for secret ${config.secretArn}: the refresh ran out of time before the function timeout. ` +
        describeStoredState(stored),
      'Deadline',
      stored,
      aws,
    );
  }
  const subject =
    target ??
    (step === 'GetAuthorizationToken'
      ? `domain "${config.domain}" (owner ${config.domainOwner}, Region ${config.domainRegion})`
      : `secret ${config.secretArn}`);
  const attempts = aws.attempts === undefined ? '' : ` after ${aws.attempts} attempt${aws.attempts === 1 ? '' : 's'}`;
  const hint = hintFor(step, aws.errorName, config, options.functionAccount);
  const awsMessage = /[.!?]$/.test(aws.errorMessage) ? aws.errorMessage : `${aws.errorMessage}.`;
  return new RefreshError(
    `${step} failed for ${subject} with ${aws.errorName}${attempts}: ${awsMessage} ` +
      [hint, describeStoredState(stored)].filter((part) => part !== '').join(' '),
    step,
    stored,
    aws,
  );
}

/**
 * Reads the expiry tag of the stored token, so that a failed refresh still reports how long
 * consumers have left. Returns undefined when the secret has no expiry tag yet.
 */
export async function readStoredExpiry(
  secretArn: string,
  secretsManager: SecretsManagerClient,
  abortSignal: AbortSignal,
): Promise<Date | undefined> {
  const described = await secretsManager.send(new DescribeSecretCommand({ SecretId: secretArn }), { abortSignal });
  const value = described.Tags?.find((tag) => tag.Key === SecretTag.EXPIRATION)?.Value;
  const expiry = value === undefined ? undefined : new Date(value);
  return expiry === undefined || Number.isNaN(expiry.getTime()) ? undefined : expiry;
}
