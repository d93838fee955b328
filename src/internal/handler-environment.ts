/**
 * Names of the environment variables through which the construct configures the refresher.
 * The construct and the handler bundle both import this file, so the two cannot drift apart.
 */
export const HandlerEnvironment = {
  /** CodeArtifact domain name. */
  DOMAIN: 'CODEARTIFACT_DOMAIN',
  /** 12-digit account id that owns the domain. */
  DOMAIN_OWNER: 'CODEARTIFACT_DOMAIN_OWNER',
  /** Region of the domain, where GetAuthorizationToken is called. */
  DOMAIN_REGION: 'CODEARTIFACT_REGION',
  /** Requested token lifetime in whole seconds: 0, or 900 to 43200. */
  DURATION_SECONDS: 'TOKEN_DURATION_SECONDS',
  /** Full ARN of the secret that receives the token. */
  SECRET_ARN: 'TOKEN_SECRET_ARN',
  /** JSON list of `{ "name", "format" }` for the repositories that get ready-made settings. */
  REPOSITORIES: 'CODEARTIFACT_REPOSITORIES',
  /** Endpoint type for GetRepositoryEndpoint: `ipv4` or `dualstack`. */
  ENDPOINT_TYPE: 'CODEARTIFACT_ENDPOINT_TYPE',
  /** ARN of the role that mints the token; unset when the function's own role mints it. */
  MINTING_ROLE_ARN: 'CODEARTIFACT_MINTING_ROLE_ARN',
  /** Seconds between scheduled refreshes, to check a token lifetime that was a reference. */
  REFRESH_INTERVAL_SECONDS: 'TOKEN_REFRESH_INTERVAL_SECONDS',
} as const;

/** One entry of the `REPOSITORIES` variable. */
export interface RepositorySettingsRequest {
  readonly name: string;
  readonly format: string;
}

/** Powertools service name of the refresher: the `service` key of its logs and a metric dimension. */
export const SERVICE_NAME = 'codeartifact-token-refresher';

/** CloudWatch namespace of the metrics that the refresher publishes. */
export const METRIC_NAMESPACE = 'CodeArtifactTokenSecret';

/** Metric with the seconds of validity left on the stored token, published at every run. */
export const REMAINING_VALIDITY_METRIC = 'TokenRemainingValidity';

/** Dimension of the refresher's metrics: the secret's full ARN. */
export const SECRET_ARN_DIMENSION = 'SecretArn';

/**
 * Secret value before the first refresh. It is deliberately not a token: the expiration is
 * the Unix epoch and the token field states that the refresher has not run yet. CloudFormation
 * writes it only when the secret is created, so it must stay the same across releases, because
 * a changed value would make a stack update overwrite a live token.
 */
export const PLACEHOLDER_SECRET_VALUE = JSON.stringify({
  token: 'NOT-A-TOKEN:the-refresher-has-not-run-yet',
  expiration: '1970-01-01T00:00:00.000Z',
});
