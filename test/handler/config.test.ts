import 'aws-sdk-client-mock-jest';
import {
  CapturedOutput,
  codeartifact,
  constructEnvironment,
  DOMAIN,
  DOMAIN_OWNER,
  DURATION_SECONDS,
  fakeContext,
  fakeToken,
  mockFetch,
  mockSuccessfulRefresh,
  REGION,
  rejectionOf,
  SCHEDULED_EVENT,
  SECRET_ARN,
  secretsManager,
  setUpHandlerTests,
} from './harness';
import { ConfigurationError, readConfig } from '../../lambda/refresh-token/config';
import { handler } from '../../lambda/refresh-token/index';
import { HandlerEnvironment } from '../../src/internal/handler-environment';

setUpHandlerTests();

describe('readConfig', () => {
  test('reads construct environment', () => {
    expect(readConfig(constructEnvironment())).toStrictEqual({
      domain: DOMAIN,
      domainOwner: DOMAIN_OWNER,
      domainRegion: REGION,
      durationSeconds: DURATION_SECONDS,
      secretArn: SECRET_ARN,
      repositories: [],
      endpointType: 'ipv4',
      mintingRoleArn: undefined,
    });
  });

  test('falls back to AWS_REGION', () => {
    const env = { ...constructEnvironment(), [HandlerEnvironment.DOMAIN_REGION]: undefined, AWS_REGION: 'us-east-2' };

    expect(readConfig(env).domainRegion).toBe('us-east-2');
  });

  test('rejects missing Region', () => {
    const env = { ...constructEnvironment(), [HandlerEnvironment.DOMAIN_REGION]: undefined, AWS_REGION: undefined };

    expect(() => readConfig(env)).toThrow(`Missing ${HandlerEnvironment.DOMAIN_REGION} and AWS_REGION`);
  });

  test.each([
    [HandlerEnvironment.DOMAIN, 'ab'],
    [HandlerEnvironment.DOMAIN, `a${'b'.repeat(48)}c`],
    [HandlerEnvironment.DOMAIN, 'my-domain-2'],
    [HandlerEnvironment.DOMAIN_OWNER, '000000000000'],
    [HandlerEnvironment.DURATION_SECONDS, '0'],
    [HandlerEnvironment.DURATION_SECONDS, '900'],
    [HandlerEnvironment.DURATION_SECONDS, '43200'],
  ])('accepts %s=%s', (name, value) => {
    expect(() => readConfig({ ...constructEnvironment(), [name]: value })).not.toThrow();
  });
});

describe('invalid configuration', () => {
  let output: CapturedOutput;

  beforeEach(() => {
    mockSuccessfulRefresh(fakeToken());
    output = new CapturedOutput();
  });

  test.each([
    [HandlerEnvironment.DOMAIN, 'Example-Domain'],
    [HandlerEnvironment.DOMAIN, 'a'],
    [HandlerEnvironment.DOMAIN, 'example-domain-'],
    [HandlerEnvironment.DOMAIN, '1domain'],
    [HandlerEnvironment.DOMAIN, `a${'b'.repeat(49)}c`],
    [HandlerEnvironment.DOMAIN_OWNER, '11112222333'],
    [HandlerEnvironment.DOMAIN_OWNER, '1111222233334'],
    [HandlerEnvironment.DOMAIN_OWNER, '11112222333a'],
    [HandlerEnvironment.DURATION_SECONDS, '600'],
    [HandlerEnvironment.DURATION_SECONDS, '43201'],
    [HandlerEnvironment.DURATION_SECONDS, '900.5'],
    [HandlerEnvironment.DURATION_SECONDS, 'abc'],
    [HandlerEnvironment.DURATION_SECONDS, '-900'],
    [HandlerEnvironment.DURATION_SECONDS, '1e3'],
    [HandlerEnvironment.DURATION_SECONDS, ' 900'],
    [HandlerEnvironment.SECRET_ARN, 'codeartifact-token-AbCdEf'],
  ])('rejects %s=%j', async (name, value) => {
    process.env[name] = value;

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(`Invalid ${name}`);
    expect(error.message).toContain(`received "${value}"`);
    expect(codeartifact).not.toHaveReceivedAnyCommand();
    expect(secretsManager).not.toHaveReceivedAnyCommand();
  });

  test.each([
    [HandlerEnvironment.DOMAIN],
    [HandlerEnvironment.DOMAIN_OWNER],
    [HandlerEnvironment.DURATION_SECONDS],
    [HandlerEnvironment.SECRET_ARN],
  ])('rejects missing %s', async (name) => {
    delete process.env[name];

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(`Missing environment variable ${name}`);
    expect(codeartifact).not.toHaveReceivedAnyCommand();
    expect(secretsManager).not.toHaveReceivedAnyCommand();
  });

  test('rejects empty secret ARN', async () => {
    process.env[HandlerEnvironment.SECRET_ARN] = '';

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error.message).toContain(`Missing environment variable ${HandlerEnvironment.SECRET_ARN}`);
    expect(secretsManager).not.toHaveReceivedAnyCommand();
  });

  test('logs the configuration error', async () => {
    process.env[HandlerEnvironment.DURATION_SECONDS] = '600';

    await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    const failures = output.logsWithMessage('Token refresh failed');
    expect(failures).toHaveLength(1);
    expect(failures[0].level).toBe('ERROR');
    expect(failures[0].errorName).toBe('ConfigurationError');
    expect(failures[0].errorMessage).toContain(`Invalid ${HandlerEnvironment.DURATION_SECONDS}: received "600"`);
    expect(output.metricRecords).toHaveLength(0);
  });

  test('sends no CloudFormation response', async () => {
    const fetchMock = mockFetch();
    process.env[HandlerEnvironment.DOMAIN] = 'Example-Domain';

    await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(fetchMock).not.toHaveBeenCalled();
  });
});
