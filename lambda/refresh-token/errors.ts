import type { RefresherConfig } from './config';

/** Step of a refresh, named after the API call it makes. */
export type RefreshStep =
  | 'AssumeRole'
  | 'GetAuthorizationToken'
  | 'GetRepositoryEndpoint'
  | 'PutSecretValue'
  | 'DescribeSecret'
  | 'TagResource';

/**
 * State of the secret when a refresh stops, for operators reading the error. With
 * `value-maybe-written-tag-stale`, PutSecretValue failed in a way that can follow the write.
 */
export type StoredState = 'unchanged' | 'value-written-tag-stale' | 'value-maybe-written-tag-stale';

/** Fields of an AWS SDK error that are safe to log: never the request, never the response body. */
export interface AwsErrorSummary {
  readonly errorName: string;
  readonly errorMessage: string;
  readonly attempts?: number;
  readonly httpStatusCode?: number;
  readonly awsRequestId?: string;
}

/** A refresh that failed, with a message that names the AWS error, the ids and the next step. */
export class RefreshError extends Error {
  public override readonly name = 'RefreshError';

  constructor(
    message: string,
    public readonly step: RefreshStep | 'ValidateResponse' | 'Deadline',
    public readonly stored: StoredState,
    public readonly aws?: AwsErrorSummary,
  ) {
    super(message);
  }
}

/** Extracts the loggable fields of an SDK error, with every occurrence of the token removed. */
export function summarizeAwsError(error: unknown, redact: (text: string) => string): AwsErrorSummary {
  if (!(error instanceof Error)) {
    return { errorName: 'UnknownError', errorMessage: redact(String(error)) };
  }
  const metadata = (error as { $metadata?: { attempts?: number; httpStatusCode?: number; requestId?: string } }).$metadata;
  return {
    errorName: error.name,
    errorMessage: redact(error.message),
    attempts: metadata?.attempts,
    httpStatusCode: metadata?.httpStatusCode,
    awsRequestId: metadata?.requestId,
  };
}

/** Explains what to check for the errors that a wrong setup causes. */
export function hintFor(step: RefreshStep, errorName: string, config: RefresherConfig, functionAccount?: string): string {
  const minter = config.mintingRoleArn ? `the minting role ${config.mintingRoleArn}` : 'the function role';
  if (step === 'AssumeRole' && errorName === 'AccessDenied') {
    return (
      `Check that the trust policy of ${config.mintingRoleArn} allows the function role to call sts:AssumeRole, ` +
      'and that the function role allows sts:AssumeRole on it.'
    );
  }
  if (step === 'GetRepositoryEndpoint' && errorName === 'AccessDeniedException') {
    return `Check that ${minter} allows codeartifact:GetRepositoryEndpoint on the repository ARN.`;
  }
  if (step === 'GetRepositoryEndpoint' && errorName === 'ResourceNotFoundException') {
    return `Check that the repository exists in domain "${config.domain}" of account ${config.domainOwner}.`;
  }
  if (step === 'GetAuthorizationToken' && errorName === 'AccessDeniedException') {
    const crossAccount = functionAccount !== undefined && functionAccount !== config.domainOwner;
    return (
      `Check that ${minter} allows codeartifact:GetAuthorizationToken on the domain ARN and ` +
      'sts:GetServiceBearerToken on "*" with sts:AWSServiceName = codeartifact.amazonaws.com' +
      (crossAccount || functionAccount === undefined
        ? `, and that the domain policy in account ${config.domainOwner} allows this role when the domain belongs to another account.`
        : '.')
    );
  }
  if (step === 'GetAuthorizationToken' && errorName === 'ResourceNotFoundException') {
    return `Check that domain "${config.domain}" exists in account ${config.domainOwner} in Region ${config.domainRegion}.`;
  }
  // STS names throttling `Throttling`, the JSON services `ThrottlingException`.
  if (errorName === 'ThrottlingException' || errorName === 'TooManyRequestsException' || errorName === 'Throttling') {
    return 'The request was throttled on every attempt; the next scheduled run or deployment tries again.';
  }
  if (step === 'PutSecretValue' && errorName === 'LimitExceededException') {
    return 'The secret has too many versions younger than 24 hours; refresh less often.';
  }
  return '';
}

/** Describes the stored state in words for error messages. */
export function describeStoredState(stored: StoredState): string {
  switch (stored) {
    case 'unchanged':
      return 'Nothing was written; the previous token stays current.';
    case 'value-written-tag-stale':
      return 'The new token is stored, but the expiry tag may still show an earlier expiry.';
    case 'value-maybe-written-tag-stale':
      return 'The new token may have been stored before the failure; either way the expiry tag still shows an earlier expiry.';
  }
}
