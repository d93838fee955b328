import { randomBytes } from 'crypto';
import { expectNoTokenLeak, expectSecretUnchanged, logLines } from './harness/assertions';
import { FAKE_ACCOUNT, FAKE_REGION } from './harness/deployment';
import { SCHEDULED_EVENT } from './harness/invoke';
import { Scenario } from './harness/scenario';
import { ShippedPackage, shippedPackage } from './harness/shipped-package';
import { withoutStatement } from './local-aws/iam';

const PREPARE_TIMEOUT_MILLIS = 120_000;
const TEST_TIMEOUT_MILLIS = 30_000;
/** Repositories of the PackageSettings stack that have a format, by name. */
const FORMATS: Record<string, string> = {
  'npm-store': 'npm',
  'pypi-store': 'pypi',
  'maven-store': 'maven',
  'nuget-store': 'nuget',
};

let shipped: ShippedPackage;
let scenario: Scenario | undefined;

beforeAll(() => {
  shipped = shippedPackage();
}, PREPARE_TIMEOUT_MILLIS);

afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

/**
 * Returns a random host in the shape of an interface VPC endpoint's DNS name, which the
 * refresher cannot derive from the domain, the owner or the Region.
 */
function vpcEndpointHost(): string {
  return `vpce-${randomBytes(8).toString('hex')}-${randomBytes(4).toString('hex')}.d.codeartifact.${FAKE_REGION}.vpce.amazonaws.com`;
}

/** URLs that GetRepositoryEndpoint returned, by repository name. */
function returnedUrls(current: Scenario): Record<string, string> {
  return Object.fromEntries(current.endpoints.codeArtifact.returnedEndpoints.map((endpoint) => [endpoint.repository, endpoint.url]));
}

/** Query parameters of every GetRepositoryEndpoint request, sorted by repository. */
function endpointRequests(current: Scenario): Array<Record<string, string>> {
  return current.endpoints
    .callsOf('GetRepositoryEndpoint')
    .map((call) => Object.fromEntries(call.query))
    .sort((left, right) => left.repository.localeCompare(right.repository));
}


describe('ready-made settings', () => {
  test('stores settings for each format', async () => {
    const host = vpcEndpointHost();
    scenario = await Scenario.start(shipped, { stackName: 'PackageSettings', endpointHost: host, tokenEncoding: 'base64' });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('returned');
    const urls = returnedUrls(scenario);
    expect(urls).toEqual({
      'npm-store': `https://${host}/npm/npm-store/`,
      'pypi-store': `https://${host}/pypi/pypi-store/`,
      'maven-store': `https://${host}/maven/maven-store/`,
      'nuget-store': `https://${host}/nuget/nuget-store/`,
    });
    const [minted] = scenario.endpoints.codeArtifact.mintedTokens;
    const token = minted.token;
    // The token has characters that a URL must percent-encode.
    expect(token).toMatch(/=$/);
    expect(scenario.currentValue()).toEqual({
      'token': token,
      'expiration': new Date(minted.expiration).toISOString(),
      'domain': 'e2e-domain',
      'domainOwner': FAKE_ACCOUNT,
      'region': FAKE_REGION,
      'username': 'aws',
      'npm-store.endpoint': urls['npm-store'],
      'npm-store.npmRegistry': urls['npm-store'],
      'npm-store.npmrc': `registry=${urls['npm-store']}\n//${host}/npm/npm-store/:_authToken=${token}\n`,
      'pypi-store.endpoint': urls['pypi-store'],
      'pypi-store.pipIndexUrl': `https://aws:${encodeURIComponent(token)}@${host}/pypi/pypi-store/simple/`,
      'pypi-store.twineRepositoryUrl': urls['pypi-store'],
      'maven-store.endpoint': urls['maven-store'],
      'maven-store.mavenRepositoryUrl': urls['maven-store'],
      'nuget-store.endpoint': urls['nuget-store'],
      'nuget-store.nugetSourceUrl': `${urls['nuget-store']}v3/index.json`,
    });
    expect(scenario.expiryTag()).toBe(scenario.currentValue().expiration);
    expect(scenario.versionCount()).toBe(2);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('requests each formatted repository', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'PackageSettings' });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('returned');
    // The repository without a format gets no request and no settings.
    expect(endpointRequests(scenario)).toEqual(
      Object.entries(FORMATS)
        .map(([repository, format]) => ({
          'domain': 'e2e-domain',
          'domain-owner': FAKE_ACCOUNT,
          repository,
          format,
          'endpointType': 'ipv4',
        }))
        .sort((left, right) => left.repository.localeCompare(right.repository)),
    );
    for (const call of scenario.endpoints.callsOf('GetRepositoryEndpoint')) {
      expect(call.method).toBe('GET');
      expect(call.region).toBe(FAKE_REGION);
    }
    expect(Object.keys(scenario.currentValue()).filter((key) => key.startsWith('shared-store'))).toEqual([]);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('dual-stack endpoints', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'DualStackSettings' });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('returned');
    expect(endpointRequests(scenario).map((request) => [request.repository, request.endpointType])).toEqual([
      ['npm-store', 'dualstack'],
      ['pypi-store', 'dualstack'],
    ]);
    const urls = returnedUrls(scenario);
    const npmHost = new URL(urls['npm-store']).host;
    // The local endpoints give dual-stack repositories a host of their own.
    expect(npmHost).toMatch(/\.api\.aws$/);
    const value = scenario.currentValue();
    const token = scenario.endpoints.codeArtifact.mintedTokens[0].token;
    expect(value['npm-store.endpoint']).toBe(urls['npm-store']);
    expect(value['npm-store.npmRegistry']).toBe(urls['npm-store']);
    expect(value['npm-store.npmrc']).toBe(`registry=${urls['npm-store']}\n//${npmHost}/npm/npm-store/:_authToken=${token}\n`);
    expect(value['pypi-store.endpoint']).toBe(urls['pypi-store']);
    expect(value['pypi-store.twineRepositoryUrl']).toBe(urls['pypi-store']);
    expect(value['pypi-store.pipIndexUrl']).toBe(
      `https://aws:${encodeURIComponent(token)}@${new URL(urls['pypi-store']).host}/pypi/pypi-store/simple/`,
    );
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);
});

describe('GetRepositoryEndpoint failures', () => {
  test('missing repository writes nothing', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'PackageSettings', missingRepositories: ['maven-store'] });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('threw');
    expect(output.result.error?.name).toBe('RefreshError');
    const message = output.result.error?.message ?? '';
    expect(message).toContain('GetRepositoryEndpoint failed');
    expect(message).toContain('ResourceNotFoundException');
    expect(message).toContain('repository "maven-store"');
    expect(message).toContain('domain "e2e-domain"');
    expect(message).toContain(`Check that the repository exists in domain "e2e-domain" of account ${FAKE_ACCOUNT}`);
    expect(message).toContain('Nothing was written');
    expect(scenario.endpoints.callsOf('PutSecretValue')).toHaveLength(0);
    expect(logLines(output, 'ERROR')[0]).toMatchObject({
      step: 'GetRepositoryEndpoint',
      stored: 'unchanged',
      errorName: 'ResourceNotFoundException',
    });
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('denied endpoint writes nothing', async () => {
    scenario = await Scenario.start(shipped, {
      stackName: 'PackageSettings',
      editPolicy: withoutStatement('GetRepositoryEndpoints'),
    });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('threw');
    const message = output.result.error?.message ?? '';
    expect(message).toContain('GetRepositoryEndpoint failed');
    expect(message).toContain('AccessDeniedException');
    expect(message).toContain('repository "npm-store"');
    expect(message).toContain('domain "e2e-domain"');
    expect(message).toContain('Check that the function role allows codeartifact:GetRepositoryEndpoint');
    expect(message).toContain('Nothing was written');
    expect(scenario.endpoints.callsOf('GetRepositoryEndpoint').map((call) => call.errorName)).toEqual(['AccessDeniedException']);
    expect(scenario.endpoints.callsOf('PutSecretValue')).toHaveLength(0);
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('Create with a missing repository responds FAILED', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'PackageSettings', missingRepositories: ['pypi-store'] });
    const event = scenario.customResourceEvent('Create');

    const output = await scenario.invoke({ event });

    expect(output.result).toMatchObject({ outcome: 'returned', value: null });
    const [response] = scenario.endpoints.cloudFormationResponses;
    expect(response.body.Status).toBe('FAILED');
    const reason = String(response.body.Reason);
    expect(reason).toContain('ResourceNotFoundException');
    expect(reason).toContain('repository "pypi-store"');
    expect(reason).toContain('domain "e2e-domain"');
    expect(response.body.Data).toEqual({});
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('response without URL writes nothing', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'PackageSettings' });
    scenario.endpoints.intercept('GetRepositoryEndpoint', async (call, proceed) => {
      const reply = await proceed();
      return call.query.get('repository') === 'npm-store' ? { ...reply, body: {} } : reply;
    });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('threw');
    const message = output.result.error?.message ?? '';
    expect(message).toContain('GetRepositoryEndpoint returned no repositoryEndpoint URL');
    expect(message).toContain('repository "npm-store"');
    expect(message).toContain('domain "e2e-domain"');
    expect(message).toContain('Nothing was written');
    expect(scenario.endpoints.callsOf('PutSecretValue')).toHaveLength(0);
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);
});
