import { Duration, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { CodeArtifactTokenSecretProps } from './codeartifact-token-secret';
import {
  ACCOUNT_ID_PATTERN,
  ACCOUNT_ID_RULE,
  DOMAIN_PATTERN,
  DOMAIN_RULE,
  DURATION_RULE,
  isValidDurationSeconds,
  MAX_DURATION_SECONDS,
  REGION_PATTERN,
  REGION_RULE,
} from './internal/rules';
import { TokenRepository } from './repositories';

/**
 * Shortest refresh interval. Secrets Manager keeps every version younger than 24 hours and
 * allows about 100, so 96 refreshes a day plus deployments stay inside the quota.
 */
export const MIN_REFRESH_INTERVAL = Duration.minutes(15);

/** Maximum refresh interval, because no token lives longer than 12 hours. */
export const MAX_REFRESH_INTERVAL = Duration.seconds(MAX_DURATION_SECONDS);

/** Below this gap between token lifetime and refresh interval, the construct warns. */
export const COMFORTABLE_MARGIN = Duration.hours(1);

/**
 * Smallest gap between token lifetime and refresh interval. A scheduled run can start up to
 * about a minute late and the refresh itself takes seconds, so a smaller gap lets the stored
 * token expire before its successor arrives.
 */
export const MIN_MARGIN = Duration.minutes(5);

/** CodeArtifact repository names: 2 to 100 characters. */
const REPOSITORY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$/;

/**
 * Maximum number of repositories per token. Each adds up to two repository ARNs to the policy
 * of the role that mints the token, and IAM allows 10,240 characters of inline policy per
 * role. With 20 repositories of 100-character names in a 50-character domain, the function's
 * own role measured about 10,200 characters, so 15 leaves room.
 */
export const MAX_REPOSITORIES = 15;

/** Secrets Manager secret names: 1 to 512 of these characters. */
const SECRET_NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** IAM role names: 1 to 64 of these characters. */
const ROLE_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;

/** Formats a Duration as the user wrote it, with its length in words. */
export function showDuration(duration: Duration): string {
  return `${duration.toString()} (${duration.toHumanString()})`;
}

function invalidProp(prop: string, received: string, allowed: string): Error {
  return new Error(`Invalid ${prop}: received ${received}. Allowed: ${allowed}.`);
}

export function validateDomain(domain: string): void {
  if (Token.isUnresolved(domain)) {
    return;
  }
  if (!DOMAIN_PATTERN.test(domain)) {
    throw invalidProp('domain', JSON.stringify(domain), DOMAIN_RULE);
  }
}

export function validateDomainOwner(domainOwner: string | undefined): void {
  if (domainOwner === undefined || Token.isUnresolved(domainOwner)) {
    return;
  }
  if (!ACCOUNT_ID_PATTERN.test(domainOwner)) {
    throw invalidProp('domainOwner', JSON.stringify(domainOwner), `an AWS account id of ${ACCOUNT_ID_RULE}`);
  }
}

export function validateDomainRegion(region: string | undefined): void {
  if (region === undefined || Token.isUnresolved(region)) {
    return;
  }
  if (!REGION_PATTERN.test(region)) {
    throw invalidProp('domainRegion', JSON.stringify(region), REGION_RULE);
  }
}

/** Returns the lifetime in seconds, or undefined when it is a CloudFormation reference. */
export function validateTokenLifetime(lifetime: Duration): number | undefined {
  if (lifetime.isUnresolved()) {
    // The function receives the value in seconds, and aws-cdk-lib converts a reference only
    // when it already counts seconds.
    if (lifetime.unitLabel() !== 'seconds') {
      throw invalidProp(
        'tokenLifetime',
        `a CloudFormation reference in ${lifetime.unitLabel()}`,
        'a reference only as Duration.seconds(reference)',
      );
    }
    return undefined;
  }
  const seconds = lifetime.toSeconds({ integral: false });
  if (!isValidDurationSeconds(seconds)) {
    throw invalidProp('tokenLifetime', showDuration(lifetime), DURATION_RULE);
  }
  if (seconds !== 0 && seconds < MIN_REFRESH_INTERVAL.toSeconds() + MIN_MARGIN.toSeconds()) {
    throw invalidProp(
      'tokenLifetime',
      showDuration(lifetime),
      '0, or 20 minutes to 12 hours, because the refresh interval is at least 15 minutes and must leave the ' +
        'token 5 minutes of validity',
    );
  }
  return seconds;
}

/**
 * Returns the default refresh interval: hourly, or half the token lifetime in whole minutes
 * (at least 15) when the token lives less than two hours.
 */
export function defaultRefreshInterval(lifetimeSeconds: number | undefined): Duration {
  if (lifetimeSeconds === undefined || lifetimeSeconds === 0 || lifetimeSeconds >= 7200) {
    return Duration.hours(1);
  }
  return Duration.minutes(Math.max(Math.floor(lifetimeSeconds / 120), MIN_REFRESH_INTERVAL.toMinutes()));
}

/** Returns the interval in seconds; a CloudFormation reference is rejected. */
export function validateRefreshInterval(interval: Duration, lifetimeSeconds: number | undefined): number {
  if (interval.isUnresolved()) {
    throw invalidProp(
      'refreshInterval',
      'a CloudFormation reference',
      'a literal Duration, because the schedule and the alarm periods are computed at synth time',
    );
  }
  const minutes = interval.toMinutes({ integral: false });
  const seconds = interval.toSeconds({ integral: false });
  if (!Number.isInteger(minutes)) {
    throw invalidProp(
      'refreshInterval',
      showDuration(interval),
      'whole minutes, because EventBridge Scheduler rate expressions count in minutes',
    );
  }
  if (seconds < MIN_REFRESH_INTERVAL.toSeconds()) {
    throw invalidProp(
      'refreshInterval',
      showDuration(interval),
      'at least 15 minutes, because every refresh adds a secret version that Secrets Manager keeps for 24 hours, ' +
        'with a quota of about 100 such versions',
    );
  }
  if (seconds > MAX_REFRESH_INTERVAL.toSeconds()) {
    throw invalidProp('refreshInterval', showDuration(interval), 'at most 12 hours, the longest token lifetime');
  }
  if (lifetimeSeconds !== undefined && lifetimeSeconds > 0 && seconds > lifetimeSeconds - MIN_MARGIN.toSeconds()) {
    throw invalidProp(
      'refreshInterval',
      showDuration(interval),
      `at least 5 minutes shorter than tokenLifetime (${Duration.seconds(lifetimeSeconds).toHumanString()}), ` +
        'so that a new token is stored before the previous one expires, even when a run starts late',
    );
  }
  return seconds;
}

export function validateRepositories(repositories: TokenRepository[] | undefined): void {
  if (repositories === undefined) {
    return;
  }
  if (repositories.length === 0) {
    throw invalidProp(
      'repositories',
      '[]',
      'one or more repositories, or leave repositories unset to read from every repository of the domain',
    );
  }
  if (repositories.length > MAX_REPOSITORIES) {
    throw invalidProp(
      'repositories',
      `${repositories.length} repositories`,
      `at most ${MAX_REPOSITORIES}, because each adds ARNs to the role's inline policies (10,240 characters in all) ` +
        'and settings to the function environment (4 KB)',
    );
  }
  const seen = new Set<string>();
  for (const repository of repositories) {
    const repositoryName = repository?.repositoryName;
    if (typeof repositoryName !== 'string') {
      throw invalidProp('repositories', 'an entry without a repositoryName', 'entries with a repositoryName string');
    }
    if (Token.isUnresolved(repositoryName)) {
      continue;
    }
    if (!REPOSITORY_NAME_PATTERN.test(repositoryName)) {
      throw invalidProp(
        'repositories',
        `a repositoryName of ${JSON.stringify(repositoryName)}`,
        '2 to 100 characters: letters, digits, dots, hyphens and underscores, starting with a letter or digit',
      );
    }
    if (seen.has(repositoryName)) {
      throw invalidProp('repositories', `${JSON.stringify(repositoryName)} twice`, 'each repository once');
    }
    seen.add(repositoryName);
  }
}

/** Checks that the expiry alarm threshold is positive and shorter than the token lifetime. */
export function validateExpiryAlarmThreshold(threshold: Duration, lifetimeSeconds: number | undefined): void {
  if (threshold.isUnresolved()) {
    throw invalidProp(
      'expiryAlarmThreshold',
      'a CloudFormation reference',
      'a literal Duration, because the alarm threshold is computed at synth time',
    );
  }
  const seconds = threshold.toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds <= 0) {
    throw invalidProp('expiryAlarmThreshold', showDuration(threshold), 'a positive whole number of seconds');
  }
  if (lifetimeSeconds !== undefined && lifetimeSeconds > 0 && seconds >= lifetimeSeconds) {
    throw invalidProp(
      'expiryAlarmThreshold',
      showDuration(threshold),
      `less than tokenLifetime (${Duration.seconds(lifetimeSeconds).toHumanString()}), or a fresh token would alarm`,
    );
  }
  if (seconds >= MAX_DURATION_SECONDS) {
    throw invalidProp('expiryAlarmThreshold', showDuration(threshold), 'less than 12 hours, the longest token lifetime');
  }
}

/** Rejects keys that Secrets Manager cannot use for this secret: an alias, or a key of another Region. */
export function validateEncryptionKey(key: kms.IKey | undefined, stackRegion: string): void {
  if (key === undefined) {
    return;
  }
  // Every kms.IAlias, created or imported, has an aliasName.
  if ('aliasName' in key || (!Token.isUnresolved(key.keyArn) && key.keyArn.includes(':alias/'))) {
    throw invalidProp(
      'encryptionKey',
      'a KMS alias',
      'the key itself (kms.Key, or kms.Key.fromKeyArn), because IAM grants on an alias ARN do not cover the key',
    );
  }
  const keyRegion = key.env.region;
  if (!Token.isUnresolved(keyRegion) && !Token.isUnresolved(stackRegion) && keyRegion !== stackRegion) {
    throw invalidProp(
      'encryptionKey',
      `a key in Region ${keyRegion}`,
      `a key in the stack's Region ${stackRegion}, because Secrets Manager uses keys of the secret's Region`,
    );
  }
}

export function validateSecretName(secretName: string | undefined): void {
  if (secretName === undefined || Token.isUnresolved(secretName)) {
    return;
  }
  if (!SECRET_NAME_PATTERN.test(secretName)) {
    throw invalidProp(
      'secretName',
      JSON.stringify(secretName),
      '1 to 512 letters, digits and the characters / _ + = . @ -',
    );
  }
}

export function validateMintingRoleName(roleName: string | undefined, createMintingRole: boolean | undefined): void {
  if (roleName === undefined) {
    return;
  }
  const displayedName = Token.isUnresolved(roleName) ? 'a CloudFormation reference' : JSON.stringify(roleName);
  if (createMintingRole !== true) {
    throw invalidProp('mintingRoleName', `${displayedName} without createMintingRole`, 'a name only together with createMintingRole: true');
  }
  if (!Token.isUnresolved(roleName) && !ROLE_NAME_PATTERN.test(roleName)) {
    throw invalidProp('mintingRoleName', displayedName, '1 to 64 letters, digits and the characters + = , . @ _ -');
  }
}

/** Time settings after defaults, every one checked. */
export interface ResolvedTimes {
  readonly tokenLifetime: Duration;
  /** Undefined when the lifetime is a CloudFormation reference, which the function checks. */
  readonly lifetimeSeconds?: number;
  readonly refreshInterval: Duration;
  readonly expiryAlarmThreshold: Duration;
}

/**
 * Checks every prop, in the order a reader finds them, and returns the time settings with
 * their defaults. Throws at the first invalid prop.
 */
export function resolveProps(props: CodeArtifactTokenSecretProps, stackRegion: string): ResolvedTimes {
  validateDomain(props.domain);
  validateDomainOwner(props.domainOwner);
  validateDomainRegion(props.domainRegion);
  validateRepositories(props.repositories);
  validateSecretName(props.secretName);
  validateEncryptionKey(props.encryptionKey, stackRegion);
  if (props.mintingRole !== undefined && props.createMintingRole === true) {
    throw invalidProp(
      'createMintingRole',
      'true together with a mintingRole',
      'either pass mintingRole, or set createMintingRole to create one',
    );
  }
  validateMintingRoleName(props.mintingRoleName, props.createMintingRole);

  const tokenLifetime = props.tokenLifetime ?? Duration.hours(12);
  const lifetimeSeconds = validateTokenLifetime(tokenLifetime);
  const mintingRole = props.mintingRole !== undefined || props.createMintingRole === true;
  if (lifetimeSeconds === 0 && mintingRole) {
    throw invalidProp(
      'tokenLifetime',
      `${showDuration(tokenLifetime)} with a minting role`,
      'more than 15 minutes up to 12 hours, because a token of lifetime 0 expires with the minting role\'s ' +
        '15-minute session',
    );
  }
  if (lifetimeSeconds === 0 && props.refreshInterval === undefined) {
    throw invalidProp(
      'tokenLifetime',
      `${showDuration(tokenLifetime)} without a refreshInterval`,
      'a token lifetime of 0 only with an explicit refreshInterval, because the token then expires with the ' +
        'function\'s own credentials',
    );
  }

  const refreshInterval = props.refreshInterval ?? defaultRefreshInterval(lifetimeSeconds);
  validateRefreshInterval(refreshInterval, lifetimeSeconds);
  const expiryAlarmThreshold = props.expiryAlarmThreshold ?? defaultExpiryThreshold(lifetimeSeconds);
  validateExpiryAlarmThreshold(expiryAlarmThreshold, lifetimeSeconds);
  return { tokenLifetime, lifetimeSeconds, refreshInterval, expiryAlarmThreshold };
}

/** Returns a quarter of the lifetime, 15 minutes for lifetime 0, or an hour for a reference. */
function defaultExpiryThreshold(lifetimeSeconds: number | undefined): Duration {
  if (lifetimeSeconds === 0) {
    return Duration.minutes(15);
  }
  if (lifetimeSeconds === undefined) {
    return Duration.hours(1);
  }
  return Duration.seconds(Math.floor(lifetimeSeconds / 4));
}
