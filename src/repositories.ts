/**
 * Package formats of CodeArtifact repositories, as GetRepositoryEndpoint names them.
 */
export enum PackageFormat {
  /** npm, pnpm and yarn. */
  NPM = 'npm',
  /** pip and twine. */
  PYPI = 'pypi',
  /** Maven and Gradle. */
  MAVEN = 'maven',
  /** NuGet and the dotnet CLI. */
  NUGET = 'nuget',
  /** Generic packages. */
  GENERIC = 'generic',
  /** RubyGems and Bundler. */
  RUBY = 'ruby',
  /** Swift Package Manager. */
  SWIFT = 'swift',
  /** Cargo. */
  CARGO = 'cargo',
}

/**
 * Kind of repository endpoint that GetRepositoryEndpoint returns.
 */
export enum EndpointType {
  /** An endpoint reachable over IPv4 only. */
  IPV4 = 'ipv4',
  /** An endpoint reachable over IPv4 and IPv6. */
  DUALSTACK = 'dualstack',
}

/**
 * A repository of the domain that consumers use with the token.
 */
export interface TokenRepository {
  /**
   * Name of the repository: 2 to 100 characters, letters, digits, dots, hyphens and
   * underscores, starting with a letter or digit.
   */
  readonly repositoryName: string;

  /**
   * Package format whose ready-made settings the secret stores for this repository.
   *
   * The refresher then calls GetRepositoryEndpoint for the repository at every refresh and
   * stores the fields of `RepositoryField` under `<repositoryName>.<field>`.
   *
   * @default - no settings, only read access for the token
   */
  readonly format?: PackageFormat;
}

/**
 * Ready-made package manager settings that the refresher stores for each repository with a
 * `format`, under the key `<repositoryName>.<field>` (see `RepositoryField.key`).
 *
 * URLs come from GetRepositoryEndpoint, never from a host name built by hand. Fields marked
 * as containing the token are as secret as the token itself.
 */
export class RepositoryField {
  /** Every format: the repository endpoint URL, ending with `/`. */
  public static readonly ENDPOINT = 'endpoint';

  /** npm: the registry URL, for `registry=` or `NPM_CONFIG_REGISTRY`. */
  public static readonly NPM_REGISTRY = 'npmRegistry';

  /**
   * npm: the content of an `.npmrc` with the `registry` line and the `_authToken` line.
   * Contains the token.
   */
  public static readonly NPMRC = 'npmrc';

  /** pypi: the index URL with user `aws` and the token embedded, for `PIP_INDEX_URL`. Contains the token. */
  public static readonly PIP_INDEX_URL = 'pipIndexUrl';

  /** pypi: the upload URL for `TWINE_REPOSITORY_URL`. Twine's user is `aws` and its password the token. */
  public static readonly TWINE_REPOSITORY_URL = 'twineRepositoryUrl';

  /** maven: the repository URL for Maven and Gradle. The user is `aws` and the password the token. */
  public static readonly MAVEN_REPOSITORY_URL = 'mavenRepositoryUrl';

  /** nuget: the `v3/index.json` source URL. The user is `aws` and the password the token. */
  public static readonly NUGET_SOURCE_URL = 'nugetSourceUrl';

  /**
   * Returns the JSON key of a repository's field, for example `npm-store.npmRegistry`.
   *
   * @param repositoryName name of the repository in the domain
   * @param field one of the constants of `RepositoryField`
   */
  public static key(repositoryName: string, field: string): string {
    return `${repositoryName}.${field}`;
  }

  private constructor() {}
}
