/**
 * Limits that the CodeArtifact and Secrets Manager APIs enforce, shared by the construct's
 * synth-time checks and the handler's run-time checks of resolved values.
 */

/** GetAuthorizationToken `domain`: 2 to 50 characters. */
export const DOMAIN_PATTERN = /^[a-z][a-z0-9-]{0,48}[a-z0-9]$/;
export const DOMAIN_RULE =
  '2 to 50 characters: a lowercase letter, then lowercase letters, digits or hyphens, ending with a letter or digit';

/** GetAuthorizationToken `domainOwner`: an AWS account id. */
export const ACCOUNT_ID_PATTERN = /^[0-9]{12}$/;
export const ACCOUNT_ID_RULE = '12 digits';

/** GetAuthorizationToken `durationSeconds`: 0, or 15 minutes to 12 hours. */
export const MIN_DURATION_SECONDS = 900;
export const MAX_DURATION_SECONDS = 43200;
export const DURATION_RULE = '0, or whole seconds from 900 (15 minutes) to 43200 (12 hours)';

/** Checks a `durationSeconds` value against the API's range. */
export function isValidDurationSeconds(seconds: number): boolean {
  if (!Number.isInteger(seconds)) {
    return false;
  }
  return seconds === 0 || (seconds >= MIN_DURATION_SECONDS && seconds <= MAX_DURATION_SECONDS);
}

/** AWS Region names such as `us-east-1`, `us-gov-west-1` or `eusc-de-east-1`. */
export const REGION_PATTERN = /^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$/;
export const REGION_RULE = 'an AWS Region name such as "us-east-1"';
