import { expectNoTokenLeak, expectSecretUnchanged, logLines, metricLines } from './harness/assertions';
import { FAKE_ACCOUNT } from './harness/deployment';
import { SCHEDULED_EVENT } from './harness/invoke';
import { PREVIOUS_TOKEN_VALIDITY_MILLIS, Scenario } from './harness/scenario';
import { ShippedPackage, shippedPackage } from './harness/shipped-package';
import { withoutStatement } from './local-aws/iam';
import { epochSeconds, HttpReply } from './local-aws/protocol';
import { MAX_VERSIONS } from './local-aws/secrets-manager';
import { awsErrorReply } from './local-aws/server';

const PREPARE_TIMEOUT_MILLIS = 120_000;
const TEST_TIMEOUT_MILLIS = 30_000;
const OTHER_ACCOUNT = '444455556666';

let shipped: ShippedPackage;
let scenario: Scenario | undefined;

beforeAll(() => {
  shipped = shippedPackage();
}, PREPARE_TIMEOUT_MILLIS);

afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});


describe('AWS errors', () => {
  test('persistent throttling writes nothing', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });
    scenario.endpoints.intercept('GetAuthorizationToken', (call) => awsErrorReply(call, 'ThrottlingException', 'Rate exceeded'));

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('threw');
    expect(output.result.error?.name).toBe('RefreshError');
    expect(output.result.error?.message).toContain('GetAuthorizationToken failed');
    expect(output.result.error?.message).toContain('ThrottlingException after 3 attempts');
    expect(scenario.endpoints.callsOf('GetAuthorizationToken')).toHaveLength(3);
    expect(scenario.endpoints.callsOf('PutSecretValue')).toHaveLength(0);
    const [failure] = logLines(output, 'ERROR');
    expect(failure).toMatchObject({
      message: 'Token refresh failed',
      step: 'GetAuthorizationToken',
      stored: 'unchanged',
      errorName: 'ThrottlingException',
      attempts: 3,
    });
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('failed refresh reports the stored validity', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });
    scenario.endpoints.intercept('GetAuthorizationToken', (call) => awsErrorReply(call, 'InternalServerException', 'Internal error'));

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('threw');
    const alarm = scenario.deployment.expiryAlarmMetric;
    const [metric] = metricLines(output, alarm.metricName);
    const previousValiditySeconds = PREVIOUS_TOKEN_VALIDITY_MILLIS / 1000;
    expect(metric[alarm.metricName]).toBeGreaterThan(previousValiditySeconds - 60);
    expect(metric[alarm.metricName]).toBeLessThanOrEqual(previousValiditySeconds);
    expect(metric.SecretArn).toBe(scenario.secretArn);
    expectSecretUnchanged(scenario);
  }, TEST_TIMEOUT_MILLIS);

  test('missing bearer permission names both permissions', async () => {
    scenario = await Scenario.start(shipped, {
      stackName: 'SameAccountDomain',
      editPolicy: withoutStatement('GetBearerTokenForCodeArtifact'),
    });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('threw');
    const message = output.result.error?.message ?? '';
    expect(message).toContain('AccessDeniedException');
    expect(message).toContain('codeartifact:GetAuthorizationToken');
    expect(message).toContain('sts:GetServiceBearerToken');
    expect(message).not.toContain('domain policy');
    expect(scenario.endpoints.callsOf('GetAuthorizationToken').map((call) => call.errorName)).toEqual(['AccessDeniedException']);
    expect(scenario.endpoints.callsOf('PutSecretValue')).toHaveLength(0);
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('cross-account denial names the domain policy', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'CrossAccountDomain' });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('threw');
    const message = output.result.error?.message ?? '';
    expect(message).toContain('AccessDeniedException');
    expect(message).toContain('codeartifact:GetAuthorizationToken');
    expect(message).toContain('sts:GetServiceBearerToken');
    expect(message).toContain(`domain policy in account ${OTHER_ACCOUNT}`);
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('cross-account domain policy allows the refresh', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'CrossAccountDomain', domainPolicyAccounts: [FAKE_ACCOUNT] });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('returned');
    expect(scenario.endpoints.callsOf('GetAuthorizationToken')[0].query.get('domain-owner')).toBe(OTHER_ACCOUNT);
    expect(scenario.currentValue().domainOwner).toBe(OTHER_ACCOUNT);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('missing domain names domain and owner', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain', createDomain: false });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('threw');
    const message = output.result.error?.message ?? '';
    expect(message).toContain('ResourceNotFoundException');
    expect(message).toContain('"e2e-domain"');
    expect(message).toContain(FAKE_ACCOUNT);
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('failed put writes no tag', async () => {
    scenario = await Scenario.start(shipped, {
      stackName: 'SameAccountDomain',
      editPolicy: (statements) =>
        statements.map((statement) =>
          statement.Sid === 'WriteTokenSecret' ? { ...statement, Action: 'secretsmanager:DescribeSecret' } : statement,
        ),
    });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('threw');
    expect(output.result.error?.message).toContain('PutSecretValue failed');
    expect(output.result.error?.message).toContain('AccessDeniedException');
    expect(scenario.endpoints.callsOf('TagResource')).toHaveLength(0);
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('version quota rejects the put', async () => {
    // Versions younger than 24 hours are never removed, so the secret is at its quota.
    const olderVersionAges = Array.from({ length: MAX_VERSIONS - 1 }, (_, index) => (index + 1) * 60_000);
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain', olderVersionAges });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('threw');
    const message = output.result.error?.message ?? '';
    expect(message).toContain('LimitExceededException');
    expect(message).toContain('refresh less often');
    expect(scenario.endpoints.callsOf('TagResource')).toHaveLength(0);
    expectSecretUnchanged(scenario, MAX_VERSIONS);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('failed tag keeps the older expiry', async () => {
    scenario = await Scenario.start(shipped, {
      stackName: 'SameAccountDomain',
      editPolicy: withoutStatement('TagTokenSecretExpiry'),
    });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('threw');
    const message = output.result.error?.message ?? '';
    expect(message).toContain('TagResource failed');
    expect(message).toContain('AccessDeniedException');
    expect(message).toContain('The new token is stored');
    const [minted] = scenario.endpoints.codeArtifact.mintedTokens;
    expect(scenario.currentValue().token).toBe(minted.token);
    expect(scenario.currentValue().expiration).toBe(new Date(minted.expiration).toISOString());
    expect(scenario.versionCount()).toBe(2);
    expect(scenario.expiryTag()).toBe(scenario.previousExpiration);
    expect(logLines(output, 'ERROR')[0]).toMatchObject({ step: 'TagResource', stored: 'value-written-tag-stale' });
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);
});

describe('malformed responses', () => {
  type Body = { authorizationToken?: string; expiration?: number };
  const cases: Array<[string, (body: Body) => Partial<HttpReply>]> = [
    ['no token', (body) => ({ body: { expiration: body.expiration } })],
    ['empty token', (body) => ({ body: { ...body, authorizationToken: '' } })],
    ['no expiration', (body) => ({ body: { authorizationToken: body.authorizationToken } })],
    ['past expiration', (body) => ({ body: { ...body, expiration: epochSeconds(Date.now() - 60_000) } })],
    ['expiration too close', (body) => ({ body: { ...body, expiration: epochSeconds(Date.now() + 120_000) } })],
    ['truncated JSON', (body) => ({ rawBody: JSON.stringify(body).slice(0, -20) })],
  ];

  test.each(cases)('%s writes nothing', async (_case, malform) => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });
    scenario.endpoints.intercept('GetAuthorizationToken', async (_, proceed) => {
      const reply = await proceed();
      return { ...reply, ...malform(reply.body as Body) };
    });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('threw');
    expect(output.result.error?.message).toContain('Nothing was written');
    expect(scenario.endpoints.callsOf('PutSecretValue')).toHaveLength(0);
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);
});

describe('deadline', () => {
  // Lambda's context reports this much time left, so the handler keeps 7 s in reserve and
  // has 1.5 s for the refresh.
  const REMAINING_MILLIS = 8500;

  test('slow token endpoint gives up in time', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });
    scenario.endpoints.intercept('GetAuthorizationToken', async (call, proceed) => {
      await Promise.race([scenario!.endpoints.delay(60_000), call.disconnected]);
      return proceed();
    });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT, remainingMillis: REMAINING_MILLIS });

    expect(output.result.outcome).toBe('threw');
    expect(output.result.durationMillis).toBeLessThan(REMAINING_MILLIS);
    const message = output.result.error?.message ?? '';
    expect(message).toContain('ran out of time before the function timeout');
    expect(message).toContain('Nothing was written');
    expect(logLines(output, 'ERROR')[0]).toMatchObject({ step: 'Deadline', stored: 'unchanged' });
    expect(scenario.endpoints.callsOf('PutSecretValue')).toHaveLength(0);
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('slow put response leaves a whole value', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });
    // The put is stored, then its response takes longer than the function may wait.
    scenario.endpoints.intercept('PutSecretValue', async (call, proceed) => {
      const reply = await proceed();
      await Promise.race([scenario!.endpoints.delay(60_000), call.disconnected]);
      return reply;
    });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT, remainingMillis: REMAINING_MILLIS });

    expect(output.result.outcome).toBe('threw');
    expect(output.result.durationMillis).toBeLessThan(REMAINING_MILLIS);
    const message = output.result.error?.message ?? '';
    expect(message).toContain('ran out of time before the function timeout');
    expect(message).toContain('may have been stored');
    expect(logLines(output, 'ERROR')[0]).toMatchObject({ step: 'Deadline', stored: 'value-maybe-written-tag-stale' });
    // The value is the whole new one, because the put was stored, and the tag understates it.
    const [minted] = scenario.endpoints.codeArtifact.mintedTokens;
    expect(scenario.currentValue().token).toBe(minted.token);
    expect(scenario.expiryTag()).toBe(scenario.previousExpiration);
    expect(scenario.endpoints.callsOf('TagResource')).toHaveLength(0);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);
});

describe('configuration', () => {
  test('invalid domain fails before any call', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'ParameterDomain', parameters: { DomainName: 'Bad_Domain' } });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('threw');
    expect(output.result.error?.name).toBe('ConfigurationError');
    expect(output.result.error?.message).toContain('CODEARTIFACT_DOMAIN');
    expect(output.result.error?.message).toContain('"Bad_Domain"');
    expect(scenario.endpoints.calls).toHaveLength(0);
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('valid parameter domain refreshes', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'ParameterDomain', parameters: { DomainName: 'team-domain' } });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('returned');
    expect(scenario.currentValue().domain).toBe('team-domain');
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);
});
