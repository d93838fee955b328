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
  MINTING_ROLE_ARN,
  mockFetch,
  mockSuccessfulRefresh,
  REGION,
  rejectionOf,
  SCHEDULED_EVENT,
  SECRET_ARN,
  secretsManager,
  setUpHandlerTests,
  sts,
} from './harness';
import { ConfigurationError, readConfig } from '../../lambda/refresh-token/config';
import { handler } from '../../lambda/refresh-token/index';
import { HandlerEnvironment } from '../../src/internal/handler-environment';
import { EndpointType, PackageFormat } from '../../src/repositories';

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

  test.each<[string, Record<string, string>, string]>([
    [
      'lifetime shorter than interval plus margin',
      { [HandlerEnvironment.DURATION_SECONDS]: '3600', [HandlerEnvironment.REFRESH_INTERVAL_SECONDS]: '3600' },
      'Invalid TOKEN_DURATION_SECONDS: received "3600". Allowed: 0, or at least 3900 seconds',
    ],
    [
      'lifetime 0 with a minting role',
      { [HandlerEnvironment.DURATION_SECONDS]: '0', [HandlerEnvironment.MINTING_ROLE_ARN]: MINTING_ROLE_ARN },
      'Invalid TOKEN_DURATION_SECONDS: received "0". Allowed: a lifetime above 0 with a minting role',
    ],
    [
      'interval under 15 minutes',
      { [HandlerEnvironment.REFRESH_INTERVAL_SECONDS]: '600' },
      'Invalid TOKEN_REFRESH_INTERVAL_SECONDS: received "600". Allowed: whole seconds, at least 900.',
    ],
  ])('rejects %s', (_case, overrides, message) => {
    expect(() => readConfig({ ...constructEnvironment(), ...overrides })).toThrow(message);
  });

  test('accepts lifetime at the margin', () => {
    const env = {
      ...constructEnvironment(),
      [HandlerEnvironment.DURATION_SECONDS]: '3900',
      [HandlerEnvironment.REFRESH_INTERVAL_SECONDS]: '3600',
    };

    expect(readConfig(env).durationSeconds).toBe(3900);
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
    [HandlerEnvironment.SECRET_ARN, 'arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:codeartifact-token-AbCdEf'],
    [HandlerEnvironment.SECRET_ARN, 'arn:aws-us-gov:secretsmanager:us-gov-west-1:111122223333:secret:token-AbCdEf'],
    [HandlerEnvironment.REPOSITORIES, '[{"name":"ab","format":"npm"}]'],
    [HandlerEnvironment.REPOSITORIES, `[{"name":"a${'b'.repeat(99)}","format":"npm"}]`],
    [HandlerEnvironment.REPOSITORIES, '[{"name":"9.store_2-x","format":"pypi"}]'],
    [HandlerEnvironment.MINTING_ROLE_ARN, 'arn:aws:iam::111122223333:role/service-role/codeartifact-minter'],
    [HandlerEnvironment.MINTING_ROLE_ARN, 'arn:aws-cn:iam::111122223333:role/codeartifact-minter'],
  ])('accepts %s=%s', (name, value) => {
    // Without the interval variable, a 900-second lifetime is checked against the API range alone.
    const env = { ...constructEnvironment(), [HandlerEnvironment.REFRESH_INTERVAL_SECONDS]: undefined, [name]: value };

    expect(() => readConfig(env)).not.toThrow();
  });
});

describe('readConfig package settings and role', () => {
  test('reads all three variables', () => {
    const env = {
      ...constructEnvironment(),
      [HandlerEnvironment.REPOSITORIES]: '[{"name":"npm-store","format":"npm"},{"name":"py.store_2","format":"pypi"}]',
      [HandlerEnvironment.ENDPOINT_TYPE]: 'dualstack',
      [HandlerEnvironment.MINTING_ROLE_ARN]: MINTING_ROLE_ARN,
    };

    const config = readConfig(env);

    expect(config.repositories).toStrictEqual([
      { name: 'npm-store', format: 'npm' },
      { name: 'py.store_2', format: 'pypi' },
    ]);
    expect(config.endpointType).toBe('dualstack');
    expect(config.mintingRoleArn).toBe(MINTING_ROLE_ARN);
  });

  test.each(Object.values(PackageFormat))('accepts format %s', (format) => {
    const env = { ...constructEnvironment(), [HandlerEnvironment.REPOSITORIES]: `[{"name":"store","format":"${format}"}]` };

    expect(readConfig(env).repositories).toStrictEqual([{ name: 'store', format }]);
  });

  test('keeps only name and format', () => {
    const env = {
      ...constructEnvironment(),
      [HandlerEnvironment.REPOSITORIES]: '[{"name":"store","format":"npm","extra":true}]',
    };

    expect(readConfig(env).repositories).toStrictEqual([{ name: 'store', format: 'npm' }]);
  });

  test.each(['', '[]'])('repositories %j mean none', (value) => {
    const env = { ...constructEnvironment(), [HandlerEnvironment.REPOSITORIES]: value };

    expect(readConfig(env).repositories).toStrictEqual([]);
  });

  test.each(Object.values(EndpointType))('accepts endpoint type %s', (endpointType) => {
    const env = { ...constructEnvironment(), [HandlerEnvironment.ENDPOINT_TYPE]: endpointType };

    expect(readConfig(env).endpointType).toBe(endpointType);
  });

  test('empty endpoint type means ipv4', () => {
    const env = { ...constructEnvironment(), [HandlerEnvironment.ENDPOINT_TYPE]: '' };

    expect(readConfig(env).endpointType).toBe('ipv4');
  });

  test('empty role ARN means none', () => {
    const env = { ...constructEnvironment(), [HandlerEnvironment.MINTING_ROLE_ARN]: '' };

    expect(readConfig(env).mintingRoleArn).toBeUndefined();
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
    [HandlerEnvironment.DOMAIN_REGION, 'not a region'],
    [HandlerEnvironment.DOMAIN_REGION, 'EU-WEST-1'],
    [HandlerEnvironment.DOMAIN_REGION, 'evil.example.com/x'],
    [HandlerEnvironment.DURATION_SECONDS, '600'],
    [HandlerEnvironment.DURATION_SECONDS, '43201'],
    [HandlerEnvironment.DURATION_SECONDS, '900.5'],
    [HandlerEnvironment.DURATION_SECONDS, 'abc'],
    [HandlerEnvironment.DURATION_SECONDS, '-900'],
    [HandlerEnvironment.DURATION_SECONDS, '1e3'],
    [HandlerEnvironment.DURATION_SECONDS, ' 900'],
    [HandlerEnvironment.SECRET_ARN, 'codeartifact-token-AbCdEf'],
    [HandlerEnvironment.SECRET_ARN, 'arn:aws:ssm:eu-west-1:111122223333:parameter/codeartifact-token'],
    [HandlerEnvironment.SECRET_ARN, 'arn:aws:secretsmanager:eu-west-1:11112222333:secret:codeartifact-token-AbCdEf'],
    [HandlerEnvironment.SECRET_ARN, 'arn:aws:secretsmanager::111122223333:secret:codeartifact-token-AbCdEf'],
    [HandlerEnvironment.SECRET_ARN, 'arn:aws:secretsmanager:eu-west-1:111122223333:codeartifact-token-AbCdEf'],
    [HandlerEnvironment.SECRET_ARN, 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:'],
    [HandlerEnvironment.REPOSITORIES, 'npm-store'],
    [HandlerEnvironment.REPOSITORIES, '[{"name":"npm-store","format":"npm"}'],
    [HandlerEnvironment.REPOSITORIES, '{"name":"npm-store","format":"npm"}'],
    [HandlerEnvironment.REPOSITORIES, '"npm-store"'],
    [HandlerEnvironment.REPOSITORIES, 'null'],
    [HandlerEnvironment.REPOSITORIES, '[null]'],
    [HandlerEnvironment.REPOSITORIES, '["npm-store"]'],
    [HandlerEnvironment.REPOSITORIES, '[{"format":"npm"}]'],
    [HandlerEnvironment.REPOSITORIES, '[{"name":42,"format":"npm"}]'],
    [HandlerEnvironment.REPOSITORIES, '[{"name":"a","format":"npm"}]'],
    [HandlerEnvironment.REPOSITORIES, `[{"name":"a${'b'.repeat(100)}","format":"npm"}]`],
    [HandlerEnvironment.REPOSITORIES, '[{"name":"-store","format":"npm"}]'],
    [HandlerEnvironment.REPOSITORIES, '[{"name":"npm store","format":"npm"}]'],
    [HandlerEnvironment.REPOSITORIES, '[{"name":"npm/store","format":"npm"}]'],
    [HandlerEnvironment.REPOSITORIES, '[{"name":"npm-store"}]'],
    [HandlerEnvironment.REPOSITORIES, '[{"name":"npm-store","format":"docker"}]'],
    [HandlerEnvironment.REPOSITORIES, '[{"name":"npm-store","format":"NPM"}]'],
    [HandlerEnvironment.REPOSITORIES, '[{"name":"npm-store","format":"npm"},{"name":"x","format":"pypi"}]'],
    [HandlerEnvironment.ENDPOINT_TYPE, 'ipv6'],
    [HandlerEnvironment.ENDPOINT_TYPE, 'IPV4'],
    [HandlerEnvironment.ENDPOINT_TYPE, 'dual-stack'],
    [HandlerEnvironment.ENDPOINT_TYPE, ' ipv4'],
    [HandlerEnvironment.MINTING_ROLE_ARN, 'codeartifact-minter'],
    [HandlerEnvironment.MINTING_ROLE_ARN, 'arn:aws:iam::111122223333:user/codeartifact-minter'],
    [HandlerEnvironment.MINTING_ROLE_ARN, 'arn:aws:sts::111122223333:assumed-role/codeartifact-minter/session'],
    [HandlerEnvironment.MINTING_ROLE_ARN, 'arn:aws:iam::11112222333:role/codeartifact-minter'],
    [HandlerEnvironment.MINTING_ROLE_ARN, 'arn:aws:iam:eu-west-1:111122223333:role/codeartifact-minter'],
    [HandlerEnvironment.MINTING_ROLE_ARN, 'arn:aws:iam::111122223333:role/'],
  ])('rejects %s=%j', async (name, value) => {
    process.env[name] = value;

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(`Invalid ${name}`);
    expect(error.message).toContain(`received "${value}"`);
    expect(codeartifact).not.toHaveReceivedAnyCommand();
    expect(secretsManager).not.toHaveReceivedAnyCommand();
    expect(sts).not.toHaveReceivedAnyCommand();
  });

  test.each<[string, string, string]>([
    [
      HandlerEnvironment.REPOSITORIES,
      '[{"name":"a","format":"npm"}]',
      'Allowed: a JSON list of {"name", "format"} with repository names and package formats; ' +
        'a repository name has 2 to 100 letters, digits, dots, hyphens or underscores and starts with a letter or digit.',
    ],
    [
      HandlerEnvironment.REPOSITORIES,
      '[{"name":"npm-store","format":"docker"}]',
      `formats are ${Object.values(PackageFormat).join(', ')}.`,
    ],
    [HandlerEnvironment.REPOSITORIES, 'npm-store', 'Allowed: a JSON list of {"name", "format"}'],
    [HandlerEnvironment.ENDPOINT_TYPE, 'ipv6', 'Allowed: ipv4 or dualstack.'],
    [HandlerEnvironment.MINTING_ROLE_ARN, 'codeartifact-minter', 'Allowed: the ARN of an IAM role.'],
    [HandlerEnvironment.SECRET_ARN, 'codeartifact-token-AbCdEf', 'Allowed: the full ARN of a Secrets Manager secret.'],
  ])('%s=%j message states rule', (name, value, rule) => {
    const env = { ...constructEnvironment(), [name]: value };

    expect(() => readConfig(env)).toThrow(rule);
  });

  test('rejects duplicate repository name', () => {
    // The construct checks for duplicates only among names known at synth time.
    const value = '[{"name":"store","format":"npm"},{"name":"store","format":"pypi"}]';
    const env = { ...constructEnvironment(), [HandlerEnvironment.REPOSITORIES]: value };

    expect(() => readConfig(env)).toThrow(`Invalid ${HandlerEnvironment.REPOSITORIES}: received "${value}"`);
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
