import { inspect } from 'node:util';
import {
  AccessDeniedException,
  GetAuthorizationTokenCommand,
  GetRepositoryEndpointCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-codeartifact';
import {
  DescribeSecretCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  PutSecretValueCommandInput,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSServiceException } from '@aws-sdk/client-sts';
import 'aws-sdk-client-mock-jest';
import {
  awsError,
  CapturedOutput,
  codeartifact,
  customResourceEvent,
  describedSecret,
  DOMAIN,
  DOMAIN_OWNER,
  DURATION_SECONDS,
  EXPIRATION,
  fakeContext,
  fakeToken,
  fakeTokenWithReservedCharacters,
  MINTING_ROLE_ARN,
  mockAssumeRole,
  mockFetch,
  mockRepositoryEndpoints,
  mockSuccessfulRefresh,
  NOW_MILLIS,
  OTHER_VERSION_ID,
  REGION,
  rejectionOf,
  SCHEDULED_EVENT,
  SECRET_ARN,
  secretsManager,
  sentResponses,
  setUpHandlerTests,
  storedSecret,
  sts,
  VERSION_ID,
} from './harness';
import { handler, SERVICE_NAME } from '../../lambda/refresh-token/index';
import {
  HandlerEnvironment,
  METRIC_NAMESPACE,
  REMAINING_VALIDITY_METRIC,
  SECRET_ARN_DIMENSION,
} from '../../src/internal/handler-environment';


// A CloudFormation request retries AccessDenied for 7 seconds while IAM applies new permissions.
jest.setTimeout(20_000);
setUpHandlerTests();

let token: string;
let output: CapturedOutput;

beforeEach(() => {
  token = fakeToken();
  mockSuccessfulRefresh(token);
  output = new CapturedOutput();
});

/** Renders an error in every form through which it could reach a log, a console or a caller. */
function renderings(error: Error): string[] {
  return [error.message, String(error.stack), inspect(error, { depth: 10 }), JSON.stringify(error)];
}

describe('success log', () => {
  test('writes one JSON success line', async () => {
    await handler(SCHEDULED_EVENT, fakeContext());

    const successes = output.logsWithMessage('Token refreshed');
    expect(successes).toHaveLength(1);
    expect(successes[0]).toMatchObject({
      level: 'INFO',
      service: SERVICE_NAME,
      trigger: 'schedule',
      domain: DOMAIN,
      domainOwner: DOMAIN_OWNER,
      region: REGION,
      secretArn: SECRET_ARN,
      versionId: VERSION_ID,
      expiration: EXPIRATION.toISOString(),
      tagged: true,
    });
  });

  test('every output line is JSON', async () => {
    await handler(SCHEDULED_EVENT, fakeContext());

    expect(output.lines.length).toBeGreaterThan(0);
    for (const line of output.lines) {
      expect(() => JSON.parse(line)).not.toThrow();
    }
  });

  test('names concurrent refresh in message', async () => {
    secretsManager
      .on(DescribeSecretCommand)
      .resolves(describedSecret({ [OTHER_VERSION_ID]: ['AWSCURRENT'], [VERSION_ID]: ['AWSPREVIOUS'] }));

    await handler(SCHEDULED_EVENT, fakeContext());

    const successes = output.logsWithMessage('Token refreshed; a concurrent refresh owns the expiry tag');
    expect(successes).toHaveLength(1);
    expect(successes[0].tagged).toBe(false);
    expect(successes[0].versionId).toBe(VERSION_ID);
  });

  test('does not log the event', async () => {
    const marker = 'resource-property-marker';
    const event = { ...customResourceEvent('Create'), ResourceProperties: { ServiceToken: 'unused', Marker: marker } };
    mockFetch();

    await handler(event, fakeContext());

    expect(output.text).not.toContain(event.ResponseURL);
    expect(output.text).not.toContain(marker);
  });
});

describe('failure log', () => {
  test('writes one JSON failure line', async () => {
    secretsManager.on(PutSecretValueCommand).rejects(awsError(InvalidRequestException, 'The secret is scheduled for deletion.', 2));

    await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    const failures = output.logsWithMessage('Token refresh failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      level: 'ERROR',
      trigger: 'schedule',
      domain: DOMAIN,
      domainOwner: DOMAIN_OWNER,
      secretArn: SECRET_ARN,
      step: 'PutSecretValue',
      stored: 'unchanged',
      errorName: 'InvalidRequestException',
      attempts: 2,
      awsRequestId: 'aws-request-1',
    });
    expect(failures[0].errorMessage).toContain('The secret is scheduled for deletion.');
  });
});

/** Failure paths, each set up so that the token is minted (or offered) before the failure. */
const failurePaths: Array<[string, (secret: string) => void]> = [
  ['minting denied', () => {
    codeartifact.on(GetAuthorizationTokenCommand).rejects(awsError(AccessDeniedException, 'User is not authorized.'));
  }],
  ['token expiring too soon', (secret) => {
    codeartifact.on(GetAuthorizationTokenCommand).resolves({ authorizationToken: secret, expiration: new Date(NOW_MILLIS + 60_000) });
  }],
  ['token without expiration', (secret) => {
    codeartifact.on(GetAuthorizationTokenCommand).resolves({ authorizationToken: secret });
  }],
  ['put error echoing token', (secret) => {
    secretsManager.on(PutSecretValueCommand).rejects(awsError(InvalidRequestException, `Invalid SecretString {"token":"${secret}"}`));
  }],
  ['put rejecting with text', (secret) => {
    secretsManager.on(PutSecretValueCommand).callsFake(() => Promise.reject(`socket closed while sending ${secret}`));
  }],
  ['put without VersionId', () => {
    secretsManager.on(PutSecretValueCommand).resolves({ ARN: SECRET_ARN });
  }],
  ['describe error echoing token', (secret) => {
    secretsManager.on(DescribeSecretCommand).rejects(awsError(InvalidRequestException, `Describe failed near ${secret}`));
  }],
  ['tag error echoing token', (secret) => {
    secretsManager.on(TagResourceCommand).rejects(awsError(InvalidRequestException, `Tag failed near ${secret}`));
  }],
  ['expiry read after failure echoing token', (secret) => {
    secretsManager.on(PutSecretValueCommand).rejects(awsError(InvalidRequestException, 'Put failed.'));
    secretsManager.on(DescribeSecretCommand).rejects(awsError(InvalidRequestException, `Describe failed near ${secret}`));
  }],
];

describe('token secrecy', () => {
  test('success output omits token', async () => {
    const result = await handler(SCHEDULED_EVENT, fakeContext());

    expect(output.text).not.toContain(token);
    expect(JSON.stringify(result)).not.toContain(token);
  });

  test.each(failurePaths)('scheduled %s omits token', async (_case, setUp) => {
    setUp(token);

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    for (const text of renderings(error)) {
      expect(text).not.toContain(token);
    }
    expect(output.text).not.toContain(token);
    expect(output.logsWithMessage('Token refresh failed')).toHaveLength(1);
  });

  test.each(failurePaths)('CloudFormation %s omits token', async (_case, setUp) => {
    setUp(token);
    const fetchMock = mockFetch();

    await handler(customResourceEvent('Create'), fakeContext());

    const response = sentResponses(fetchMock)[0];
    expect(response.Status).toBe('FAILED');
    expect(String(fetchMock.mock.calls[0][1]?.body)).not.toContain(token);
    expect(output.text).not.toContain(token);
  });

  test('redacts token in error message', async () => {
    secretsManager.on(PutSecretValueCommand).rejects(awsError(InvalidRequestException, `Invalid SecretString {"token":"${token}"}`));

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(error.message).toContain('Invalid SecretString {"token":"[REDACTED]"}');
  });
});

/** Rejects PutSecretValue with an error whose message repeats the whole secret value. */
function rejectPutEchoingValue(): void {
  secretsManager.on(PutSecretValueCommand).callsFake(async (input: PutSecretValueCommandInput) => {
    throw awsError(InvalidRequestException, `Invalid SecretString ${input.SecretString}`);
  });
}

/** Configures the minting role and makes AssumeRole reject with STS's AccessDenied error. */
function denyAssumeRole(): void {
  process.env[HandlerEnvironment.MINTING_ROLE_ARN] = MINTING_ROLE_ARN;
  sts.on(AssumeRoleCommand).rejects(
    new STSServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      message: `Not authorized to perform sts:AssumeRole on ${MINTING_ROLE_ARN}`,
      $metadata: { httpStatusCode: 403, attempts: 1 },
    }),
  );
}

/**
 * Failure paths of a refresh with package settings. The pip URL contains the token
 * percent-encoded, so each path is checked for that form too.
 */
const settingsFailurePaths: Array<[string, (secret: string) => void]> = [
  ['endpoint error echoing token', (secret) => {
    codeartifact.on(GetRepositoryEndpointCommand).rejects(awsError(ResourceNotFoundException, `Not found near ${secret}`));
  }],
  ['endpoint missing', () => {
    codeartifact.on(GetRepositoryEndpointCommand).resolves({});
  }],
  ['endpoint not a URL', () => {
    codeartifact.on(GetRepositoryEndpointCommand).resolves({ repositoryEndpoint: 'https://bad host.example.com/pypi/py-store/' });
  }],
  ['put error echoing secret value', () => {
    rejectPutEchoingValue();
  }],
  ['put rejecting with secret value text', () => {
    secretsManager.on(PutSecretValueCommand).callsFake((input: PutSecretValueCommandInput) =>
      Promise.reject(`socket closed while sending ${input.SecretString}`),
    );
  }],
  ['tag error echoing token', (secret) => {
    secretsManager.on(TagResourceCommand).rejects(awsError(InvalidRequestException, `Tag failed near ${secret}`));
  }],
  ['minting role denied', () => {
    denyAssumeRole();
  }],
  ['put error echoing value with role', () => {
    process.env[HandlerEnvironment.MINTING_ROLE_ARN] = MINTING_ROLE_ARN;
    rejectPutEchoingValue();
  }],
];

describe('token secrecy with package settings', () => {
  let secret: string;
  let encoded: string;

  beforeEach(() => {
    secret = fakeTokenWithReservedCharacters();
    encoded = encodeURIComponent(secret);
    mockSuccessfulRefresh(secret);
    mockRepositoryEndpoints();
    mockAssumeRole();
    process.env[HandlerEnvironment.REPOSITORIES] = '[{"name":"npm-store","format":"npm"},{"name":"py-store","format":"pypi"}]';
  });

  test('encoded token differs from token', () => {
    expect(encoded).not.toBe(secret);
  });

  test('secret contains both forms', async () => {
    await handler(SCHEDULED_EVENT, fakeContext());

    expect(storedSecret()['npm-store.npmrc']).toContain(`:_authToken=${secret}\n`);
    expect(storedSecret()['py-store.pipIndexUrl']).toContain(`aws:${encoded}@`);
  });

  test('success output omits both forms', async () => {
    const result = await handler(SCHEDULED_EVENT, fakeContext());

    expect(output.text).not.toContain(secret);
    expect(output.text).not.toContain(encoded);
    expect(JSON.stringify(result)).not.toContain(secret);
    expect(JSON.stringify(result)).not.toContain(encoded);
  });

  test('success response omits both forms', async () => {
    const fetchMock = mockFetch();

    await handler(customResourceEvent('Create'), fakeContext());

    const body = String(fetchMock.mock.calls[0][1]?.body);
    expect(sentResponses(fetchMock)[0].Status).toBe('SUCCESS');
    expect(body).not.toContain(secret);
    expect(body).not.toContain(encoded);
  });

  test.each(settingsFailurePaths)('scheduled %s omits both forms', async (_case, setUp) => {
    setUp(secret);

    const error = await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    for (const text of renderings(error)) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(encoded);
    }
    expect(output.text).not.toContain(secret);
    expect(output.text).not.toContain(encoded);
    expect(output.logsWithMessage('Token refresh failed')).toHaveLength(1);
  });

  test.each(settingsFailurePaths)('CloudFormation %s omits both forms', async (_case, setUp) => {
    setUp(secret);
    const fetchMock = mockFetch();

    await handler(customResourceEvent('Create'), fakeContext());

    const body = String(fetchMock.mock.calls[0][1]?.body);
    expect(sentResponses(fetchMock)[0].Status).toBe('FAILED');
    expect(body).not.toContain(secret);
    expect(body).not.toContain(encoded);
    expect(output.text).not.toContain(secret);
    expect(output.text).not.toContain(encoded);
  });
});

describe('remaining validity metric', () => {
  test('publishes seconds until expiration', async () => {
    await handler(SCHEDULED_EVENT, fakeContext());

    expect(output.metricRecords).toHaveLength(1);
    const record = output.metricRecords[0];
    expect(record._aws.CloudWatchMetrics).toHaveLength(1);
    expect(record._aws.CloudWatchMetrics[0].Namespace).toBe(METRIC_NAMESPACE);
    expect(record._aws.CloudWatchMetrics[0].Metrics).toStrictEqual([{ Name: REMAINING_VALIDITY_METRIC, Unit: 'Seconds' }]);
    expect([...record._aws.CloudWatchMetrics[0].Dimensions[0]].sort()).toStrictEqual([SECRET_ARN_DIMENSION, 'service']);
    expect(record[REMAINING_VALIDITY_METRIC]).toBe(DURATION_SECONDS);
    expect(record[SECRET_ARN_DIMENSION]).toBe(SECRET_ARN);
    expect(record.service).toBe(SERVICE_NAME);
  });

  test('uses namespace and metric names', () => {
    expect(METRIC_NAMESPACE).toBe('CodeArtifactTokenSecret');
    expect(REMAINING_VALIDITY_METRIC).toBe('TokenRemainingValidity');
    expect(SECRET_ARN_DIMENSION).toBe('SecretArn');
  });

  test('failure publishes stored tag validity', async () => {
    secretsManager.on(PutSecretValueCommand).rejects(awsError(InvalidRequestException, 'Put failed.'));
    secretsManager.on(DescribeSecretCommand).resolves(describedSecret({}, new Date(NOW_MILLIS + 1800_000).toISOString()));

    await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(output.metricRecords).toHaveLength(1);
    expect(output.metricRecords[0][REMAINING_VALIDITY_METRIC]).toBe(1800);
    expect(secretsManager).toHaveReceivedCommandWith(DescribeSecretCommand, { SecretId: SECRET_ARN });
  });

  test('failure without tag publishes zero', async () => {
    secretsManager.on(PutSecretValueCommand).rejects(awsError(InvalidRequestException, 'Put failed.'));
    secretsManager.on(DescribeSecretCommand).resolves(describedSecret({}));

    await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(output.metricRecords).toHaveLength(1);
    expect(output.metricRecords[0][REMAINING_VALIDITY_METRIC]).toBe(0);
  });

  test('unreadable tag publishes no metric', async () => {
    secretsManager.on(PutSecretValueCommand).rejects(awsError(InvalidRequestException, 'Put failed.'));
    secretsManager.on(DescribeSecretCommand).rejects(awsError(InvalidRequestException, 'Describe failed.'));

    await rejectionOf(handler(SCHEDULED_EVENT, fakeContext()));

    expect(output.metricRecords).toHaveLength(0);
    const warnings = output.logsWithMessage('Could not read the stored token expiry; no validity metric for this run');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].errorName).toBe('InvalidRequestException');
  });
});
