import { expectNoTokenLeak, logLines, metricLines } from './harness/assertions';
import { FAKE_ACCOUNT, FAKE_REGION } from './harness/deployment';
import { SCHEDULED_EVENT } from './harness/invoke';
import { EXPIRATION_TAG, Scenario } from './harness/scenario';
import { ShippedPackage, shippedPackage } from './harness/shipped-package';
import { AWSCURRENT, AWSPREVIOUS } from './local-aws/secrets-manager';
import { awsErrorReply } from './local-aws/server';

// Packing and synthesizing take a few seconds once per run; each invocation starts a process.
const PREPARE_TIMEOUT_MILLIS = 120_000;
const TEST_TIMEOUT_MILLIS = 30_000;

let shipped: ShippedPackage;
let scenario: Scenario | undefined;

beforeAll(() => {
  shipped = shippedPackage();
}, PREPARE_TIMEOUT_MILLIS);

afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

describe('scheduled refresh', () => {
  test('stores a token and tags its expiry', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });
    const previousVersionId = scenario.currentVersion().versionId;

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('returned');
    const [minted] = scenario.endpoints.codeArtifact.mintedTokens;
    const expiration = new Date(minted.expiration).toISOString();
    expect(output.result.value).toEqual({ versionId: scenario.currentVersion().versionId, expiration });
    expect(scenario.currentValue()).toEqual({
      token: minted.token,
      expiration,
      domain: 'e2e-domain',
      domainOwner: FAKE_ACCOUNT,
      region: FAKE_REGION,
      username: 'aws',
    });
    expect(scenario.expiryTag()).toBe(expiration);
    expect(scenario.versionCount()).toBe(2);
    const previous = scenario.endpoints.secretsManager.secret(scenario.secretArn).versions.get(previousVersionId);
    expect([...previous!.stages]).toEqual([AWSPREVIOUS]);
    expect(scenario.endpoints.calls.map((call) => call.operation)).toEqual([
      'GetAuthorizationToken',
      'PutSecretValue',
      'DescribeSecret',
      'TagResource',
      'DescribeSecret',
    ]);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('requests the configured token', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });

    await scenario.invoke({ event: SCHEDULED_EVENT });

    const [request] = scenario.endpoints.callsOf('GetAuthorizationToken');
    expect(request.method).toBe('POST');
    expect(Object.fromEntries(request.query)).toEqual({
      'domain': 'e2e-domain',
      'domain-owner': FAKE_ACCOUNT,
      'duration': '43200',
    });
    expect(request.region).toBe(FAKE_REGION);
    expect(request.accessKeyId).toBe(scenario.credentials.accessKeyId);
  }, TEST_TIMEOUT_MILLIS);

  test('mints in the domain Region', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'OtherRegionDomain' });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('returned');
    expect(scenario.endpoints.callsOf('GetAuthorizationToken')[0].region).toBe('us-west-2');
    expect(scenario.endpoints.callsOf('PutSecretValue')[0].region).toBe(FAKE_REGION);
    expect(scenario.currentValue().region).toBe('us-west-2');
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('publishes the metric of the expiry alarm', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    const alarm = scenario.deployment.expiryAlarmMetric;
    const [metric] = metricLines(output, alarm.metricName);
    const [directive] = (metric._aws as { CloudWatchMetrics: Array<Record<string, unknown>> }).CloudWatchMetrics;
    expect(directive.Namespace).toBe(alarm.namespace);
    expect(directive.Metrics).toEqual([{ Name: alarm.metricName, Unit: 'Seconds' }]);
    expect((directive.Dimensions as string[][]).map((set) => [...set].sort())).toEqual([Object.keys(alarm.dimensions).sort()]);
    for (const [name, value] of Object.entries(alarm.dimensions)) {
      expect(metric[name]).toBe(value);
    }
    // The token lives 12 hours; the metric is computed a moment after minting.
    expect(metric[alarm.metricName]).toBeGreaterThan(43200 - 60);
    expect(metric[alarm.metricName]).toBeLessThanOrEqual(43200);
  }, TEST_TIMEOUT_MILLIS);

  test('warm environment refreshes twice', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });

    const output = await scenario.invokeWarm([{ event: SCHEDULED_EVENT }, { event: SCHEDULED_EVENT }]);

    expect(output.results.map((result) => result.outcome)).toEqual(['returned', 'returned']);
    const minted = scenario.endpoints.codeArtifact.mintedTokens;
    expect(minted).toHaveLength(2);
    expect(scenario.currentValue().token).toBe(minted[1].token);
    expect(scenario.expiryTag()).toBe(new Date(minted[1].expiration).toISOString());
    expect(scenario.versionCount()).toBe(3);
    const infoLines = logLines(output, 'INFO').filter((line) => line.message === 'Token refreshed');
    expect(infoLines.map((line) => line.cold_start)).toEqual([true, false]);
    const metrics = metricLines(output, scenario.deployment.expiryAlarmMetric.metricName);
    expect(metrics).toHaveLength(2);
    for (const metric of metrics) {
      const [directive] = (metric._aws as { CloudWatchMetrics: Array<{ Dimensions: string[][] }> }).CloudWatchMetrics;
      expect(directive.Dimensions).toHaveLength(1);
    }
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);
});

describe('retries', () => {
  test('throttling then success stores one version', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });
    scenario.endpoints.intercept('GetAuthorizationToken', (call) => awsErrorReply(call, 'ThrottlingException', 'Rate exceeded'), {
      times: 2,
    });

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('returned');
    const attempts = scenario.endpoints.callsOf('GetAuthorizationToken');
    expect(attempts.map((call) => call.status)).toEqual([429, 429, 200]);
    // The SDK numbers its attempts of one call and keeps one invocation id across them.
    expect(attempts.map((call) => String(call.headers['amz-sdk-request']).split(';')[0])).toEqual([
      'attempt=1',
      'attempt=2',
      'attempt=3',
    ]);
    expect(new Set(attempts.map((call) => call.headers['amz-sdk-invocation-id'])).size).toBe(1);
    expect(scenario.endpoints.callsOf('PutSecretValue')).toHaveLength(1);
    expect(scenario.versionCount()).toBe(2);
    expect(scenario.currentValue().token).toBe(scenario.endpoints.codeArtifact.mintedTokens[0].token);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('retried put stores one version', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });
    // The first put is stored, but its response is lost to a server error.
    scenario.endpoints.intercept(
      'PutSecretValue',
      async (call, proceed) => {
        await proceed();
        return awsErrorReply(call, 'InternalServiceError', 'An error occurred on the server side.');
      },
      { times: 1 },
    );

    const output = await scenario.invoke({ event: SCHEDULED_EVENT });

    expect(output.result.outcome).toBe('returned');
    const puts = scenario.endpoints.callsOf('PutSecretValue');
    expect(puts.map((call) => call.status)).toEqual([500, 200]);
    expect(puts[1].input.ClientRequestToken).toBe(puts[0].input.ClientRequestToken);
    expect(scenario.versionCount()).toBe(2);
    const current = scenario.currentVersion();
    expect([...current.stages]).toEqual([AWSCURRENT]);
    expect((output.result.value as { versionId: string }).versionId).toBe(current.versionId);
    expect(scenario.expiryTag()).toBe(scenario.currentValue().expiration);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('tags only the expiry', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });

    await scenario.invoke({ event: SCHEDULED_EVENT });

    const [tagging] = scenario.endpoints.callsOf('TagResource');
    expect(tagging.status).toBe(200);
    expect(tagging.input.Tags).toEqual([{ Key: EXPIRATION_TAG, Value: scenario.currentValue().expiration }]);
  }, TEST_TIMEOUT_MILLIS);
});
