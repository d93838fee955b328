import { expectNoTokenLeak, expectSecretUnchanged } from './harness/assertions';
import { Scenario } from './harness/scenario';
import { ShippedPackage, shippedPackage } from './harness/shipped-package';

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

describe('CloudFormation custom resource', () => {
  test('Create stores a token and responds SUCCESS', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });
    const event = scenario.customResourceEvent('Create');

    const output = await scenario.invoke({ event });

    // The runtime gets nothing back: CloudFormation learns the outcome from the response URL.
    expect(output.result).toMatchObject({ outcome: 'returned', value: null });
    expect(scenario.endpoints.cloudFormationResponses).toHaveLength(1);
    const [response] = scenario.endpoints.cloudFormationResponses;
    const [minted] = scenario.endpoints.codeArtifact.mintedTokens;
    expect(response.body).toEqual({
      Status: 'SUCCESS',
      Reason: '',
      PhysicalResourceId: scenario.secretArn,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      NoEcho: false,
      Data: { Expiration: new Date(minted.expiration).toISOString(), VersionId: scenario.currentVersion().versionId },
    });
    expect(new URL(event.ResponseURL as string).pathname).toBe(response.path);
    expect(scenario.currentValue().token).toBe(minted.token);
    expect(scenario.expiryTag()).toBe(scenario.currentValue().expiration);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('Create with AccessDenied responds FAILED', async () => {
    scenario = await Scenario.start(shipped, {
      stackName: 'SameAccountDomain',
      editPolicy: (statements) => statements.filter((statement) => statement.Sid !== 'MintToken'),
    });
    const event = scenario.customResourceEvent('Create');

    const output = await scenario.invoke({ event });

    expect(output.result).toMatchObject({ outcome: 'returned', value: null });
    const [response] = scenario.endpoints.cloudFormationResponses;
    expect(response.body.Status).toBe('FAILED');
    expect(response.body.Reason).toContain('AccessDeniedException');
    expect(response.body.Reason).toContain('codeartifact:GetAuthorizationToken');
    expect(response.body.Data).toEqual({});
    expect(response.body.RequestId).toBe(event.RequestId);
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('Update refreshes and keeps the physical id', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });
    const event = scenario.customResourceEvent('Update');

    const output = await scenario.invoke({ event });

    const [response] = scenario.endpoints.cloudFormationResponses;
    expect(response.body.Status).toBe('SUCCESS');
    expect(response.body.PhysicalResourceId).toBe(event.PhysicalResourceId);
    expect(scenario.versionCount()).toBe(2);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('Delete responds without calling AWS', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });
    const event = scenario.customResourceEvent('Delete');

    const output = await scenario.invoke({ event });

    expect(output.result).toMatchObject({ outcome: 'returned', value: null });
    expect(scenario.endpoints.calls).toHaveLength(0);
    const [response] = scenario.endpoints.cloudFormationResponses;
    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: event.PhysicalResourceId });
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('Create with invalid domain responds FAILED', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'ParameterDomain', parameters: { DomainName: 'Bad_Domain' } });
    const event = scenario.customResourceEvent('Create');

    const output = await scenario.invoke({ event });

    const [response] = scenario.endpoints.cloudFormationResponses;
    expect(response.body.Status).toBe('FAILED');
    expect(response.body.Reason).toContain('CODEARTIFACT_DOMAIN');
    expect(response.body.Reason).toContain('"Bad_Domain"');
    expect(scenario.endpoints.calls).toHaveLength(0);
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('slow Create responds FAILED in time', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });
    scenario.endpoints.intercept('GetAuthorizationToken', async (call, proceed) => {
      await Promise.race([scenario!.endpoints.delay(60_000), call.disconnected]);
      return proceed();
    });
    // The handler keeps 5 s of this for the response, so it has 1.5 s for the refresh.
    const remainingMillis = 6500;

    const output = await scenario.invoke({ event: scenario.customResourceEvent('Create'), remainingMillis });

    expect(output.result.outcome).toBe('returned');
    expect(output.result.durationMillis).toBeLessThan(remainingMillis);
    const [response] = scenario.endpoints.cloudFormationResponses;
    expect(response.body.Status).toBe('FAILED');
    expect(response.body.Reason).toContain('ran out of time before the function timeout');
    expectSecretUnchanged(scenario);
    expectNoTokenLeak(scenario, output);
  }, TEST_TIMEOUT_MILLIS);

  test('response is a PUT with an empty content type', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });

    await scenario.invoke({ event: scenario.customResourceEvent('Create') });

    const [response] = scenario.endpoints.cloudFormationResponses;
    expect(response.headers['content-type']).toBe('');
    expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.rawBody));
  }, TEST_TIMEOUT_MILLIS);
});
