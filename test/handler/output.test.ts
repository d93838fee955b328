import { inspect } from 'node:util';
import { AccessDeniedException, GetAuthorizationTokenCommand } from '@aws-sdk/client-codeartifact';
import {
  DescribeSecretCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
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
  mockFetch,
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
  VERSION_ID,
} from './harness';
import { handler, SERVICE_NAME } from '../../lambda/refresh-token/index';
import { METRIC_NAMESPACE, REMAINING_VALIDITY_METRIC, SECRET_ARN_DIMENSION } from '../../src/internal/handler-environment';

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
