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
import { AssumeRoleCommand, AssumeRoleCommandInput, STSClient } from '@aws-sdk/client-sts';
import type { PolicyStatement } from './local-aws/iam';
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

describe('local STS', () => {
  const CALLER_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/caller`;
  const TARGET_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/minting`;
  const CALLER_ACCESS_KEY_ID = 'ASIAE2ECALLERSESSION';
  const CALLER_SESSION_TOKEN = 'caller-session-token';
  const DOMAIN_ARN = `arn:aws:codeartifact:${REGION}:${ACCOUNT}:domain/e2e-domain`;
  let sts: STSClient;

  /** Registers the caller, a session of CALLER_ROLE_ARN, with these identity-based statements. */
  function addCaller(statements: PolicyStatement[]): void {
    endpoints.addPrincipal({
      accessKeyId: CALLER_ACCESS_KEY_ID,
      account: ACCOUNT,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/caller/function`,
      roleArn: CALLER_ROLE_ARN,
      sessionToken: CALLER_SESSION_TOKEN,
      statements,
    });
  }

  /** Registers the target role with this trust policy; sessions of it may only mint tokens. */
  function addTargetRole(trustedPrincipal: string): void {
    endpoints.sts.addRole({
      arn: TARGET_ROLE_ARN,
      trustStatements: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: trustedPrincipal } }],
      statements: [
        { Effect: 'Allow', Action: 'codeartifact:GetAuthorizationToken', Resource: DOMAIN_ARN },
        { Effect: 'Allow', Action: 'sts:GetServiceBearerToken', Resource: '*' },
      ],
    });
  }

  function assumeRole(overrides: Partial<AssumeRoleCommandInput> = {}) {
    return sts.send(
      new AssumeRoleCommand({ RoleArn: TARGET_ROLE_ARN, RoleSessionName: 'refresher', DurationSeconds: 900, ...overrides }),
    );
  }

  beforeEach(() => {
    addCaller([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: TARGET_ROLE_ARN }]);
    addTargetRole(CALLER_ROLE_ARN);
    sts = new STSClient({
      ...clientConfig(REGION),
      credentials: { accessKeyId: CALLER_ACCESS_KEY_ID, secretAccessKey: 'fake-secret-key', sessionToken: CALLER_SESSION_TOKEN },
    });
  });

  afterEach(() => {
    sts.destroy();
  });

  test('issues temporary credentials', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const response = await assumeRole();

    const credentials = response.Credentials!;
    const [issued] = endpoints.sts.issuedCredentials;
    expect(credentials).toEqual({
      AccessKeyId: issued.accessKeyId,
      SecretAccessKey: issued.secretAccessKey,
      SessionToken: issued.sessionToken,
      Expiration: new Date(issued.expiration),
    });
    expect(issued.accessKeyId).toMatch(/^ASIA[0-9A-F]{16}$/);
    expect(issued.expiration).toBeGreaterThanOrEqual(before + 900_000);
    expect(issued.expiration).toBeLessThanOrEqual(Date.now() + 900_000);
    expect(response.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/minting/refresher`);
    const [call] = endpoints.callsOf('AssumeRole');
    expect(call.input).toEqual({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: TARGET_ROLE_ARN,
      RoleSessionName: 'refresher',
      DurationSeconds: '900',
    });
    expect(call.region).toBe(REGION);
  });

  test('issued credentials act as the role', async () => {
    const credentials = (await assumeRole()).Credentials!;
    const asRole = new CodeartifactClient({
      ...clientConfig(REGION),
      credentials: {
        accessKeyId: credentials.AccessKeyId!,
        secretAccessKey: credentials.SecretAccessKey!,
        sessionToken: credentials.SessionToken!,
      },
    });

    await asRole.send(new GetAuthorizationTokenCommand({ domain: 'e2e-domain', domainOwner: ACCOUNT }));
    const endpoint = asRole.send(
      new GetRepositoryEndpointCommand({ domain: 'e2e-domain', domainOwner: ACCOUNT, repository: 'npm-store', format: 'npm' }),
    );

    await expect(endpoint).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(endpoint).rejects.toThrow('assumed-role/minting/refresher is not authorized');
    expect(endpoints.codeArtifact.mintedTokens[0].accessKeyId).toBe(credentials.AccessKeyId);
    asRole.destroy();
  });

  test('untrusted caller is AccessDenied', async () => {
    addTargetRole(`arn:aws:iam::${ACCOUNT}:role/someone-else`);

    const request = assumeRole();

    await expect(request).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    await expect(request).rejects.toThrow(`is not authorized to perform: sts:AssumeRole on resource: ${TARGET_ROLE_ARN}`);
    expect(endpoints.sts.issuedCredentials).toHaveLength(0);
  });

  test('caller policy without AssumeRole is AccessDenied', async () => {
    addCaller([]);
    await expect(assumeRole()).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  });

  test('unknown role is AccessDenied', async () => {
    const request = assumeRole({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/missing` });
    await expect(request).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  test('role chaining allows one hour', async () => {
    await assumeRole({ DurationSeconds: 3600 });
    const request = assumeRole({ DurationSeconds: 3601 });
    await expect(request).rejects.toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
  });

  test.each([
    ['a short session', { DurationSeconds: 899 }],
    ['an invalid session name', { RoleSessionName: 'no spaces' }],
  ])('rejects %s', async (_, overrides) => {
    await expect(assumeRole(overrides)).rejects.toMatchObject({ name: 'ValidationError' });
  });

  test('issued key needs its session token', async () => {
    const credentials = (await assumeRole()).Credentials!;
    const wrongToken = new CodeartifactClient({
      ...clientConfig(REGION),
      credentials: { accessKeyId: credentials.AccessKeyId!, secretAccessKey: 'fake', sessionToken: CALLER_SESSION_TOKEN },
    });
    const request = wrongToken.send(new GetAuthorizationTokenCommand({ domain: 'e2e-domain' }));
    await expect(request).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    wrongToken.destroy();
  });

  test('fault reaches the SDK by its code', async () => {
    endpoints.intercept('AssumeRole', (call) => awsErrorReply(call, 'Throttling', 'Rate exceeded'));
    await expect(assumeRole()).rejects.toMatchObject({ name: 'Throttling', message: 'Rate exceeded' });
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
