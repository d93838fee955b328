import { CodeartifactClient, GetRepositoryEndpointCommand } from '@aws-sdk/client-codeartifact';
import type { RepositorySettingsRequest } from '../../src/internal/handler-environment';
import { RepositoryField } from '../../src/repositories';

/** A repository endpoint as GetRepositoryEndpoint returned it, ending with `/`. */
export interface RepositoryEndpoint {
  readonly name: string;
  readonly format: string;
  readonly endpoint: string;
}

/** Request parameters of GetRepositoryEndpoint other than the repository. */
export interface EndpointRequestContext {
  readonly domain: string;
  readonly domainOwner: string;
  readonly endpointType: string;
}

/** User name that CodeArtifact expects with a token as password. */
export const CODEARTIFACT_USERNAME = 'aws';

/**
 * Fetches one repository's endpoint. Returns undefined when the response has no usable URL,
 * so the caller can name the repository in its error.
 */
export async function fetchRepositoryEndpoint(
  client: CodeartifactClient,
  context: EndpointRequestContext,
  repository: RepositorySettingsRequest,
  abortSignal: AbortSignal,
): Promise<string | undefined> {
  const response = await client.send(
    new GetRepositoryEndpointCommand({
      domain: context.domain,
      domainOwner: context.domainOwner,
      repository: repository.name,
      format: repository.format as never,
      endpointType: context.endpointType as never,
    }),
    { abortSignal },
  );
  return normalizeEndpoint(response.repositoryEndpoint);
}

/** Returns the endpoint as an http(s) URL ending with `/`, or undefined when it is not one. */
function normalizeEndpoint(endpoint: string | undefined): string | undefined {
  // WHATWG URL parsing forgives a missing host (`https:///x/` parses with host `x`), so the
  // raw text must name a host before it is parsed.
  if (typeof endpoint !== 'string' || !/^https?:\/\/[^/]/.test(endpoint)) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(endpoint.endsWith('/') ? endpoint : `${endpoint}/`);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') {
    return undefined;
  }
  return url.toString();
}

/**
 * Builds the ready-made settings of every repository, keyed `<repositoryName>.<field>`.
 * Some values embed the token, so the result is as secret as the token.
 */
export function packageSettings(endpoints: RepositoryEndpoint[], token: string): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const { name, format, endpoint } of endpoints) {
    const set = (field: string, value: string) => {
      settings[RepositoryField.key(name, field)] = value;
    };
    set(RepositoryField.ENDPOINT, endpoint);
    switch (format) {
      case 'npm':
        set(RepositoryField.NPM_REGISTRY, endpoint);
        set(RepositoryField.NPMRC, `registry=${endpoint}\n//${withoutScheme(endpoint)}:_authToken=${token}\n`);
        break;
      case 'pypi':
        set(RepositoryField.PIP_INDEX_URL, pipIndexUrl(endpoint, token));
        set(RepositoryField.TWINE_REPOSITORY_URL, endpoint);
        break;
      case 'maven':
        set(RepositoryField.MAVEN_REPOSITORY_URL, endpoint);
        break;
      case 'nuget':
        set(RepositoryField.NUGET_SOURCE_URL, new URL('v3/index.json', endpoint).toString());
        break;
      default:
        break;
    }
  }
  return settings;
}

function withoutScheme(url: string): string {
  return url.replace(/^https?:\/\//, '');
}

/** Returns `https://aws:<token>@<host>/pypi/<repository>/simple/`, with the token percent-encoded. */
function pipIndexUrl(endpoint: string, token: string): string {
  const url = new URL('simple/', endpoint);
  url.username = CODEARTIFACT_USERNAME;
  url.password = encodeURIComponent(token);
  return url.toString();
}
