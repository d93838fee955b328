import { AccessDeniedException, GetAuthorizationTokenCommand } from '@aws-sdk/client-codeartifact';
import 'aws-sdk-client-mock-jest';
import {
  awsError,
  CapturedOutput,
  codeartifact,
  customResourceEvent,
  EXPIRATION,
  fakeContext,
  fakeToken,
  mockFetch,
  mockSuccessfulRefresh,
  RESPONSE_URL,
  SECRET_ARN,
  secretsManager,
  sentCommands,
  sentResponses,
  setUpHandlerTests,
  VERSION_ID,
} from './harness';
import { handler } from '../../lambda/refresh-token/index';
import { HandlerEnvironment } from '../../src/internal/handler-environment';

// A CloudFormation request retries AccessDenied for 7 seconds while IAM applies new permissions.
jest.setTimeout(20_000);
setUpHandlerTests();

let token: string;
let output: CapturedOutput;
let fetchMock: jest.SpiedFunction<typeof fetch>;

beforeEach(() => {
  token = fakeToken();
  mockSuccessfulRefresh(token);
  output = new CapturedOutput();
  fetchMock = mockFetch();
});

describe.each(['Create', 'Update'] as const)('%s request', (requestType) => {
  test('responds SUCCESS with secret ARN', async () => {
    const event = customResourceEvent(requestType);

    await expect(handler(event, fakeContext())).resolves.toBeUndefined();

    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe(RESPONSE_URL);
    expect(init?.method).toBe('PUT');
    expect(sentResponses(fetchMock)[0]).toStrictEqual({
      Status: 'SUCCESS',
      Reason: '',
      PhysicalResourceId: SECRET_ARN,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      NoEcho: false,
      Data: { Expiration: EXPIRATION.toISOString(), VersionId: VERSION_ID },
    });
  });

  test('response body omits token', async () => {
    await handler(customResourceEvent(requestType), fakeContext());

    expect(String(fetchMock.mock.calls[0][1]?.body)).not.toContain(token);
  });

  test('refreshes before responding', async () => {
    let commandsBeforeResponse: string[] = [];
    fetchMock.mockImplementation(async () => {
      commandsBeforeResponse = sentCommands();
      return new Response(null, { status: 200 });
    });

    await handler(customResourceEvent(requestType), fakeContext());

    expect(commandsBeforeResponse).toStrictEqual([
      'GetAuthorizationTokenCommand',
      'PutSecretValueCommand',
      'DescribeSecretCommand',
      'TagResourceCommand',
      'DescribeSecretCommand',
    ]);
  });

  test('failure responds FAILED and resolves', async () => {
    codeartifact.on(GetAuthorizationTokenCommand).rejects(awsError(AccessDeniedException, 'User is not authorized.'));

    await expect(handler(customResourceEvent(requestType), fakeContext())).resolves.toBeUndefined();

    expect(fetchMock).toHaveBeenCalledTimes(1);
    const response = sentResponses(fetchMock)[0];
    expect(response.Status).toBe('FAILED');
    expect(response.PhysicalResourceId).toBe(SECRET_ARN);
    expect(response.Reason).toContain('GetAuthorizationToken failed');
    expect(response.Reason).toContain('AccessDeniedException');
    expect(response.Data).toStrictEqual({});
    // Four attempts, because IAM may not have applied the deployment's new permissions yet.
    expect(codeartifact).toHaveReceivedCommandTimes(GetAuthorizationTokenCommand, 4);
  });

  test('waits for new permissions', async () => {
    codeartifact
      .on(GetAuthorizationTokenCommand)
      .rejectsOnce(awsError(AccessDeniedException, 'User is not authorized.'))
      .rejectsOnce(awsError(AccessDeniedException, 'User is not authorized.'))
      .resolves({ authorizationToken: token, expiration: EXPIRATION });

    await handler(customResourceEvent(requestType), fakeContext());

    expect(sentResponses(fetchMock)[0].Status).toBe('SUCCESS');
    expect(codeartifact).toHaveReceivedCommandTimes(GetAuthorizationTokenCommand, 3);
  });
});

test('scheduled run does not wait for permissions', async () => {
  codeartifact.on(GetAuthorizationTokenCommand).rejects(awsError(AccessDeniedException, 'User is not authorized.'));

  await expect(handler({ source: 'cdk-codeartifact-token-secret.schedule' }, fakeContext())).rejects.toThrow(
    /AccessDeniedException/,
  );

  expect(codeartifact).toHaveReceivedCommandTimes(GetAuthorizationTokenCommand, 1);
});

describe('invalid configuration', () => {
  test('Create responds FAILED naming variable', async () => {
    process.env[HandlerEnvironment.DURATION_SECONDS] = '43201';
    const event = customResourceEvent('Create');

    await expect(handler(event, fakeContext())).resolves.toBeUndefined();

    const response = sentResponses(fetchMock)[0];
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain(`Invalid ${HandlerEnvironment.DURATION_SECONDS}: received "43201"`);
    // A Create request has no physical id yet, so the response uses the logical id.
    expect(response.PhysicalResourceId).toBe(event.LogicalResourceId);
    expect(codeartifact).not.toHaveReceivedAnyCommand();
    expect(secretsManager).not.toHaveReceivedAnyCommand();
  });

  test('Update keeps physical id', async () => {
    delete process.env[HandlerEnvironment.SECRET_ARN];

    await handler(customResourceEvent('Update'), fakeContext());

    const response = sentResponses(fetchMock)[0];
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain(`Missing environment variable ${HandlerEnvironment.SECRET_ARN}`);
    expect(response.PhysicalResourceId).toBe(SECRET_ARN);
  });
});

describe('Delete request', () => {
  test('responds SUCCESS without SDK calls', async () => {
    await expect(handler(customResourceEvent('Delete'), fakeContext())).resolves.toBeUndefined();

    expect(codeartifact).not.toHaveReceivedAnyCommand();
    expect(secretsManager).not.toHaveReceivedAnyCommand();
    const response = sentResponses(fetchMock)[0];
    expect(response.Status).toBe('SUCCESS');
    expect(response.PhysicalResourceId).toBe(SECRET_ARN);
    expect(response.Data).toStrictEqual({});
  });

  test('succeeds with invalid configuration', async () => {
    process.env[HandlerEnvironment.DOMAIN] = 'Example-Domain';

    await handler(customResourceEvent('Delete'), fakeContext());

    expect(sentResponses(fetchMock)[0].Status).toBe('SUCCESS');
  });
});

describe('response delivery', () => {
  test('long Reason is truncated', async () => {
    codeartifact.on(GetAuthorizationTokenCommand).rejects(awsError(AccessDeniedException, 'x'.repeat(5000)));

    await handler(customResourceEvent('Create'), fakeContext());

    const reason = String(sentResponses(fetchMock)[0].Reason);
    expect(reason.length).toBe(2003);
    expect(reason.endsWith('...')).toBe(true);
  });

  test('rejected response is logged, not thrown', async () => {
    fetchMock = mockFetch(403);

    await expect(handler(customResourceEvent('Create'), fakeContext())).resolves.toBeUndefined();

    const failures = output.logsWithMessage('Could not send the CloudFormation response');
    expect(failures).toHaveLength(1);
    expect(failures[0].errorMessage).toContain('HTTP 403');
  });

  test('response URL is never logged', async () => {
    fetchMock = mockFetch(403);

    await handler(customResourceEvent('Create'), fakeContext());

    expect(output.text).not.toContain('X-Amz-Signature');
    expect(output.text).not.toContain(RESPONSE_URL);
  });
});
