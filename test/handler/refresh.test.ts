import {
  AccessDeniedException,
  GetAuthorizationTokenCommand,
  GetAuthorizationTokenResult,
  InternalServerException,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-codeartifact';
import {
  DescribeSecretCommand,
  InvalidRequestException,
  LimitExceededException,
  PutSecretValueCommand,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import 'aws-sdk-client-mock-jest';
import {
  awsError,
  CapturedOutput,
  codeartifact,
  describedSecret,
  DOMAIN,
  DOMAIN_OWNER,
  DURATION_SECONDS,
  EXPIRATION,
  fakeContext,
  fakeToken,
  mockFetch,
  mockSuccessfulRefresh,
  NOW_MILLIS,
  OTHER_VERSION_ID,
  REGION,
  rejectionOf,
  SCHEDULED_EVENT,
  SECRET_ARN,
  secretsManager,
  sentCommands,
  setUpHandlerTests,
  VERSION_ID,
} from './harness';
import { RefreshError } from '../../lambda/refresh-token/errors';
import { handler } from '../../lambda/refresh-token/index';
import { HandlerEnvironment } from '../../src/internal/handler-environment';
import { SecretField, SecretTag } from '../../src/secret-fields';

setUpHandlerTests();

let token: string;

beforeEach(() => {
  token = fakeToken();
  mockSuccessfulRefresh(token);
  // Keeps the handler's log and metric lines out of the test report.
  new CapturedOutput();
});

describe('API inputs', () => {
  test('requests token for configured domain', async () => {
    await handler(SCHEDULED_EVENT, fakeContext());

    expect(codeartifact).toHaveReceivedCommandTimes(GetAuthorizationTokenCommand, 1);
    expect(codeartifact.commandCalls(GetAuthorizationTokenCommand)[0].args[0].input).toStrictEqual({
      domain: DOMAIN,
      domainOwner: DOMAIN_OWNER,
      durationSeconds: DURATION_SECONDS,
    });
  });

  test('sends duration zero as number', async () => {
    process.env[HandlerEnvironment.DURATION_SECONDS] = '0';

    await handler(SCHEDULED_EVENT, fakeContext());

    expect(codeartifact).toHaveReceivedCommandWith(GetAuthorizationTokenCommand, { durationSeconds: 0 });
  });

  test('stores token JSON in secret', async () => {
    await handler(SCHEDULED_EVENT, fakeContext());

    expect(secretsManager).toHaveReceivedCommandTimes(PutSecretValueCommand, 1);
    const input = secretsManager.commandCalls(PutSecretValueCommand)[0].args[0].input;
    expect(input.SecretId).toBe(SECRET_ARN);
    expect(JSON.parse(input.SecretString!)).toStrictEqual({
      [SecretField.TOKEN]: token,
      [SecretField.EXPIRATION]: EXPIRATION.toISOString(),
      [SecretField.DOMAIN]: DOMAIN,
      [SecretField.DOMAIN_OWNER]: DOMAIN_OWNER,
      [SecretField.REGION]: REGION,
      [SecretField.USERNAME]: 'aws',
    });
  });

  test('stores API expiration, not duration', async () => {
    // An sts:DurationSeconds condition can cap the lifetime below the requested duration.
    const cappedExpiration = new Date(NOW_MILLIS + 3600 * 1000 + 123);
    codeartifact.on(GetAuthorizationTokenCommand).resolves({ authorizationToken: token, expiration: cappedExpiration });

    await handler(SCHEDULED_EVENT, fakeContext());

    const secretString = secretsManager.commandCalls(PutSecretValueCommand)[0].args[0].input.SecretString!;
    expect(JSON.parse(secretString)[SecretField.EXPIRATION]).toBe('2026-01-02T04:04:05.123Z');
    expect(secretsManager).toHaveReceivedCommandWith(TagResourceCommand, {
      Tags: [{ Key: SecretTag.EXPIRATION, Value: '2026-01-02T04:04:05.123Z' }],
    });
  });

  test('tags secret with expiration', async () => {
    await handler(SCHEDULED_EVENT, fakeContext());

    expect(secretsManager).toHaveReceivedCommandTimes(TagResourceCommand, 1);
    expect(secretsManager.commandCalls(TagResourceCommand)[0].args[0].input).toStrictEqual({
      SecretId: SECRET_ARN,
      Tags: [{ Key: SecretTag.EXPIRATION, Value: '2026-01-02T15:04:05.000Z' }],
    });
  });

  test('describes secret before and after tagging', async () => {
    await handler(SCHEDULED_EVENT, fakeContext());

    expect(secretsManager).toHaveReceivedCommandTimes(DescribeSecretCommand, 2);
    expect(secretsManager).toHaveReceivedNthSpecificCommandWith(1, DescribeSecretCommand, { SecretId: SECRET_ARN });
    expect(secretsManager).toHaveReceivedNthSpecificCommandWith(2, DescribeSecretCommand, { SecretId: SECRET_ARN });
  });

  test('returns version id and expiration', async () => {
    const result = await handler(SCHEDULED_EVENT, fakeContext());

    expect(result).toStrictEqual({ versionId: VERSION_ID, expiration: EXPIRATION.toISOString() });
  });
});

describe('call order', () => {
  test('mints, stores, then tags', async () => {
    await handler(SCHEDULED_EVENT, fakeContext());

    expect(sentCommands()).toStrictEqual([
      'GetAuthorizationTokenCommand',
      'PutSecretValueCommand',
      'DescribeSecretCommand',
      'TagResourceCommand',
      'DescribeSecretCommand',
    ]);
  });

  test('no tag when put fails', async () => {
    secretsManager.on(PutSecretValueCommand).rejects(awsError(InvalidRequestException, 'The secret is scheduled for deletion.'));

    await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(secretsManager).not.toHaveReceivedCommand(TagResourceCommand);
    // The only call after the failure reads the stored expiry tag for the metric.
    expect(sentCommands()).toStrictEqual(['GetAuthorizationTokenCommand', 'PutSecretValueCommand', 'DescribeSecretCommand']);
  });

  test('nothing written when minting fails', async () => {
    codeartifact.on(GetAuthorizationTokenCommand).rejects(awsError(InternalServerException, 'Internal failure.'));

    await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(secretsManager).not.toHaveReceivedCommand(PutSecretValueCommand);
    expect(secretsManager).not.toHaveReceivedCommand(TagResourceCommand);
  });

  test.each<[string, (secret: string) => GetAuthorizationTokenResult, string]>([
    ['no token', () => ({ expiration: EXPIRATION }), 'returned no authorizationToken'],
    ['empty token', () => ({ authorizationToken: '', expiration: EXPIRATION }), 'returned no authorizationToken'],
    ['no expiration', (secret) => ({ authorizationToken: secret }), 'returned no valid expiration'],
    [
      'invalid expiration',
      (secret) => ({ authorizationToken: secret, expiration: new Date(Number.NaN) }),
      'returned no valid expiration',
    ],
    [
      'expiration within 300 seconds',
      (secret) => ({ authorizationToken: secret, expiration: new Date(NOW_MILLIS + 299_000) }),
      'at least 300 seconds are required',
    ],
  ])('nothing written for %s', async (_case, response, expectedText) => {
    codeartifact.on(GetAuthorizationTokenCommand).resolves(response(token));

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error.message).toContain(expectedText);
    expect(error.message).toContain('Nothing was written');
    expect(secretsManager).not.toHaveReceivedCommand(PutSecretValueCommand);
    expect(secretsManager).not.toHaveReceivedCommand(TagResourceCommand);
  });

  test('stores token valid 300 seconds', async () => {
    codeartifact.on(GetAuthorizationTokenCommand).resolves({ authorizationToken: token, expiration: new Date(NOW_MILLIS + 300_000) });

    await handler(SCHEDULED_EVENT, fakeContext());

    expect(secretsManager).toHaveReceivedCommandTimes(PutSecretValueCommand, 1);
  });

  test('never sends a CloudFormation response', async () => {
    const fetchMock = mockFetch();

    await handler(SCHEDULED_EVENT, fakeContext());

    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe('errors', () => {
  test('mint failure names domain and owner', async () => {
    codeartifact.on(GetAuthorizationTokenCommand).rejects(awsError(InternalServerException, 'Internal failure.', 3));

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error).toBeInstanceOf(RefreshError);
    expect(error.message).toContain('GetAuthorizationToken failed');
    expect(error.message).toContain('InternalServerException after 3 attempts: Internal failure.');
    expect(error.message).toContain(`domain "${DOMAIN}"`);
    expect(error.message).toContain(`owner ${DOMAIN_OWNER}`);
    expect(error.message).toContain(`Region ${REGION}`);
    expect(error.message).toContain('Nothing was written; the previous token stays current.');
  });

  test('put failure names secret ARN', async () => {
    secretsManager.on(PutSecretValueCommand).rejects(awsError(InvalidRequestException, 'The secret is scheduled for deletion.'));

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error).toBeInstanceOf(RefreshError);
    expect(error.message).toContain(`PutSecretValue failed for secret ${SECRET_ARN}`);
    expect(error.message).toContain('InvalidRequestException after 1 attempt: The secret is scheduled for deletion.');
    expect(error.message).toContain('Nothing was written');
    expect((error as RefreshError).stored).toBe('unchanged');
  });

  test('tag failure reports stale tag', async () => {
    secretsManager.on(TagResourceCommand).rejects(awsError(InvalidRequestException, 'Too many tags.'));

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error.message).toContain(`TagResource failed for secret ${SECRET_ARN}`);
    expect(error.message).toContain('InvalidRequestException');
    expect(error.message).toContain('The new token is stored, but the expiry tag may still show an earlier expiry.');
    expect((error as RefreshError).stored).toBe('value-written-tag-stale');
  });

  test('describe failure names secret ARN', async () => {
    secretsManager.on(DescribeSecretCommand).rejects(awsError(InvalidRequestException, 'Describe failed.'));

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error.message).toContain(`DescribeSecret failed for secret ${SECRET_ARN}`);
    expect(error.message).toContain('InvalidRequestException');
    expect(secretsManager).not.toHaveReceivedCommand(TagResourceCommand);
  });

  test('missing VersionId fails after write', async () => {
    secretsManager.on(PutSecretValueCommand).resolves({ ARN: SECRET_ARN });

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error.message).toContain(`PutSecretValue returned no VersionId for secret ${SECRET_ARN}`);
    expect((error as RefreshError).stored).toBe('value-written-tag-stale');
    expect(secretsManager).not.toHaveReceivedCommand(TagResourceCommand);
  });

  test('AccessDenied hint names both permissions', async () => {
    codeartifact.on(GetAuthorizationTokenCommand).rejects(awsError(AccessDeniedException, 'User is not authorized.'));

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error.message).toContain('AccessDeniedException');
    expect(error.message).toContain('codeartifact:GetAuthorizationToken');
    expect(error.message).toContain('sts:GetServiceBearerToken');
    expect(error.message).toContain('sts:AWSServiceName = codeartifact.amazonaws.com');
    // The function runs in the owner account, so no domain policy is involved.
    expect(error.message).not.toContain('domain policy');
  });

  test('cross-account AccessDenied names domain policy', async () => {
    codeartifact.on(GetAuthorizationTokenCommand).rejects(awsError(AccessDeniedException, 'User is not authorized.'));
    const context = { ...fakeContext(), invokedFunctionArn: `arn:aws:lambda:${REGION}:999988887777:function:token-refresher` };

    const error = await rejectionOf(handler(SCHEDULED_EVENT, context));

    expect(error.message).toContain('codeartifact:GetAuthorizationToken');
    expect(error.message).toContain('sts:GetServiceBearerToken');
    expect(error.message).toContain(`domain policy in account ${DOMAIN_OWNER}`);
  });

  test('ResourceNotFound names domain and owner', async () => {
    codeartifact.on(GetAuthorizationTokenCommand).rejects(awsError(ResourceNotFoundException, 'Domain not found.'));

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error.message).toContain('ResourceNotFoundException');
    expect(error.message).toContain(`Check that domain "${DOMAIN}" exists in account ${DOMAIN_OWNER} in Region ${REGION}.`);
  });

  test('throttling names next run', async () => {
    codeartifact.on(GetAuthorizationTokenCommand).rejects(awsError(ThrottlingException, 'Rate exceeded.', 3));

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error.message).toContain('ThrottlingException after 3 attempts');
    expect(error.message).toContain('the next scheduled run or deployment tries again');
  });

  test('version limit suggests slower schedule', async () => {
    secretsManager.on(PutSecretValueCommand).rejects(awsError(LimitExceededException, 'Too many versions.'));

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error.message).toContain('LimitExceededException');
    expect(error.message).toContain('too many versions younger than 24 hours; refresh less often');
  });

  test('aborted call reports deadline', async () => {
    // With 5 seconds left, the whole budget is reserved, so the refresh is aborted at once.
    // Only the read of the stored expiry, on its own short deadline, may follow.
    codeartifact.on(GetAuthorizationTokenCommand).callsFake(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    });

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext(5000)));

    expect(error.message).toContain(`Gave up on GetAuthorizationToken for secret ${SECRET_ARN}`);
    expect((error as RefreshError).step).toBe('Deadline');
    expect(secretsManager).not.toHaveReceivedCommand(PutSecretValueCommand);
    expect(secretsManager).not.toHaveReceivedCommand(TagResourceCommand);
  });
});

describe('concurrent refresh', () => {
  test('skips tag when newer version current', async () => {
    secretsManager
      .on(DescribeSecretCommand)
      .resolves(describedSecret({ [OTHER_VERSION_ID]: ['AWSCURRENT'], [VERSION_ID]: ['AWSPREVIOUS'] }));

    const result = await handler(SCHEDULED_EVENT, fakeContext());

    expect(secretsManager).not.toHaveReceivedCommand(TagResourceCommand);
    expect(result).toStrictEqual({ versionId: VERSION_ID, expiration: EXPIRATION.toISOString() });
  });

  test('restores earlier tag when overtaken', async () => {
    const earlierTag = '2026-01-02T01:00:00.000Z';
    secretsManager
      .on(DescribeSecretCommand)
      .resolvesOnce(describedSecret({ [VERSION_ID]: ['AWSCURRENT'] }, earlierTag))
      .resolves(describedSecret({ [OTHER_VERSION_ID]: ['AWSCURRENT'], [VERSION_ID]: ['AWSPREVIOUS'] }, EXPIRATION.toISOString()));

    await handler(SCHEDULED_EVENT, fakeContext());

    expect(secretsManager).toHaveReceivedCommandTimes(TagResourceCommand, 2);
    expect(secretsManager).toHaveReceivedNthSpecificCommandWith(1, TagResourceCommand, {
      Tags: [{ Key: SecretTag.EXPIRATION, Value: EXPIRATION.toISOString() }],
    });
    expect(secretsManager).toHaveReceivedNthSpecificCommandWith(2, TagResourceCommand, {
      SecretId: SECRET_ARN,
      Tags: [{ Key: SecretTag.EXPIRATION, Value: earlierTag }],
    });
  });

  test('restores epoch without earlier tag', async () => {
    secretsManager
      .on(DescribeSecretCommand)
      .resolvesOnce(describedSecret({ [VERSION_ID]: ['AWSCURRENT'] }))
      .resolves(describedSecret({ [OTHER_VERSION_ID]: ['AWSCURRENT'], [VERSION_ID]: ['AWSPREVIOUS'] }));

    await handler(SCHEDULED_EVENT, fakeContext());

    expect(secretsManager).toHaveReceivedNthSpecificCommandWith(2, TagResourceCommand, {
      Tags: [{ Key: SecretTag.EXPIRATION, Value: '1970-01-01T00:00:00.000Z' }],
    });
  });
});
