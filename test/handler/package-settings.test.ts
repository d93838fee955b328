import {
  AccessDeniedException,
  GetAuthorizationTokenCommand,
  GetRepositoryEndpointCommand,
  GetRepositoryEndpointResult,
  ResourceNotFoundException,
} from '@aws-sdk/client-codeartifact';
import { PutSecretValueCommand, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import 'aws-sdk-client-mock-jest';
import {
  awsError,
  CapturedOutput,
  codeartifact,
  customResourceEvent,
  DOMAIN,
  DOMAIN_OWNER,
  EXPIRATION,
  fakeContext,
  fakeToken,
  fakeTokenWithReservedCharacters,
  MINTING_ROLE_ARN,
  mockAssumeRole,
  mockFetch,
  mockRepositoryEndpoints,
  mockSuccessfulRefresh,
  REGION,
  rejectionOf,
  repositoryEndpoint,
  SCHEDULED_EVENT,
  secretsManager,
  sentCommands,
  sentResponses,
  setUpHandlerTests,
  storedSecret,
} from './harness';
import { RefreshError } from '../../lambda/refresh-token/errors';
import { handler } from '../../lambda/refresh-token/index';
import { packageSettings } from '../../lambda/refresh-token/package-settings';
import { HandlerEnvironment } from '../../src/internal/handler-environment';
import { PackageFormat, RepositoryField } from '../../src/repositories';
import { SecretField } from '../../src/secret-fields';

setUpHandlerTests();

const HOST = `${DOMAIN}-${DOMAIN_OWNER}.d.codeartifact.${REGION}.amazonaws.com`;

let token: string;
let output: CapturedOutput;

beforeEach(() => {
  token = fakeToken();
  mockSuccessfulRefresh(token);
  mockRepositoryEndpoints();
  output = new CapturedOutput();
});

/** Sets CODEARTIFACT_REPOSITORIES to the given repositories. */
function configureRepositories(...repositories: Array<{ name: string; format: string }>): void {
  process.env[HandlerEnvironment.REPOSITORIES] = JSON.stringify(repositories);
}

/** Secret fields that every refresh stores, whatever the repositories. */
function baseFields(secret: string): Record<string, string> {
  return {
    [SecretField.TOKEN]: secret,
    [SecretField.EXPIRATION]: EXPIRATION.toISOString(),
    [SecretField.DOMAIN]: DOMAIN,
    [SecretField.DOMAIN_OWNER]: DOMAIN_OWNER,
    [SecretField.REGION]: REGION,
    [SecretField.USERNAME]: 'aws',
  };
}

describe('packageSettings', () => {
  test('npm registry and npmrc', () => {
    const endpoint = `https://${HOST}/npm/npm-store/`;

    const settings = packageSettings([{ name: 'npm-store', format: 'npm', endpoint }], 'token-value');

    expect(settings).toStrictEqual({
      'npm-store.endpoint': endpoint,
      'npm-store.npmRegistry': endpoint,
      'npm-store.npmrc': `registry=${endpoint}\n//${HOST}/npm/npm-store/:_authToken=token-value\n`,
    });
  });

  test('pypi index and twine URLs', () => {
    const endpoint = `https://${HOST}/pypi/py-store/`;

    const settings = packageSettings([{ name: 'py-store', format: 'pypi', endpoint }], 'token-value');

    expect(settings).toStrictEqual({
      'py-store.endpoint': endpoint,
      'py-store.pipIndexUrl': `https://aws:token-value@${HOST}/pypi/py-store/simple/`,
      'py-store.twineRepositoryUrl': endpoint,
    });
  });

  test('maven repository URL', () => {
    const endpoint = `https://${HOST}/maven/java-store/`;

    const settings = packageSettings([{ name: 'java-store', format: 'maven', endpoint }], 'token-value');

    expect(settings).toStrictEqual({
      'java-store.endpoint': endpoint,
      'java-store.mavenRepositoryUrl': endpoint,
    });
  });

  test('nuget v3 source URL', () => {
    const endpoint = `https://${HOST}/nuget/dotnet-store/`;

    const settings = packageSettings([{ name: 'dotnet-store', format: 'nuget', endpoint }], 'token-value');

    expect(settings).toStrictEqual({
      'dotnet-store.endpoint': endpoint,
      'dotnet-store.nugetSourceUrl': `https://${HOST}/nuget/dotnet-store/v3/index.json`,
    });
  });

  test.each(['generic', 'ruby', 'swift', 'cargo'])('%s stores only endpoint', (format) => {
    const endpoint = `https://${HOST}/${format}/store/`;

    const settings = packageSettings([{ name: 'store', format, endpoint }], 'token-value');

    expect(settings).toStrictEqual({ 'store.endpoint': endpoint });
  });

  test('keys follow RepositoryField.key', () => {
    const endpoint = `https://${HOST}/npm/npm-store/`;

    const settings = packageSettings([{ name: 'npm-store', format: 'npm', endpoint }], 'token-value');

    expect(Object.keys(settings).sort()).toStrictEqual(
      [RepositoryField.ENDPOINT, RepositoryField.NPM_REGISTRY, RepositoryField.NPMRC]
        .map((field) => RepositoryField.key('npm-store', field))
        .sort(),
    );
  });

  test('pip URL encodes token once', () => {
    const secret = 'abc+def/ghi=';
    const endpoint = `https://${HOST}/pypi/py-store/`;

    const settings = packageSettings([{ name: 'py-store', format: 'pypi', endpoint }], secret);

    expect(settings['py-store.pipIndexUrl']).toBe(`https://aws:abc%2Bdef%2Fghi%3D@${HOST}/pypi/py-store/simple/`);
  });

  test('npmrc keeps token unencoded', () => {
    const secret = 'abc+def/ghi=';
    const endpoint = `https://${HOST}/npm/npm-store/`;

    const settings = packageSettings([{ name: 'npm-store', format: 'npm', endpoint }], secret);

    expect(settings['npm-store.npmrc']).toBe(`registry=${endpoint}\n//${HOST}/npm/npm-store/:_authToken=abc+def/ghi=\n`);
  });

  test('several repositories keep own keys', () => {
    const npmEndpoint = `https://${HOST}/npm/shared-store/`;
    const pypiEndpoint = `https://${HOST}/pypi/py-store/`;

    const settings = packageSettings(
      [
        { name: 'shared-store', format: 'npm', endpoint: npmEndpoint },
        { name: 'py-store', format: 'pypi', endpoint: pypiEndpoint },
      ],
      'token-value',
    );

    expect(settings['shared-store.endpoint']).toBe(npmEndpoint);
    expect(settings['py-store.endpoint']).toBe(pypiEndpoint);
    expect(Object.keys(settings)).toHaveLength(6);
  });
});

describe('stored settings', () => {
  test('npm fields', async () => {
    configureRepositories({ name: 'npm-store', format: 'npm' });
    const endpoint = repositoryEndpoint('npm', 'npm-store');

    await handler(SCHEDULED_EVENT, fakeContext());

    expect(storedSecret()).toStrictEqual({
      ...baseFields(token),
      [RepositoryField.key('npm-store', RepositoryField.ENDPOINT)]: endpoint,
      [RepositoryField.key('npm-store', RepositoryField.NPM_REGISTRY)]: endpoint,
      [RepositoryField.key('npm-store', RepositoryField.NPMRC)]:
        `registry=${endpoint}\n//${HOST}/npm/npm-store/:_authToken=${token}\n`,
    });
  });

  test('pypi fields', async () => {
    configureRepositories({ name: 'py-store', format: 'pypi' });
    const endpoint = repositoryEndpoint('pypi', 'py-store');

    await handler(SCHEDULED_EVENT, fakeContext());

    expect(storedSecret()).toStrictEqual({
      ...baseFields(token),
      [RepositoryField.key('py-store', RepositoryField.ENDPOINT)]: endpoint,
      [RepositoryField.key('py-store', RepositoryField.PIP_INDEX_URL)]: `https://aws:${token}@${HOST}/pypi/py-store/simple/`,
      [RepositoryField.key('py-store', RepositoryField.TWINE_REPOSITORY_URL)]: endpoint,
    });
  });

  test('pip URL encodes reserved characters once', async () => {
    const secret = fakeTokenWithReservedCharacters();
    const encoded = secret.replace('+', '%2B').replace('/', '%2F').replace('=', '%3D');
    mockSuccessfulRefresh(secret);
    configureRepositories({ name: 'py-store', format: 'pypi' });

    await handler(SCHEDULED_EVENT, fakeContext());

    const pipIndexUrl = storedSecret()[RepositoryField.key('py-store', RepositoryField.PIP_INDEX_URL)];
    expect(pipIndexUrl).toBe(`https://aws:${encoded}@${HOST}/pypi/py-store/simple/`);
    expect(new URL(pipIndexUrl).username).toBe('aws');
    expect(decodeURIComponent(new URL(pipIndexUrl).password)).toBe(secret);
  });

  test('maven fields', async () => {
    configureRepositories({ name: 'java-store', format: 'maven' });
    const endpoint = repositoryEndpoint('maven', 'java-store');

    await handler(SCHEDULED_EVENT, fakeContext());

    expect(storedSecret()).toStrictEqual({
      ...baseFields(token),
      [RepositoryField.key('java-store', RepositoryField.ENDPOINT)]: endpoint,
      [RepositoryField.key('java-store', RepositoryField.MAVEN_REPOSITORY_URL)]: endpoint,
    });
  });

  test('nuget fields', async () => {
    configureRepositories({ name: 'dotnet-store', format: 'nuget' });
    const endpoint = repositoryEndpoint('nuget', 'dotnet-store');

    await handler(SCHEDULED_EVENT, fakeContext());

    expect(storedSecret()).toStrictEqual({
      ...baseFields(token),
      [RepositoryField.key('dotnet-store', RepositoryField.ENDPOINT)]: endpoint,
      [RepositoryField.key('dotnet-store', RepositoryField.NUGET_SOURCE_URL)]: `${endpoint}v3/index.json`,
    });
  });

  test.each([PackageFormat.CARGO, PackageFormat.GENERIC, PackageFormat.RUBY, PackageFormat.SWIFT])(
    '%s stores only endpoint',
    async (format) => {
      configureRepositories({ name: 'store', format });

      await handler(SCHEDULED_EVENT, fakeContext());

      expect(storedSecret()).toStrictEqual({
        ...baseFields(token),
        [RepositoryField.key('store', RepositoryField.ENDPOINT)]: repositoryEndpoint(format, 'store'),
      });
    },
  );

  test('every format in one secret', async () => {
    configureRepositories(
      { name: 'npm-store', format: 'npm' },
      { name: 'py-store', format: 'pypi' },
      { name: 'java-store', format: 'maven' },
      { name: 'dotnet-store', format: 'nuget' },
      { name: 'crates', format: 'cargo' },
    );

    await handler(SCHEDULED_EVENT, fakeContext());

    expect(Object.keys(storedSecret()).sort()).toStrictEqual(
      [
        ...Object.keys(baseFields(token)),
        'npm-store.endpoint',
        'npm-store.npmRegistry',
        'npm-store.npmrc',
        'py-store.endpoint',
        'py-store.pipIndexUrl',
        'py-store.twineRepositoryUrl',
        'java-store.endpoint',
        'java-store.mavenRepositoryUrl',
        'dotnet-store.endpoint',
        'dotnet-store.nugetSourceUrl',
        'crates.endpoint',
      ].sort(),
    );
  });

  test('endpoint gains trailing slash', async () => {
    configureRepositories({ name: 'npm-store', format: 'npm' }, { name: 'dotnet-store', format: 'nuget' });
    codeartifact
      .on(GetRepositoryEndpointCommand)
      .callsFake(async (input) => ({ repositoryEndpoint: `https://${HOST}/${input.format}/${input.repository}` }));

    await handler(SCHEDULED_EVENT, fakeContext());

    const secret = storedSecret();
    expect(secret['npm-store.endpoint']).toBe(`https://${HOST}/npm/npm-store/`);
    expect(secret['npm-store.npmRegistry']).toBe(`https://${HOST}/npm/npm-store/`);
    expect(secret['npm-store.npmrc']).toBe(
      `registry=https://${HOST}/npm/npm-store/\n//${HOST}/npm/npm-store/:_authToken=${token}\n`,
    );
    expect(secret['dotnet-store.nugetSourceUrl']).toBe(`https://${HOST}/nuget/dotnet-store/v3/index.json`);
  });

  test('username is aws', async () => {
    configureRepositories({ name: 'py-store', format: 'pypi' });

    await handler(SCHEDULED_EVENT, fakeContext());

    expect(storedSecret()[SecretField.USERNAME]).toBe('aws');
  });
});

describe('GetRepositoryEndpoint requests', () => {
  test('sends one request per repository', async () => {
    configureRepositories({ name: 'npm-store', format: 'npm' }, { name: 'py-store', format: 'pypi' });

    await handler(SCHEDULED_EVENT, fakeContext());

    expect(codeartifact).toHaveReceivedCommandTimes(GetRepositoryEndpointCommand, 2);
    expect(codeartifact.commandCalls(GetRepositoryEndpointCommand)[0].args[0].input).toStrictEqual({
      domain: DOMAIN,
      domainOwner: DOMAIN_OWNER,
      repository: 'npm-store',
      format: 'npm',
      endpointType: 'ipv4',
    });
    expect(codeartifact.commandCalls(GetRepositoryEndpointCommand)[1].args[0].input).toStrictEqual({
      domain: DOMAIN,
      domainOwner: DOMAIN_OWNER,
      repository: 'py-store',
      format: 'pypi',
      endpointType: 'ipv4',
    });
  });

  test('sends dualstack when configured', async () => {
    configureRepositories({ name: 'npm-store', format: 'npm' });
    process.env[HandlerEnvironment.ENDPOINT_TYPE] = 'dualstack';

    await handler(SCHEDULED_EVENT, fakeContext());

    expect(codeartifact).toHaveReceivedCommandWith(GetRepositoryEndpointCommand, { endpointType: 'dualstack' });
  });

  test('no request without repositories', async () => {
    await handler(SCHEDULED_EVENT, fakeContext());

    expect(codeartifact).not.toHaveReceivedCommand(GetRepositoryEndpointCommand);
  });

  test('mints before endpoints, stores after', async () => {
    configureRepositories({ name: 'npm-store', format: 'npm' }, { name: 'py-store', format: 'pypi' });

    await handler(SCHEDULED_EVENT, fakeContext());

    expect(sentCommands()).toStrictEqual([
      'GetAuthorizationTokenCommand',
      'GetRepositoryEndpointCommand',
      'GetRepositoryEndpointCommand',
      'PutSecretValueCommand',
      'DescribeSecretCommand',
      'TagResourceCommand',
      'DescribeSecretCommand',
    ]);
  });
});

describe('invalid endpoint response', () => {
  test.each<[string, GetRepositoryEndpointResult]>([
    ['no repositoryEndpoint', {}],
    ['empty repositoryEndpoint', { repositoryEndpoint: '' }],
    ['ftp URL', { repositoryEndpoint: `ftp://${HOST}/npm/npm-store/` }],
    ['URL without scheme', { repositoryEndpoint: `${HOST}/npm/npm-store/` }],
    ['URL without host', { repositoryEndpoint: 'https:///npm/npm-store/' }],
    ['host with space', { repositoryEndpoint: 'https://bad host.example.com/npm/npm-store/' }],
    ['port out of range', { repositoryEndpoint: `https://${HOST}:99999/npm/npm-store/` }],
  ])('%s fails naming repository', async (_case, response) => {
    configureRepositories({ name: 'npm-store', format: 'npm' });
    codeartifact.on(GetRepositoryEndpointCommand).resolves(response);

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error).toBeInstanceOf(RefreshError);
    expect(error.message).toContain(`repository "npm-store" (npm) of domain "${DOMAIN}"`);
    expect(error.message).toContain('Nothing was written; the previous token stays current.');
    expect(secretsManager).not.toHaveReceivedCommand(PutSecretValueCommand);
    expect(secretsManager).not.toHaveReceivedCommand(TagResourceCommand);
  });

  test('pypi host with space fails naming repository', async () => {
    configureRepositories({ name: 'py-store', format: 'pypi' });
    codeartifact.on(GetRepositoryEndpointCommand).resolves({ repositoryEndpoint: 'https://bad host.example.com/pypi/py-store/' });

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error).toBeInstanceOf(RefreshError);
    expect(error.message).toContain(`repository "py-store" (pypi) of domain "${DOMAIN}"`);
    expect(secretsManager).not.toHaveReceivedCommand(PutSecretValueCommand);
  });

  test('missing URL message names API', async () => {
    configureRepositories({ name: 'npm-store', format: 'npm' });
    codeartifact.on(GetRepositoryEndpointCommand).resolves({});

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error.message).toContain('GetRepositoryEndpoint returned no repositoryEndpoint URL');
    expect((error as RefreshError).step).toBe('ValidateResponse');
  });

  test('second repository failing writes nothing', async () => {
    configureRepositories({ name: 'npm-store', format: 'npm' }, { name: 'py-store', format: 'pypi' });
    codeartifact
      .on(GetRepositoryEndpointCommand)
      .resolvesOnce({ repositoryEndpoint: repositoryEndpoint('npm', 'npm-store') })
      .resolves({});

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error.message).toContain('repository "py-store" (pypi)');
    expect(secretsManager).not.toHaveReceivedCommand(PutSecretValueCommand);
  });
});

describe('GetRepositoryEndpoint errors', () => {
  test('ResourceNotFound names repository and domain', async () => {
    configureRepositories({ name: 'py-store', format: 'pypi' });
    codeartifact.on(GetRepositoryEndpointCommand).rejects(awsError(ResourceNotFoundException, 'Repository not found.'));

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error).toBeInstanceOf(RefreshError);
    expect(error.message).toContain(`GetRepositoryEndpoint failed for repository "py-store" (pypi) of domain "${DOMAIN}"`);
    expect(error.message).toContain('ResourceNotFoundException after 1 attempt: Repository not found.');
    expect(error.message).toContain(`Check that the repository exists in domain "${DOMAIN}" of account ${DOMAIN_OWNER}.`);
    expect(error.message).toContain('Nothing was written; the previous token stays current.');
    expect(secretsManager).not.toHaveReceivedCommand(PutSecretValueCommand);
    expect(secretsManager).not.toHaveReceivedCommand(TagResourceCommand);
  });

  test('AccessDenied names repository and permission', async () => {
    configureRepositories({ name: 'py-store', format: 'pypi' });
    codeartifact.on(GetRepositoryEndpointCommand).rejects(awsError(AccessDeniedException, 'User is not authorized.'));

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error.message).toContain(`GetRepositoryEndpoint failed for repository "py-store" (pypi) of domain "${DOMAIN}"`);
    expect(error.message).toContain('AccessDeniedException after 1 attempt: User is not authorized.');
    expect(error.message).toContain(
      'Check that the function role allows codeartifact:GetRepositoryEndpoint on the repository ARN.',
    );
    expect(error.message).toContain('Nothing was written; the previous token stays current.');
    expect(secretsManager).not.toHaveReceivedCommand(PutSecretValueCommand);
  });

  test('AccessDenied with role names role', async () => {
    configureRepositories({ name: 'py-store', format: 'pypi' });
    process.env[HandlerEnvironment.MINTING_ROLE_ARN] = MINTING_ROLE_ARN;
    mockAssumeRole();
    codeartifact.on(GetRepositoryEndpointCommand).rejects(awsError(AccessDeniedException, 'User is not authorized.'));

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error.message).toContain(
      `Check that the minting role ${MINTING_ROLE_ARN} allows codeartifact:GetRepositoryEndpoint on the repository ARN.`,
    );
  });

  test('failure log names step', async () => {
    configureRepositories({ name: 'py-store', format: 'pypi' });
    codeartifact.on(GetRepositoryEndpointCommand).rejects(awsError(ResourceNotFoundException, 'Repository not found.'));

    await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    const failures = output.logsWithMessage('Token refresh failed');
    expect(failures).toHaveLength(1);
    expect(failures[0].step).toBe('GetRepositoryEndpoint');
    expect(failures[0].errorName).toBe('ResourceNotFoundException');
    expect(failures[0].stored).toBe('unchanged');
  });

  test('CloudFormation Reason names repository', async () => {
    configureRepositories({ name: 'py-store', format: 'pypi' });
    codeartifact.on(GetRepositoryEndpointCommand).rejects(awsError(ResourceNotFoundException, 'Repository not found.'));
    const fetchMock = mockFetch();

    await handler(customResourceEvent('Create'), fakeContext());

    const response = sentResponses(fetchMock)[0];
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain(`GetRepositoryEndpoint failed for repository "py-store" (pypi) of domain "${DOMAIN}"`);
  });

  test('mint failure skips endpoints', async () => {
    configureRepositories({ name: 'py-store', format: 'pypi' });
    codeartifact.on(GetAuthorizationTokenCommand).rejects(awsError(AccessDeniedException, 'User is not authorized.'));

    await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(codeartifact).not.toHaveReceivedCommand(GetRepositoryEndpointCommand);
  });
});
