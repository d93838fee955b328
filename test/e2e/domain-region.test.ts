import { expectNoTokenLeak } from './harness/assertions';
import { FAKE_ACCOUNT, FAKE_REGION } from './harness/deployment';
import { SCHEDULED_EVENT } from './harness/invoke';
import { Scenario } from './harness/scenario';
import { ShippedPackage, shippedPackage } from './harness/shipped-package';
import type { RecordedCall } from './local-aws/server';

const PREPARE_TIMEOUT_MILLIS = 120_000;
const TEST_TIMEOUT_MILLIS = 30_000;
/** Region of the domain of the OtherRegionMintingRole stack, which differs from the stack's. */
const DOMAIN_REGION = 'us-west-2';

let shipped: ShippedPackage;
let scenario: Scenario | undefined;

beforeAll(() => {
  shipped = shippedPackage();
}, PREPARE_TIMEOUT_MILLIS);

afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

/** Returns the `<date>/<region>/<service>/aws4_request` credential scope of a call's SigV4 signature. */
function credentialScope(call: RecordedCall): { region: string; service: string } {
  const match = /Credential=[A-Z0-9]+\/[0-9]{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/.exec(String(call.headers.authorization));
  if (!match) {
    throw new Error(`${call.operation} has no SigV4 credential scope.`);
  }
  return { region: match[1], service: match[2] };
}

describe('domain in another Region', () => {
  test('signs each service for its Region', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'OtherRegionMintingRole' });
    // The secret lives in the stack's Region, and the domain in another one.
    expect(scenario.secretArn.split(':')[3]).toBe(FAKE_REGION);
    expect(scenario.deployment.environment.CODEARTIFACT_REGION).toBe(DOMAIN_REGION);

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('returned');
    const scopes = scenario.endpoints.calls.map((call) => [call.operation, credentialScope(call)]);
    expect(scopes).toEqual([
      ['AssumeRole', { region: FAKE_REGION, service: 'sts' }],
      ['GetAuthorizationToken', { region: DOMAIN_REGION, service: 'codeartifact' }],
      ['GetRepositoryEndpoint', { region: DOMAIN_REGION, service: 'codeartifact' }],
      ['PutSecretValue', { region: FAKE_REGION, service: 'secretsmanager' }],
      ['DescribeSecret', { region: FAKE_REGION, service: 'secretsmanager' }],
      ['TagResource', { region: FAKE_REGION, service: 'secretsmanager' }],
      ['DescribeSecret', { region: FAKE_REGION, service: 'secretsmanager' }],
    ]);

    const [minted] = scenario.endpoints.codeArtifact.mintedTokens;
    expect(minted.accessKeyId).toBe(scenario.endpoints.sts.issuedCredentials[0].accessKeyId);
    const [endpoint] = scenario.endpoints.codeArtifact.returnedEndpoints;
    expect(endpoint.url).toBe(`https://west-domain-${FAKE_ACCOUNT}.d.codeartifact.${DOMAIN_REGION}.amazonaws.com/npm/npm-store/`);
    const value = scenario.currentValue();
    expect(value.token).toBe(minted.token);
    expect(value.domain).toBe('west-domain');
    expect(value.region).toBe(DOMAIN_REGION);
    expect(value['npm-store.endpoint']).toBe(endpoint.url);
    expect(value['npm-store.npmRegistry']).toBe(endpoint.url);
    expect(scenario.expiryTag()).toBe(value.expiration);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);
});
