import { expectNoTokenLeak } from './harness/assertions';
import { invokeOnce, SCHEDULED_EVENT } from './harness/invoke';
import { Scenario } from './harness/scenario';
import { ShippedPackage, shippedPackage } from './harness/shipped-package';
import { epochSeconds } from './local-aws/protocol';

const PREPARE_TIMEOUT_MILLIS = 120_000;
const TEST_TIMEOUT_MILLIS = 30_000;
/** How much later the first environment's token expires, so that its tag would overstate the other token. */
const LATER_EXPIRY_MILLIS = 10 * 60 * 1000;

let shipped: ShippedPackage;
let scenario: Scenario | undefined;

beforeAll(() => {
  shipped = shippedPackage();
}, PREPARE_TIMEOUT_MILLIS);

afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

/** A promise with its resolve function, to order requests of two processes. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** Makes the tokens minted for one access key expire later than the others. */
function extendExpiry(current: Scenario, accessKeyId: string): void {
  current.endpoints.intercept(
    'GetAuthorizationToken',
    async (_, proceed) => {
      const reply = await proceed();
      const body = reply.body as { authorizationToken: string; expiration: number };
      const minted = current.endpoints.codeArtifact.mintedTokens.find((token) => token.token === body.authorizationToken)!;
      Object.assign(minted, { expiration: minted.expiration + LATER_EXPIRY_MILLIS });
      return { ...reply, body: { ...body, expiration: epochSeconds(minted.expiration) } };
    },
    { accessKeyId },
  );
}

/** Checks that the value and its expiration come from one token, and that the tag does not overstate it. */
function expectConsistentSecret(current: Scenario): void {
  const value = current.currentValue();
  const minted = current.endpoints.codeArtifact.mintedTokens.find((token) => token.token === value.token);
  expect(minted).toBeDefined();
  expect(value.expiration).toBe(new Date(minted!.expiration).toISOString());
  const tag = current.expiryTag();
  expect(tag).toBeDefined();
  expect(Date.parse(tag!)).toBeLessThanOrEqual(Date.parse(value.expiration));
}

describe('concurrent refreshes', () => {
  test('simultaneous runs leave a consistent secret', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });
    const first = scenario.executionEnvironment();
    const second = scenario.anotherExecutionEnvironment();
    extendExpiry(scenario, first.credentials.accessKeyId);
    // Both mint before either stores, so their writes overlap.
    const bothMinting = signal();
    let minting = 0;
    scenario.endpoints.intercept('GetAuthorizationToken', async (_, proceed) => {
      minting += 1;
      if (minting === 2) {
        bothMinting.resolve();
      }
      await bothMinting.promise;
      return proceed();
    });

    const outputs = await Promise.all([invokeOnce(first, { event: SCHEDULED_EVENT }), invokeOnce(second, { event: SCHEDULED_EVENT })]);

    expect(outputs.map((output) => output.result.outcome)).toEqual(['returned', 'returned']);
    expect(scenario.versionCount()).toBe(3);
    expectConsistentSecret(scenario);
    for (const output of outputs) {
      expectNoTokenLeak(scenario, output);
    }
  }, TEST_TIMEOUT_MILLIS);

  test('late tag is put back', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });
    const first = scenario.executionEnvironment();
    const second = scenario.anotherExecutionEnvironment();
    extendExpiry(scenario, first.credentials.accessKeyId);
    // The first run stores and finds its version current. Then the second run stores, tags and
    // finishes, and only then does the first run's tag arrive.
    const firstDescribed = signal();
    const secondFinished = signal();
    scenario.endpoints.intercept(
      'DescribeSecret',
      async (_, proceed) => {
        const reply = await proceed();
        firstDescribed.resolve();
        return reply;
      },
      { accessKeyId: first.credentials.accessKeyId, times: 1 },
    );
    scenario.endpoints.intercept(
      'PutSecretValue',
      async (_, proceed) => {
        await firstDescribed.promise;
        return proceed();
      },
      { accessKeyId: second.credentials.accessKeyId },
    );
    scenario.endpoints.intercept(
      'TagResource',
      async (_, proceed) => {
        await secondFinished.promise;
        return proceed();
      },
      { accessKeyId: first.credentials.accessKeyId, times: 1 },
    );

    const [firstOutput, secondOutput] = await Promise.all([
      invokeOnce(first, { event: SCHEDULED_EVENT }),
      invokeOnce(second, { event: SCHEDULED_EVENT }).finally(() => secondFinished.resolve()),
    ]);

    expect(firstOutput.result.outcome).toBe('returned');
    expect(secondOutput.result.outcome).toBe('returned');
    const secondToken = scenario.endpoints.codeArtifact.mintedTokens.find(
      (token) => token.accessKeyId === second.credentials.accessKeyId,
    )!;
    expect(scenario.currentValue().token).toBe(secondToken.token);
    expectConsistentSecret(scenario);
    expect(firstOutput.stdout).toContain('a concurrent refresh owns the expiry tag');
    expectNoTokenLeak(scenario, firstOutput);
    expectNoTokenLeak(scenario, secondOutput);
  }, TEST_TIMEOUT_MILLIS);

  test('newer version skips the tag', async () => {
    scenario = await Scenario.start(shipped, { stackName: 'SameAccountDomain' });
    const first = scenario.executionEnvironment();
    const second = scenario.anotherExecutionEnvironment();
    // The second run stores after the first, and finishes before the first reads the stages.
    const firstStored = signal();
    const secondFinished = signal();
    scenario.endpoints.intercept(
      'PutSecretValue',
      async (_, proceed) => {
        const reply = await proceed();
        firstStored.resolve();
        return reply;
      },
      { accessKeyId: first.credentials.accessKeyId },
    );
    scenario.endpoints.intercept(
      'PutSecretValue',
      async (_, proceed) => {
        await firstStored.promise;
        return proceed();
      },
      { accessKeyId: second.credentials.accessKeyId },
    );
    scenario.endpoints.intercept(
      'DescribeSecret',
      async (_, proceed) => {
        await secondFinished.promise;
        return proceed();
      },
      { accessKeyId: first.credentials.accessKeyId, times: 1 },
    );

    const [firstOutput, secondOutput] = await Promise.all([
      invokeOnce(first, { event: SCHEDULED_EVENT }),
      invokeOnce(second, { event: SCHEDULED_EVENT }).finally(() => secondFinished.resolve()),
    ]);

    expect(firstOutput.result.outcome).toBe('returned');
    expect(secondOutput.result.outcome).toBe('returned');
    const tagCallers = scenario.endpoints.callsOf('TagResource').map((call) => call.accessKeyId);
    expect(tagCallers).toEqual([second.credentials.accessKeyId]);
    expect(scenario.expiryTag()).toBe(scenario.currentValue().expiration);
    expectConsistentSecret(scenario);
    expectNoTokenLeak(scenario, firstOutput);
    expectNoTokenLeak(scenario, secondOutput);
  }, TEST_TIMEOUT_MILLIS);
});
