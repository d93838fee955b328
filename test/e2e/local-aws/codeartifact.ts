import { randomBytes } from 'crypto';
import { authorize, Principal } from './iam';
import { AwsServiceError, epochSeconds, HttpReply } from './protocol';

/** `domain` constraint of the CodeArtifact API. */
const DOMAIN_PATTERN = /^[a-z][a-z0-9-]{0,48}[a-z0-9]$/;
const ACCOUNT_ID_PATTERN = /^[0-9]{12}$/;
/** `repository` constraint of the CodeArtifact API. */
const REPOSITORY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$/;
const PACKAGE_FORMATS = ['npm', 'pypi', 'maven', 'nuget', 'generic', 'ruby', 'swift', 'cargo'];
const ENDPOINT_TYPES = ['ipv4', 'dualstack'];

/** Token lifetime when the request omits `durationSeconds`: 12 hours. */
const DEFAULT_DURATION_SECONDS = 43200;

/**
 * Lifetime of a token requested with `durationSeconds` 0. The real service ties it to the
 * caller's temporary credentials, which these endpoints do not track, so it is one hour here.
 */
const CREDENTIALS_LIFETIME_SECONDS = 3600;

/** A CodeArtifact domain known to the local endpoints. */
export interface DomainSettings {
  readonly name: string;
  readonly owner: string;
  readonly region: string;
  /** @default - no repositories */
  readonly repositories?: string[];
  /**
   * Accounts that the domain policy allows to call GetAuthorizationToken. The owner account
   * needs no entry.
   *
   * @default - none
   */
  readonly domainPolicyAccounts?: string[];
  /**
   * Host of the repository endpoints that GetRepositoryEndpoint returns for either endpoint
   * type, such as the host of an interface VPC endpoint.
   *
   * @default - the public host of the domain in its Region
   */
  readonly endpointHost?: string;
  /**
   * Encoding of the random bytes of minted tokens. With `base64`, every token ends with `=`
   * padding and may contain `+` and `/`, which a URL must percent-encode.
   *
   * @default 'base64url'
   */
  readonly tokenEncoding?: 'base64url' | 'base64';
}

/** A token that GetAuthorizationToken returned. */
export interface MintedToken {
  readonly token: string;
  /** Milliseconds since the epoch. */
  readonly expiration: number;
  readonly accessKeyId: string;
}

/** A repository endpoint that GetRepositoryEndpoint returned. */
export interface ReturnedEndpoint {
  readonly repository: string;
  readonly format: string;
  readonly endpointType: string;
  readonly url: string;
}

/**
 * CodeArtifact's GetAuthorizationToken and GetRepositoryEndpoint, with their checks. Each
 * request acts in the Region of its SigV4 credential scope, and a domain exists in one Region.
 */
export class LocalCodeArtifact {
  /** Every token minted, in order, so that tests can look for them in output. */
  public readonly mintedTokens: MintedToken[] = [];
  /** Every repository endpoint returned, in order. */
  public readonly returnedEndpoints: ReturnedEndpoint[] = [];
  private readonly domains = new Map<string, DomainSettings>();

  public addDomain(settings: DomainSettings): void {
    this.domains.set(domainKey(settings.region, settings.owner, settings.name), settings);
  }

  /** `POST /v1/authorization-token?domain=…&domain-owner=…&duration=…` */
  public getAuthorizationToken(principal: Principal, region: string, query: URLSearchParams, now: number): HttpReply {
    const domain = requiredParameter(query, 'domain');
    checkPattern(domain, 'domain', DOMAIN_PATTERN);
    const owner = optionalParameter(query, 'domain-owner') ?? principal.account;
    checkPattern(owner, 'domainOwner', ACCOUNT_ID_PATTERN);
    const durationText = optionalParameter(query, 'duration');
    const durationSeconds = durationText === undefined ? DEFAULT_DURATION_SECONDS : Number(durationText);
    const durationAllowed =
      Number.isInteger(durationSeconds) && (durationSeconds === 0 || (durationSeconds >= 900 && durationSeconds <= 43200));
    if (!durationAllowed) {
      throw validationError(durationText ?? '', 'durationSeconds', 'Member must be 0 or between 900 and 43200');
    }

    authorize(principal, {
      action: 'codeartifact:GetAuthorizationToken',
      resource: this.domainArn(region, owner, domain),
      context: {},
    });
    authorize(principal, {
      action: 'sts:GetServiceBearerToken',
      resource: '*',
      context: { 'sts:AWSServiceName': 'codeartifact.amazonaws.com', 'sts:DurationSeconds': String(durationSeconds) },
    });
    const settings = this.findDomain(region, owner, domain);
    if (owner !== principal.account && !(settings.domainPolicyAccounts ?? []).includes(principal.account)) {
      throw new AwsServiceError(
        'AccessDeniedException',
        `User: ${principal.arn} is not authorized to perform: codeartifact:GetAuthorizationToken on resource: ` +
          `${this.domainArn(region, owner, domain)} because no resource-based policy allows the codeartifact:GetAuthorizationToken action`,
      );
    }

    const lifetimeSeconds = durationSeconds === 0 ? CREDENTIALS_LIFETIME_SECONDS : durationSeconds;
    const minted: MintedToken = {
      token: mintToken(settings.tokenEncoding ?? 'base64url'),
      expiration: now + lifetimeSeconds * 1000,
      accessKeyId: principal.accessKeyId,
    };
    this.mintedTokens.push(minted);
    return { status: 200, body: { authorizationToken: minted.token, expiration: epochSeconds(minted.expiration) } };
  }

  /** `GET /v1/repository/endpoint?domain=…&domain-owner=…&repository=…&format=…&endpointType=…` */
  public getRepositoryEndpoint(principal: Principal, region: string, query: URLSearchParams): HttpReply {
    const domain = requiredParameter(query, 'domain');
    checkPattern(domain, 'domain', DOMAIN_PATTERN);
    const owner = optionalParameter(query, 'domain-owner') ?? principal.account;
    checkPattern(owner, 'domainOwner', ACCOUNT_ID_PATTERN);
    const repository = requiredParameter(query, 'repository');
    checkPattern(repository, 'repository', REPOSITORY_PATTERN);
    const format = requiredParameter(query, 'format');
    if (!PACKAGE_FORMATS.includes(format)) {
      throw validationError(format, 'format', `Member must satisfy enum value set: [${PACKAGE_FORMATS.join(', ')}]`);
    }
    const endpointType = optionalParameter(query, 'endpointType') ?? 'ipv4';
    if (!ENDPOINT_TYPES.includes(endpointType)) {
      throw validationError(endpointType, 'endpointType', `Member must satisfy enum value set: [${ENDPOINT_TYPES.join(', ')}]`);
    }

    authorize(principal, {
      action: 'codeartifact:GetRepositoryEndpoint',
      resource: `arn:aws:codeartifact:${region}:${owner}:repository/${domain}/${repository}`,
      context: {},
    });
    const settings = this.findDomain(region, owner, domain);
    if (!(settings.repositories ?? []).includes(repository)) {
      throw new AwsServiceError('ResourceNotFoundException', `Repository not found: ${repository}`, {
        resourceId: repository,
        resourceType: 'repository',
      });
    }
    // NOTE: the dual-stack host shape is an assumption; the IPv4 shape is the documented one.
    const suffix = endpointType === 'dualstack' ? 'api.aws' : 'amazonaws.com';
    const host = settings.endpointHost ?? `${domain}-${owner}.d.codeartifact.${region}.${suffix}`;
    const url = `https://${host}/${format}/${repository}/`;
    this.returnedEndpoints.push({ repository, format, endpointType, url });
    return { status: 200, body: { repositoryEndpoint: url } };
  }

  private findDomain(region: string, owner: string, domain: string): DomainSettings {
    const settings = this.domains.get(domainKey(region, owner, domain));
    if (!settings) {
      // The service's message names neither the domain nor the owner.
      throw new AwsServiceError('ResourceNotFoundException', 'Domain not found', {
        resourceId: domain,
        resourceType: 'domain',
      });
    }
    return settings;
  }

  private domainArn(region: string, owner: string, domain: string): string {
    return `arn:aws:codeartifact:${region}:${owner}:domain/${domain}`;
  }
}

/** Returns 128 random characters; 95 bytes leave one `=` of padding in base64. */
function mintToken(encoding: 'base64url' | 'base64'): string {
  return encoding === 'base64' ? randomBytes(95).toString('base64') : randomBytes(96).toString('base64url');
}

function domainKey(region: string, owner: string, domain: string): string {
  return `${region}/${owner}/${domain}`;
}

function requiredParameter(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (value === null || value === '') {
    throw validationError('null', name, 'Member must not be null');
  }
  return value;
}

function optionalParameter(query: URLSearchParams, name: string): string | undefined {
  return query.get(name) ?? undefined;
}

function checkPattern(value: string, member: string, pattern: RegExp): void {
  if (!pattern.test(value)) {
    throw validationError(value, member, `Member must satisfy regular expression pattern: ${pattern.source}`);
  }
}

/** Builds the model-validation error of AWS services, in their usual wording. */
function validationError(value: string, member: string, constraint: string): AwsServiceError {
  return new AwsServiceError(
    'ValidationException',
    `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}
