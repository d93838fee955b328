import {
  AccessDeniedException,
  CodeartifactClient,
  GetAuthorizationTokenCommand,
  GetRepositoryEndpointCommand,
} from '@aws-sdk/client-codeartifact';
import { PutSecretValueCommand, SecretsManagerClient, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, AssumeRoleResponse, STSServiceException } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import 'aws-sdk-client-mock-jest';
import {
  awsError,
  CapturedOutput,
  codeartifact,
  customResourceEvent,
  EXPIRATION,
  fakeContext,
  fakeToken,
  FUNCTION_CREDENTIALS,
  MINTING_ROLE_ARN,
  mockAssumeRole,
  mockFetch,
  mockRepositoryEndpoints,
  mockSuccessfulRefresh,
  rejectionOf,
  ROLE_CREDENTIALS,
  SCHEDULED_EVENT,
  secretsManager,
  sentCommands,
  sentResponses,
  setUpHandlerTests,
  sts,
  VERSION_ID,
} from './harness';
import { RefreshError } from '../../lambda/refresh-token/errors';
import { handler } from '../../lambda/refresh-token/index';
import { HandlerEnvironment } from '../../src/internal/handler-environment';

setUpHandlerTests();

let token: string;
let output: CapturedOutput;

beforeEach(() => {
  token = fakeToken();
  mockSuccessfulRefresh(token);
  mockRepositoryEndpoints();
  mockAssumeRole();
  process.env[HandlerEnvironment.MINTING_ROLE_ARN] = MINTING_ROLE_ARN;
  output = new CapturedOutput();
});

/**
 * Returns the error that the SDK raises for STS's AccessDenied. STS models no exception class
 * for it, so the SDK creates an STSServiceException named after the error code.
 */
function assumeRoleDenied(): STSServiceException {
  return new STSServiceException({
    name: 'AccessDenied',
    $fault: 'client',
    message: `User: arn:aws:sts::111122223333:assumed-role/token-refresher/fn is not authorized to perform: sts:AssumeRole on resource: ${MINTING_ROLE_ARN}`,
    $metadata: { httpStatusCode: 403, requestId: 'aws-request-1', attempts: 1 },
  });
}

/** Resolves the credentials that a mocked client instance would sign its request with. */
async function credentialsOf(client: unknown): Promise<AwsCredentialIdentity> {
  const provider = (client as CodeartifactClient | SecretsManagerClient).config.credentials;
  return provider();
}

describe('AssumeRole request', () => {
  test('sends role, session name, duration', async () => {
    await handler(SCHEDULED_EVENT, fakeContext());

    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(sts.commandCalls(AssumeRoleCommand)[0].args[0].input).toStrictEqual({
      RoleArn: MINTING_ROLE_ARN,
      RoleSessionName: 'codeartifact-token-refresher',
      DurationSeconds: 900,
    });
  });

  test('assumes role before minting', async () => {
    process.env[HandlerEnvironment.REPOSITORIES] = '[{"name":"npm-store","format":"npm"}]';

    await handler(SCHEDULED_EVENT, fakeContext());

    expect(sentCommands()).toStrictEqual([
      'AssumeRoleCommand',
      'GetAuthorizationTokenCommand',
      'GetRepositoryEndpointCommand',
      'PutSecretValueCommand',
      'DescribeSecretCommand',
      'TagResourceCommand',
      'DescribeSecretCommand',
    ]);
  });

  test('no AssumeRole without variable', async () => {
    delete process.env[HandlerEnvironment.MINTING_ROLE_ARN];

    await handler(SCHEDULED_EVENT, fakeContext());

    expect(sts).not.toHaveReceivedAnyCommand();
  });

  test('no AssumeRole with empty variable', async () => {
    process.env[HandlerEnvironment.MINTING_ROLE_ARN] = '';

    await handler(SCHEDULED_EVENT, fakeContext());

    expect(sts).not.toHaveReceivedAnyCommand();
  });

  test('assumes role on every refresh', async () => {
    await handler(SCHEDULED_EVENT, fakeContext());
    await handler(SCHEDULED_EVENT, fakeContext());

    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });
});

describe('client credentials', () => {
  test('mints with role credentials', async () => {
    await handler(SCHEDULED_EVENT, fakeContext());

    const credentials = await credentialsOf(codeartifact.commandCalls(GetAuthorizationTokenCommand)[0].thisValue);
    expect(credentials.accessKeyId).toBe(ROLE_CREDENTIALS.accessKeyId);
    expect(credentials.secretAccessKey).toBe(ROLE_CREDENTIALS.secretAccessKey);
    expect(credentials.sessionToken).toBe(ROLE_CREDENTIALS.sessionToken);
  });

  test('endpoints use role credentials', async () => {
    process.env[HandlerEnvironment.REPOSITORIES] = '[{"name":"npm-store","format":"npm"}]';

    await handler(SCHEDULED_EVENT, fakeContext());

    const credentials = await credentialsOf(codeartifact.commandCalls(GetRepositoryEndpointCommand)[0].thisValue);
    expect(credentials.accessKeyId).toBe(ROLE_CREDENTIALS.accessKeyId);
    expect(credentials.sessionToken).toBe(ROLE_CREDENTIALS.sessionToken);
  });

  test('secret written with function credentials', async () => {
    await handler(SCHEDULED_EVENT, fakeContext());

    const credentials = await credentialsOf(secretsManager.commandCalls(PutSecretValueCommand)[0].thisValue);
    expect(credentials.accessKeyId).toBe(FUNCTION_CREDENTIALS.accessKeyId);
  });

  test('mints with function credentials without role', async () => {
    delete process.env[HandlerEnvironment.MINTING_ROLE_ARN];

    await handler(SCHEDULED_EVENT, fakeContext());

    const credentials = await credentialsOf(codeartifact.commandCalls(GetAuthorizationTokenCommand)[0].thisValue);
    expect(credentials.accessKeyId).toBe(FUNCTION_CREDENTIALS.accessKeyId);
  });

  test('stores token minted with role', async () => {
    const result = await handler(SCHEDULED_EVENT, fakeContext());

    expect(result).toStrictEqual({ versionId: VERSION_ID, expiration: EXPIRATION.toISOString() });
    expect(secretsManager).toHaveReceivedCommandTimes(PutSecretValueCommand, 1);
  });
});

describe('AssumeRole failures', () => {
  test('AccessDenied names role and trust policy', async () => {
    sts.on(AssumeRoleCommand).rejects(assumeRoleDenied());

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error).toBeInstanceOf(RefreshError);
    expect(error.message).toContain(`AssumeRole failed for role ${MINTING_ROLE_ARN} with AccessDenied after 1 attempt`);
    expect(error.message).toContain(
      `Check that the trust policy of ${MINTING_ROLE_ARN} allows the function role to call sts:AssumeRole`,
    );
    expect(error.message).toContain('the function role allows sts:AssumeRole on it.');
    expect(error.message).toContain('Nothing was written; the previous token stays current.');
  });

  test('AccessDenied writes nothing', async () => {
    sts.on(AssumeRoleCommand).rejects(assumeRoleDenied());

    await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(codeartifact).not.toHaveReceivedAnyCommand();
    expect(secretsManager).not.toHaveReceivedCommand(PutSecretValueCommand);
    expect(secretsManager).not.toHaveReceivedCommand(TagResourceCommand);
  });

  test('AccessDenied logs step and error', async () => {
    sts.on(AssumeRoleCommand).rejects(assumeRoleDenied());

    await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    const failures = output.logsWithMessage('Token refresh failed');
    expect(failures).toHaveLength(1);
    expect(failures[0].step).toBe('AssumeRole');
    expect(failures[0].errorName).toBe('AccessDenied');
    expect(failures[0].stored).toBe('unchanged');
  });

  test('CloudFormation Reason names AssumeRole', async () => {
    sts.on(AssumeRoleCommand).rejects(assumeRoleDenied());
    const fetchMock = mockFetch();

    await handler(customResourceEvent('Create'), fakeContext());

    const response = sentResponses(fetchMock)[0];
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain(`AssumeRole failed for role ${MINTING_ROLE_ARN}`);
    expect(response.Reason).toContain(`trust policy of ${MINTING_ROLE_ARN}`);
  });

  test.each<[string, AssumeRoleResponse]>([
    ['no Credentials', {}],
    ['no SessionToken', { Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: 'secret', SessionToken: '', Expiration: EXPIRATION } }],
    ['no SecretAccessKey', { Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: '', SessionToken: 'session', Expiration: EXPIRATION } }],
    ['no AccessKeyId', { Credentials: { AccessKeyId: '', SecretAccessKey: 'secret', SessionToken: 'session', Expiration: EXPIRATION } }],
  ])('%s fails before minting', async (_case, response) => {
    sts.on(AssumeRoleCommand).resolves(response);

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error).toBeInstanceOf(RefreshError);
    expect(error.message).toContain(`AssumeRole returned no credentials for role ${MINTING_ROLE_ARN}.`);
    expect(error.message).toContain('Nothing was written; the previous token stays current.');
    expect(codeartifact).not.toHaveReceivedAnyCommand();
    expect(secretsManager).not.toHaveReceivedCommand(PutSecretValueCommand);
  });

  test('minting denied names role', async () => {
    codeartifact.on(GetAuthorizationTokenCommand).rejects(awsError(AccessDeniedException, 'User is not authorized.'));

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error.message).toContain(`Check that the minting role ${MINTING_ROLE_ARN} allows codeartifact:GetAuthorizationToken`);
  });
});

describe('role credentials secrecy', () => {
  test('output omits role credentials', async () => {
    await handler(SCHEDULED_EVENT, fakeContext());

    expect(output.text).not.toContain(ROLE_CREDENTIALS.secretAccessKey);
    expect(output.text).not.toContain(ROLE_CREDENTIALS.sessionToken);
  });

  test('success log names role', async () => {
    await handler(SCHEDULED_EVENT, fakeContext());

    expect(output.logsWithMessage('Token refreshed')[0].mintingRoleArn).toBe(MINTING_ROLE_ARN);
  });
});
