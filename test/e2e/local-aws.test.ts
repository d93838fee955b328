import { randomUUID } from 'crypto';
import {
  CodeartifactClient,
  GetAuthorizationTokenCommand,
  GetRepositoryEndpointCommand,
} from '@aws-sdk/client-codeartifact';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { AWSCURRENT, AWSPREVIOUS, MAX_VERSIONS } from './local-aws/secrets-manager';
import { awsErrorReply, LocalAws } from './local-aws/server';

// The local endpoints are themselves checked against the SDK clients that the handler bundles,
// so that a fault the tests inject reaches the handler as the same SDK error AWS would cause.

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const ACCESS_KEY_ID = 'ASIAE2ELOCALAWSTEST';
const DAY_MILLIS = 24 * 60 * 60 * 1000;

let endpoints: LocalAws;
let codeartifact: CodeartifactClient;
let secretsManager: SecretsManagerClient;

beforeEach(async () => {
  endpoints = await LocalAws.start({ secretsRegion: REGION, account: ACCOUNT });
  endpoints.addPrincipal({ accessKeyId: ACCESS_KEY_ID, account: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/test/session` });
  endpoints.codeArtifact.addDomain({ name: 'e2e-domain', owner: ACCOUNT, region: REGION, repositories: ['npm-store'] });
  codeartifact = new CodeartifactClient(clientConfig(REGION));
  secretsManager = new SecretsManagerClient(clientConfig(REGION));
});

afterEach(async () => {
  codeartifact.destroy();
  secretsManager.destroy();
  await endpoints.close();
});

/** Client settings with an explicit endpoint and credentials, so no setting of this machine applies. */
function clientConfig(region: string) {
  return {
    region,
    endpoint: endpoints.url,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: 'fake-secret-key', sessionToken: 'fake-session-token' },
    maxAttempts: 1,
  };
}

function createSecret(seed: { olderVersionAges?: number[] } = {}): string {
  return endpoints.secretsManager.createSecret({ name: 'token', secretString: '{"v":0}', ...seed }, Date.now());
}

describe('local CodeArtifact', () => {
  test('mints a token with an expiration', async () => {
    const before = Date.now();
    const response = await codeartifact.send(
      new GetAuthorizationTokenCommand({ domain: 'e2e-domain', domainOwner: ACCOUNT, durationSeconds: 900 }),
    );
    expect(response.authorizationToken).toBe(endpoints.codeArtifact.mintedTokens[0].token);
    expect(response.expiration).toBeInstanceOf(Date);
    expect(response.expiration!.getTime()).toBeGreaterThanOrEqual(before + 900_000);
    expect(response.expiration!.getTime()).toBeLessThanOrEqual(Date.now() + 900_000);
  });

  test.each([1, 899, 43201])('rejects duration %i', async (durationSeconds) => {
    const request = codeartifact.send(new GetAuthorizationTokenCommand({ domain: 'e2e-domain', durationSeconds }));
    await expect(request).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
  });

  test.each([0, 900, 43200])('accepts duration %i', async (durationSeconds) => {
    const response = await codeartifact.send(new GetAuthorizationTokenCommand({ domain: 'e2e-domain', durationSeconds }));
    expect(response.authorizationToken).toBeDefined();
  });

  test('rejects an invalid domain name', async () => {
    const request = codeartifact.send(new GetAuthorizationTokenCommand({ domain: 'Bad_Domain' }));
    await expect(request).rejects.toMatchObject({ name: 'ValidationException' });
  });

  test('unknown domain is ResourceNotFoundException', async () => {
    const request = codeartifact.send(new GetAuthorizationTokenCommand({ domain: 'other-domain' }));
    await expect(request).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
  });

  test('domain exists in one Region', async () => {
    const elsewhere = new CodeartifactClient(clientConfig('us-east-1'));
    const request = elsewhere.send(new GetAuthorizationTokenCommand({ domain: 'e2e-domain' }));
    await expect(request).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    elsewhere.destroy();
  });

  test('throttling reaches the SDK as ThrottlingException', async () => {
    endpoints.intercept('GetAuthorizationToken', (call) => awsErrorReply(call, 'ThrottlingException', 'Rate exceeded'));
    const request = codeartifact.send(new GetAuthorizationTokenCommand({ domain: 'e2e-domain' }));
    await expect(request).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });
  });

  test('returns a repository endpoint', async () => {
    const response = await codeartifact.send(
      new GetRepositoryEndpointCommand({ domain: 'e2e-domain', domainOwner: ACCOUNT, repository: 'npm-store', format: 'npm' }),
    );
    expect(response.repositoryEndpoint).toBe(`https://e2e-domain-${ACCOUNT}.d.codeartifact.${REGION}.amazonaws.com/npm/npm-store/`);
    const [call] = endpoints.callsOf('GetRepositoryEndpoint');
    expect(call.method).toBe('GET');
  });

  test('unknown repository is ResourceNotFoundException', async () => {
    const request = codeartifact.send(
      new GetRepositoryEndpointCommand({ domain: 'e2e-domain', repository: 'missing', format: 'pypi' }),
    );
    await expect(request).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('local Secrets Manager', () => {
  test('put moves AWSCURRENT and AWSPREVIOUS', async () => {
    const arn = createSecret();
    const first = await secretsManager.send(new PutSecretValueCommand({ SecretId: arn, SecretString: '{"v":1}' }));
    const second = await secretsManager.send(new PutSecretValueCommand({ SecretId: arn, SecretString: '{"v":2}' }));

    const described = await secretsManager.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(described.VersionIdsToStages).toEqual({ [second.VersionId!]: [AWSCURRENT], [first.VersionId!]: [AWSPREVIOUS] });
    const listed = await secretsManager.send(new ListSecretVersionIdsCommand({ SecretId: arn, IncludeDeprecated: true }));
    expect(listed.Versions).toHaveLength(3);
    const current = await secretsManager.send(new GetSecretValueCommand({ SecretId: arn }));
    expect(current.SecretString).toBe('{"v":2}');
  });

  test('same token and data returns the same version', async () => {
    const arn = createSecret();
    const token = randomUUID();
    const first = await secretsManager.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'a', ClientRequestToken: token }));
    const again = await secretsManager.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'a', ClientRequestToken: token }));
    expect(again.VersionId).toBe(first.VersionId);
    expect(endpoints.secretsManager.secret(arn).versions.size).toBe(2);
  });

  test('same token with other data is ResourceExistsException', async () => {
    const arn = createSecret();
    const token = randomUUID();
    await secretsManager.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'a', ClientRequestToken: token }));
    const request = secretsManager.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'b', ClientRequestToken: token }));
    await expect(request).rejects.toMatchObject({ name: 'ResourceExistsException', $metadata: { httpStatusCode: 400 } });
  });

  test('unknown secret is ResourceNotFoundException', async () => {
    const request = secretsManager.send(new DescribeSecretCommand({ SecretId: 'missing' }));
    await expect(request).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  test('version quota is LimitExceededException', async () => {
    const arn = createSecret({ olderVersionAges: Array.from({ length: MAX_VERSIONS - 1 }, () => 60_000) });
    const request = secretsManager.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'new' }));
    await expect(request).rejects.toMatchObject({ name: 'LimitExceededException' });
  });

  test('versions older than a day make room', async () => {
    const arn = createSecret({ olderVersionAges: Array.from({ length: MAX_VERSIONS - 1 }, () => DAY_MILLIS + 60_000) });
    await secretsManager.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'new' }));
    expect(endpoints.secretsManager.secret(arn).versions.size).toBeLessThanOrEqual(MAX_VERSIONS);
  });

  test('tags an ISO-8601 timestamp', async () => {
    const arn = createSecret();
    await secretsManager.send(
      new TagResourceCommand({ SecretId: arn, Tags: [{ Key: 'expiration', Value: '2026-01-02T15:04:05.000Z' }] }),
    );
    const described = await secretsManager.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(described.Tags).toEqual([{ Key: 'expiration', Value: '2026-01-02T15:04:05.000Z' }]);
  });

  test.each([
    ['a key over 127 characters', { Key: 'k'.repeat(128), Value: 'v' }],
    ['a value over 255 characters', { Key: 'k', Value: 'v'.repeat(256) }],
    ['the aws: prefix', { Key: 'aws:expiration', Value: 'v' }],
    ['a comma', { Key: 'k', Value: 'a,b' }],
  ])('rejects a tag with %s', async (_, tag) => {
    const arn = createSecret();
    const request = secretsManager.send(new TagResourceCommand({ SecretId: arn, Tags: [tag] }));
    await expect(request).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  test('rejects a 51st tag', async () => {
    const arn = createSecret();
    const tags = Array.from({ length: 50 }, (_, index) => ({ Key: `key-${index}`, Value: 'v' }));
    await secretsManager.send(new TagResourceCommand({ SecretId: arn, Tags: tags }));
    const request = secretsManager.send(new TagResourceCommand({ SecretId: arn, Tags: [{ Key: 'one-more', Value: 'v' }] }));
    await expect(request).rejects.toMatchObject({ name: 'InvalidRequestException' });
  });
});

describe('request checks', () => {
  test('unsigned request is rejected', async () => {
    const response = await fetch(`${endpoints.url}/v1/authorization-token?domain=e2e-domain`, { method: 'POST' });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toMatch(/^MissingAuthenticationTokenException:/);
  });

  test('scope of another service is rejected', async () => {
    const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.[0-9]{3}/, '');
    const response = await fetch(endpoints.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.DescribeSecret',
        'x-amz-date': amzDate,
        'authorization':
          `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/${amzDate.slice(0, 8)}/${REGION}/codeartifact/aws4_request, ` +
          `SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
      },
      body: '{"SecretId":"token"}',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { __type: string }).__type).toBe('InvalidSignatureException');
  });

  test('unknown access key is rejected', async () => {
    const stranger = new SecretsManagerClient({
      ...clientConfig(REGION),
      credentials: { accessKeyId: 'AKIAUNKNOWNCALLER01', secretAccessKey: 'fake' },
    });
    const request = stranger.send(new DescribeSecretCommand({ SecretId: createSecret() }));
    await expect(request).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    stranger.destroy();
  });

  test('policy without the action is AccessDeniedException', async () => {
    const arn = createSecret();
    endpoints.addPrincipal({
      accessKeyId: ACCESS_KEY_ID,
      account: ACCOUNT,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/test/session`,
      statements: [{ Effect: 'Allow', Action: 'secretsmanager:DescribeSecret', Resource: arn }],
    });
    await secretsManager.send(new DescribeSecretCommand({ SecretId: arn }));
    const request = secretsManager.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'x' }));
    await expect(request).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  test('tag key condition limits TagResource', async () => {
    const arn = createSecret();
    endpoints.addPrincipal({
      accessKeyId: ACCESS_KEY_ID,
      account: ACCOUNT,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/test/session`,
      statements: [
        {
          Effect: 'Allow',
          Action: 'secretsmanager:TagResource',
          Resource: arn,
          Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['expiration'] } },
        },
      ],
    });
    await secretsManager.send(new TagResourceCommand({ SecretId: arn, Tags: [{ Key: 'expiration', Value: 'v' }] }));
    const request = secretsManager.send(new TagResourceCommand({ SecretId: arn, Tags: [{ Key: 'owner', Value: 'v' }] }));
    await expect(request).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});
