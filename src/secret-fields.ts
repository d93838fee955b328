/**
 * JSON keys of the secret value that the refresher writes.
 *
 * Every refresh replaces the whole value, so all keys always describe the same token.
 */
export class SecretField {
  /**
   * The CodeArtifact authorization token.
   *
   * Use it as the password (user name `aws`) or as the bearer token of a package manager.
   */
  public static readonly TOKEN = 'token';

  /**
   * When the token expires: the `expiration` that GetAuthorizationToken returned, as an
   * ISO-8601 UTC timestamp such as `2026-01-02T15:04:05.000Z`.
   */
  public static readonly EXPIRATION = 'expiration';

  /** The CodeArtifact domain the token is for. */
  public static readonly DOMAIN = 'domain';

  /** The 12-digit AWS account id that owns the domain. */
  public static readonly DOMAIN_OWNER = 'domainOwner';

  /** The AWS Region of the domain, the only Region where the token is valid. */
  public static readonly REGION = 'region';

  /** The user name that package managers pair with the token as password: always `aws`. */
  public static readonly USERNAME = 'username';

  private constructor() {}
}

/**
 * Tags that the refresher writes on the secret.
 */
export class SecretTag {
  /**
   * Tag key whose value is the stored token's expiration, as an ISO-8601 UTC timestamp.
   *
   * The refresher writes the value before the tag, so the tag can understate the expiry of
   * the stored token. With up to two refreshes at the same moment it never overstates it. With
   * three or more, the tag can name a sibling's expiry a few seconds later than the stored one.
   */
  public static readonly EXPIRATION = 'codeartifact-token-secret:expiration';

  private constructor() {}
}
