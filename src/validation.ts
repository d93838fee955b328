import { Duration, Token } from 'aws-cdk-lib';
import {
  ACCOUNT_ID_PATTERN,
  ACCOUNT_ID_RULE,
  DOMAIN_PATTERN,
  DOMAIN_RULE,
  DURATION_RULE,
  isValidDurationSeconds,
  MAX_DURATION_SECONDS,
} from './internal/rules';
import { TokenRepository } from './repositories';

/**
 * Shortest refresh interval. Secrets Manager keeps every version younger than 24 hours and
 * allows about 100, so 96 refreshes a day plus deployments stay inside the quota.
 */
export const MIN_REFRESH_INTERVAL = Duration.minutes(15);

/** Longest refresh interval: no token lives longer than 12 hours. */
export const MAX_REFRESH_INTERVAL = Duration.seconds(MAX_DURATION_SECONDS);

/** Below this gap between token lifetime and refresh interval, the construct warns. */
export const COMFORTABLE_MARGIN = Duration.hours(1);

/** CodeArtifact repository names: 2 to 100 characters. */
const REPOSITORY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$/;

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

/** AWS Region names such as `us-east-1`, `eu-central-2` or `us-gov-west-1`. */
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$/;

export function validateDomainRegion(region: string | undefined): void {
  if (region === undefined || Token.isUnresolved(region)) {
    return;
  }
  if (!REGION_PATTERN.test(region)) {
    throw invalidProp('domainRegion', JSON.stringify(region), 'an AWS Region name such as "us-east-1"');
  }
}

/** Returns the lifetime in seconds, or undefined when it is a CloudFormation reference. */
export function validateTokenLifetime(lifetime: Duration): number | undefined {
  if (lifetime.isUnresolved()) {
    return undefined;
  }
  const seconds = lifetime.toSeconds({ integral: false });
  if (!isValidDurationSeconds(seconds)) {
    throw invalidProp('tokenLifetime', showDuration(lifetime), DURATION_RULE);
  }
  return seconds;
}

/** Returns the interval in seconds, or undefined when it is a CloudFormation reference. */
export function validateRefreshInterval(interval: Duration, lifetimeSeconds: number | undefined): number | undefined {
  if (interval.isUnresolved()) {
    return undefined;
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
  if (lifetimeSeconds !== undefined && lifetimeSeconds > 0 && seconds >= lifetimeSeconds) {
    throw invalidProp(
      'refreshInterval',
      showDuration(interval),
      `shorter than tokenLifetime (${Duration.seconds(lifetimeSeconds).toHumanString()}), ` +
        'so that a new token is stored before the previous one expires',
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
  const seen = new Set<string>();
  for (const { repositoryName } of repositories) {
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
    return;
  }
  const seconds = threshold.toSeconds({ integral: false });
  if (seconds <= 0) {
    throw invalidProp('expiryAlarmThreshold', showDuration(threshold), 'a positive duration');
  }
  if (lifetimeSeconds !== undefined && lifetimeSeconds > 0 && seconds >= lifetimeSeconds) {
    throw invalidProp(
      'expiryAlarmThreshold',
      showDuration(threshold),
      `less than tokenLifetime (${Duration.seconds(lifetimeSeconds).toHumanString()}), or a fresh token would alarm`,
    );
  }
}
