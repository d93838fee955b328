import { CodeartifactClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-codeartifact';
import { expectNoTokenLeak, expectSecretUnchanged, logLines } from './harness/assertions';
import { FAKE_ACCOUNT, FAKE_REGION } from './harness/deployment';
import { SCHEDULED_EVENT } from './harness/invoke';
import { Scenario, ScenarioOptions } from './harness/scenario';
import { ShippedPackage, shippedPackage } from './harness/shipped-package';
import { AuthorizationRequest, isAllowed, withoutStatement } from './local-aws/iam';
import { AWSPREVIOUS } from './local-aws/secrets-manager';
import { awsErrorReply } from './local-aws/server';

const PREPARE_TIMEOUT_MILLIS = 120_000;
const TEST_TIMEOUT_MILLIS = 30_000;
/** Session name that the refresher gives the minting role's sessions. */
const SESSION_NAME = 'codeartifact-token-refresher';
const DOMAIN_ARN = `arn:aws:codeartifact:${FAKE_REGION}:${FAKE_ACCOUNT}:domain/e2e-domain`;
const NPM_REPOSITORY_ARN = `arn:aws:codeartifact:${FAKE_REGION}:${FAKE_ACCOUNT}:repository/e2e-domain/npm-store`;

let shipped: ShippedPackage;
let scenario: Scenario | undefined;

beforeAll(() => {
  shipped = shippedPackage();
}, PREPARE_TIMEOUT_MILLIS);

afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});


describe('minting role', () => {
  test('mints with the assumed role', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'MintingRole' });
    const previousVersionId = scenario.currentVersion().versionId;
    const mintingRole = scenario.mintingRole();

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('returned');
    const [assumeRole] = scenario.endpoints.callsOf('AssumeRole');
    expect(assumeRole.input).toEqual({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: mintingRole.arn,
      RoleSessionName: SESSION_NAME,
      DurationSeconds: '900',
    });
    expect(assumeRole.accessKeyId).toBe(scenario.credentials.accessKeyId);
    expect(assumeRole.region).toBe(FAKE_REGION);

    // CodeArtifact requests are signed by the minting role's session, Secrets Manager requests by the function's.
    const [issued] = scenario.endpoints.sts.issuedCredentials;
    expect(issued.roleArn).toBe(mintingRole.arn);
    for (const call of scenario.endpoints.calls) {
      const expectedKey = call.service === 'codeartifact' ? issued.accessKeyId : scenario.credentials.accessKeyId;
      expect([call.operation, call.accessKeyId]).toEqual([call.operation, expectedKey]);
    }
    for (const operation of ['GetAuthorizationToken', 'GetRepositoryEndpoint'] as const) {
      const calls = scenario.endpoints.callsOf(operation);
      expect(calls.map((call) => call.status)).toEqual([200]);
      expect(calls[0].headers['x-amz-security-token']).toBe(issued.sessionToken);
    }

    const [minted] = scenario.endpoints.codeArtifact.mintedTokens;
    expect(minted.accessKeyId).toBe(issued.accessKeyId);
    const [endpoint] = scenario.endpoints.codeArtifact.returnedEndpoints;
    const expiration = new Date(minted.expiration).toISOString();
    expect(output.result.value).toEqual({ versionId: scenario.currentVersion().versionId, expiration });
    expect(scenario.currentValue()).toEqual({
      'token': minted.token,
      expiration,
      'domain': 'e2e-domain',
      'domainOwner': FAKE_ACCOUNT,
      'region': FAKE_REGION,
      'username': 'aws',
      'npm-store.endpoint': endpoint.url,
      'npm-store.npmRegistry': endpoint.url,
      'npm-store.npmrc': `registry=${endpoint.url}\n//${endpoint.url.slice('https://'.length)}:_authToken=${minted.token}\n`,
    });
    expect(scenario.expiryTag()).toBe(expiration);
    expect(scenario.versionCount()).toBe(2);
    const previous = scenario.endpoints.secretsManager.secret(scenario.secretArn).versions.get(previousVersionId);
    expect([...previous!.stages]).toEqual([AWSPREVIOUS]);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('function role cannot mint', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'MintingRole' });
    const requests: AuthorizationRequest[] = [
      { action: 'codeartifact:GetAuthorizationToken', resource: DOMAIN_ARN, context: {} },
      { action: 'codeartifact:GetRepositoryEndpoint', resource: NPM_REPOSITORY_ARN, context: {} },
      { action: 'codeartifact:ReadFromRepository', resource: NPM_REPOSITORY_ARN, context: {} },
      { action: 'sts:GetServiceBearerToken', resource: '*', context: { 'sts:AWSServiceName': 'codeartifact.amazonaws.com' } },
    ];

    for (const request of requests) {
      const byFunctionRole = isAllowed(scenario.deployment.policyStatements, request);
      expect([request.action, byFunctionRole]).toEqual([request.action, false]);
      const byMintingRole = isAllowed(scenario.mintingRole().policyStatements, request);
      expect([request.action, byMintingRole]).toEqual([request.action, true]);
    }

    // A token request signed with the function's own credentials is denied.
    const asFunction = new CodeartifactClient({
      region: FAKE_REGION,
      endpoint: scenario.endpoints.url,
      credentials: scenario.credentials,
      maxAttempts: 1,
    });
    const request = asFunction.send(new GetAuthorizationTokenCommand({ domain: 'e2e-domain', domainOwner: FAKE_ACCOUNT }));
    await expect(request).rejects.toMatchObject({ name: 'AccessDeniedException' });
    asFunction.destroy();
    expect(scenario.endpoints.codeArtifact.mintedTokens).toHaveLength(0);
  }, TEST_TIMEOUT_MILLIS);

  const denials: Array<[string, Partial<ScenarioOptions>]> = [
    [
      'untrusted function role',
      {
        editMintingTrustPolicy: (statements) =>
          statements.map((statement) => ({ ...statement, Principal: { AWS: `arn:aws:iam::${FAKE_ACCOUNT}:role/another-role` } })),
      },
    ],
    ['function role without AssumeRole', { editPolicy: withoutStatement('AssumeMintingRole') }],
  ];

  test.each(denials)('%s writes nothing', async (_case, edits) => {
    scenario = await Scenario.start(shipped, { stackName: 'MintingRole', ...edits });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('threw');
    expect(output.result.error?.name).toBe('RefreshError');
    const message = output.result.error?.message ?? '';
    expect(message).toContain('AssumeRole failed');
    expect(message).toContain('AccessDenied');
    expect(message).toContain(scenario.mintingRole().arn);
    expect(message).toContain('trust policy');
    expect(message).toContain('sts:AssumeRole');
    expect(message).toContain('Nothing was written');
    // AccessDenied is retried twice, because IAM accepts a new role or trust policy only after a few seconds.
    expect(scenario.endpoints.callsOf('AssumeRole').map((call) => call.errorName)).toEqual([
      'AccessDenied',
      'AccessDenied',
      'AccessDenied',
    ]);
    expect(scenario.endpoints.calls.filter((call) => call.service === 'codeartifact')).toEqual([]);
    expect(scenario.endpoints.callsOf('PutSecretValue')).toHaveLength(0);
    expect(scenario.endpoints.sts.issuedCredentials).toHaveLength(0);
    expect(logLines(output, 'ERROR')[0]).toMatchObject({ step: 'AssumeRole', stored: 'unchanged', errorName: 'AccessDenied' });
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('Create with AssumeRole denied responds FAILED', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'MintingRole', editMintingTrustPolicy: () => [] });
    const event = scenario.customResourceEvent('Create');

    const output = await scenario.invoke({ event });

    expect(output.result).toMatchObject({ outcome: 'returned', value: null });
    expect(scenario.endpoints.cloudFormationResponses).toHaveLength(1);
    const [response] = scenario.endpoints.cloudFormationResponses;
    expect(response.body.Status).toBe('FAILED');
    expect(response.body.RequestId).toBe(event.RequestId);
    const reason = String(response.body.Reason);
    expect(reason).toContain('AssumeRole failed');
    expect(reason).toContain('AccessDenied');
    expect(reason).toContain(scenario.mintingRole().arn);
    expect(reason).toContain('trust policy');
    expect(response.body.Data).toEqual({});
    expect(scenario.endpoints.calls.filter((call) => call.service === 'codeartifact')).toEqual([]);
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('throttled AssumeRole is named', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'MintingRole' });
    // STS's query protocol names throttling `Throttling`, not `ThrottlingException`.
    scenario.endpoints.intercept('AssumeRole', (call) => awsErrorReply(call, 'Throttling', 'Rate exceeded'));

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('threw');
    const message = output.result.error?.message ?? '';
    expect(message).toContain('AssumeRole failed');
    expect(message).toContain('Throttling after 3 attempts');
    expect(message).toContain('Nothing was written');
    expect(scenario.endpoints.callsOf('AssumeRole')).toHaveLength(3);
    expect(message).toContain('throttled on every attempt');
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('AssumeRole without credentials writes nothing', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'MintingRole' });
    scenario.endpoints.intercept('AssumeRole', async (_, proceed) => {
      const reply = await proceed();
      return { ...reply, rawBody: reply.rawBody?.replace(/<Credentials>.*<\/Credentials>/s, '') };
    });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('threw');
    const message = output.result.error?.message ?? '';
    expect(message).toContain('AssumeRole');
    expect(message).toContain(scenario.mintingRole().arn);
    expect(message).toContain('Nothing was written');
    expect(scenario.endpoints.calls.filter((call) => call.service === 'codeartifact')).toEqual([]);
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('slow AssumeRole gives up in time', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'MintingRole' });
    scenario.endpoints.intercept('AssumeRole', async (call, proceed) => {
      await Promise.race([scenario!.endpoints.delay(60_000), call.disconnected]);
      return proceed();
    });
    // Lambda's context reports this much time left, so the handler keeps 7 s in reserve and
    // has 1.5 s for the refresh.
    const remainingMillis = 8500;

    const output = await scenario.invoke({ event: SCHEDULED_EVENT, remainingMillis });

    expect(output.result.outcome).toBe('threw');
    expect(output.result.durationMillis).toBeLessThan(remainingMillis);
    const message = output.result.error?.message ?? '';
    expect(message).toContain('Gave up on AssumeRole');
    expect(message).toContain('ran out of time before the function timeout');
    expect(message).toContain('Nothing was written');
    expect(scenario.endpoints.calls.filter((call) => call.service === 'codeartifact')).toEqual([]);
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('minting role without endpoint permission', async () => {
    scenario = await Scenario.start(shipped, {
      stackName: 'MintingRole',
      editMintingPolicy: withoutStatement('GetRepositoryEndpoints'),
    });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('threw');
    const message = output.result.error?.message ?? '';
    expect(message).toContain('GetRepositoryEndpoint failed');
    expect(message).toContain('AccessDeniedException');
    expect(message).toContain('repository "npm-store"');
    expect(message).toContain('domain "e2e-domain"');
    expect(message).toContain(`the minting role ${scenario.mintingRole().arn}`);
    expect(message).toContain('Nothing was written');
    expect(scenario.endpoints.callsOf('GetRepositoryEndpoint')[0].accessKeyId).toBe(
      scenario.endpoints.sts.issuedCredentials[0].accessKeyId,
    );
    expect(scenario.endpoints.callsOf('PutSecretValue')).toHaveLength(0);
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);
});
