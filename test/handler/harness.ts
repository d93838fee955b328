import { randomBytes } from 'node:crypto';
import {
  CodeartifactClient,
  GetAuthorizationTokenCommand,
  GetRepositoryEndpointCommand,
  GetRepositoryEndpointCommandInput,
} from '@aws-sdk/client-codeartifact';
import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { HandlerEnvironment } from '../../src/internal/handler-environment';
import { SecretTag } from '../../src/secret-fields';

export const DOMAIN = 'example-domain';
export const DOMAIN_OWNER = '111122223333';
export const REGION = 'eu-west-1';
export const DURATION_SECONDS = 43200;
export const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:codeartifact-token-AbCdEf';
export const VERSION_ID = 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';
export const OTHER_VERSION_ID = 'a1b2c3d4-5678-90ab-cdef-EXAMPLE22222';
export const RESPONSE_URL = 'http://127.0.0.1:9/cloudformation-response?X-Amz-Signature=fake';
export const MINTING_ROLE_ARN = 'arn:aws:iam::111122223333:role/codeartifact-minter';

/** Fake credentials of the function role, set in process.env before each test. */
export const FUNCTION_CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'fake-session-token',
};

/** Fake temporary credentials that the mocked AssumeRole returns for the minting role. */
export const ROLE_CREDENTIALS = {
  accessKeyId: 'ASIAMINTINGROLEEXAMPLE',
  secretAccessKey: 'minting-role-secret-access-key-EXAMPLE',
  sessionToken: 'minting-role-session-token-EXAMPLE',
};

/** Fixed clock of the tests: 2026-01-02T03:04:05Z. */
export const NOW_MILLIS = Date.UTC(2026, 0, 2, 3, 4, 5);

/** Token expiration that the mocked GetAuthorizationToken returns: 12 hours after NOW_MILLIS. */
export const EXPIRATION = new Date(NOW_MILLIS + DURATION_SECONDS * 1000);

/** Variables that the construct sets on the function, plus those that Lambda sets. */
export function constructEnvironment(): Record<string, string> {
  return {
    [HandlerEnvironment.DOMAIN]: DOMAIN,
    [HandlerEnvironment.DOMAIN_OWNER]: DOMAIN_OWNER,
    [HandlerEnvironment.DOMAIN_REGION]: REGION,
    [HandlerEnvironment.DURATION_SECONDS]: String(DURATION_SECONDS),
    [HandlerEnvironment.SECRET_ARN]: SECRET_ARN,
    [HandlerEnvironment.REFRESH_INTERVAL_SECONDS]: '3600',
    AWS_REGION: REGION,
  };
}

/**
 * Registers the setup of every handler test. Before each test, process.env gets the construct's
 * variables, fake credentials and AWS_EC2_METADATA_DISABLED, so the SDK never looks for real
 * credentials. Date.now returns NOW_MILLIS and the three SDK mocks are reset. After each test,
 * the environment and every jest spy are restored.
 *
 * NOTE: the handler module creates its Powertools Logger and Metrics when it is first imported,
 * so POWERTOOLS_DEV, POWERTOOLS_METRICS_DISABLED or a log level variable in the shell that runs
 * jest still change what they print.
 */
export function setUpHandlerTests(): void {
  const original = process.env;
  beforeEach(() => {
    process.env = {
      ...original,
      ...constructEnvironment(),
      AWS_ACCESS_KEY_ID: FUNCTION_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: FUNCTION_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: FUNCTION_CREDENTIALS.sessionToken,
      AWS_EC2_METADATA_DISABLED: 'true',
      // On Node.js 20 the SDK warns once per process that newer releases need Node.js 22, on
      // stderr, wherever the first client happens to be created; Lambda runs Node.js 24.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    jest.spyOn(Date, 'now').mockReturnValue(NOW_MILLIS);
    codeartifact.reset();
    secretsManager.reset();
    sts.reset();
  });
  afterEach(() => {
    process.env = original;
    jest.restoreAllMocks();
  });
}

/** Creates a random fake token. Each test uses its own, so a match in the output cannot come from another test. */
export function fakeToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Creates a random fake token that contains `+`, `/` and `=`, which encodeURIComponent
 * percent-encodes, so the token's encoded form differs from the token.
 */
export function fakeTokenWithReservedCharacters(): string {
  const parts = [randomBytes(16), randomBytes(8), randomBytes(8)].map((bytes) => bytes.toString('base64url'));
  return `${parts[0]}+${parts[1]}/${parts[2]}=`;
}

/** Lambda context of a function in the domain owner's account, with a minute left to run. */
export function fakeContext(remainingMillis = 60_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'token-refresher',
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${DOMAIN_OWNER}:function:token-refresher`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: '/aws/lambda/token-refresher',
    logStreamName: '2026/01/02/[$LATEST]abcdef0123456789',
    getRemainingTimeInMillis: () => remainingMillis,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Event of a scheduled invocation. The handler treats every event without RequestType and ResponseURL as scheduled. */
export const SCHEDULED_EVENT = {};

/** Creates a custom resource request whose ResponseURL is a local address. The tests mock fetch, so nothing is sent. */
export function customResourceEvent(requestType: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: `arn:aws:lambda:${REGION}:${DOMAIN_OWNER}:function:token-refresher`,
    ResponseURL: RESPONSE_URL,
    StackId: `arn:aws:cloudformation:${REGION}:${DOMAIN_OWNER}:stack/example/11111111-2222-3333-4444-555555555555`,
    RequestId: 'f0e1d2c3-request',
    LogicalResourceId: 'InitialRefresh',
    ResourceType: 'Custom::CodeArtifactTokenRefresh',
    ResourceProperties: { ServiceToken: 'unused' },
  };
  if (requestType === 'Create') {
    return { ...common, RequestType: 'Create' };
  }
  if (requestType === 'Update') {
    return { ...common, RequestType: 'Update', PhysicalResourceId: SECRET_ARN, OldResourceProperties: { ServiceToken: 'unused' } };
  }
  return { ...common, RequestType: 'Delete', PhysicalResourceId: SECRET_ARN };
}

/**
 * Mocks of the SDK clients. Each intercepts every instance of its class, including the clients
 * that the handler caches and the CodeArtifact client that it creates with the minting role's
 * credentials.
 */
export const codeartifact = mockClient(CodeartifactClient);
export const secretsManager = mockClient(SecretsManagerClient);
export const sts = mockClient(STSClient);

/**
 * Sets the CodeArtifact and Secrets Manager mocks up for a refresh that succeeds: the token is
 * minted, stored as VERSION_ID, and VERSION_ID stays AWSCURRENT.
 */
export function mockSuccessfulRefresh(token: string): void {
  codeartifact.on(GetAuthorizationTokenCommand).resolves({ authorizationToken: token, expiration: EXPIRATION });
  secretsManager.on(PutSecretValueCommand).resolves({ ARN: SECRET_ARN, VersionId: VERSION_ID });
  secretsManager.on(TagResourceCommand).resolves({});
  secretsManager.on(DescribeSecretCommand).resolves(describedSecret({ [VERSION_ID]: ['AWSCURRENT'] }));
}

/** Returns a repository endpoint URL of the form that GetRepositoryEndpoint returns, ending with `/`. */
export function repositoryEndpoint(format: string, repository: string): string {
  return `https://${DOMAIN}-${DOMAIN_OWNER}.d.codeartifact.${REGION}.amazonaws.com/${format}/${repository}/`;
}

/** Sets GetRepositoryEndpoint up to return `repositoryEndpoint(format, repository)` for every request. */
export function mockRepositoryEndpoints(): void {
  codeartifact
    .on(GetRepositoryEndpointCommand)
    .callsFake(async (input: GetRepositoryEndpointCommandInput) => ({
      repositoryEndpoint: repositoryEndpoint(String(input.format), String(input.repository)),
    }));
}

/** Sets AssumeRole up to return ROLE_CREDENTIALS, valid for the 15-minute session. */
export function mockAssumeRole(): void {
  sts.on(AssumeRoleCommand).resolves({
    Credentials: {
      AccessKeyId: ROLE_CREDENTIALS.accessKeyId,
      SecretAccessKey: ROLE_CREDENTIALS.secretAccessKey,
      SessionToken: ROLE_CREDENTIALS.sessionToken,
      Expiration: new Date(NOW_MILLIS + 900_000),
    },
    AssumedRoleUser: {
      AssumedRoleId: 'AROAMINTINGROLEEXAMPLE:codeartifact-token-refresher',
      Arn: 'arn:aws:sts::111122223333:assumed-role/codeartifact-minter/codeartifact-token-refresher',
    },
  });
}

/** Parsed SecretString of the first PutSecretValue request. */
export function storedSecret(): Record<string, string> {
  return JSON.parse(String(secretsManager.commandCalls(PutSecretValueCommand)[0].args[0].input.SecretString));
}

/** Returns a DescribeSecret response with the given stages and, optionally, an expiry tag. */
export function describedSecret(versionIdsToStages: Record<string, string[]>, expiryTag?: string) {
  return {
    ARN: SECRET_ARN,
    VersionIdsToStages: versionIdsToStages,
    Tags: expiryTag === undefined ? [] : [{ Key: SecretTag.EXPIRATION, Value: expiryTag }],
  };
}

/** Names of the commands that the mocks received, in the order they were sent. */
export function sentCommands(): string[] {
  return [...codeartifact.calls(), ...secretsManager.calls(), ...sts.calls()]
    .sort((a, b) => (a.calledBefore(b) ? -1 : 1))
    .map((call) => (call.args[0] as object).constructor.name);
}

/** Replaces global fetch with a mock that accepts every CloudFormation response. */
export function mockFetch(status = 200): jest.SpiedFunction<typeof fetch> {
  return jest.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response(null, { status }));
}

/** Parsed body of each CloudFormation response sent through the fetch mock. */
export function sentResponses(fetchMock: jest.SpiedFunction<typeof fetch>): Array<Record<string, unknown>> {
  return fetchMock.mock.calls.map(([, init]) => JSON.parse(String(init?.body)));
}

/** Everything the process writes to stdout and stderr while a test runs, kept out of the terminal. */
export class CapturedOutput {
  private readonly chunks: string[] = [];

  public constructor() {
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        this.chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      });
    }
  }

  public get text(): string {
    return this.chunks.join('');
  }

  public get lines(): string[] {
    return this.text.split('\n').filter((line) => line.trim() !== '');
  }

  /** Lines parsed as JSON, because Powertools writes one JSON object per line. */
  public get records(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line));
  }

  public logsWithMessage(message: string): Array<Record<string, unknown>> {
    return this.records.filter((record) => record.message === message);
  }

  /** Embedded metric format lines, recognized by their `_aws` key. */
  public get metricRecords(): Array<Record<string, any>> {
    return this.records.filter((record) => '_aws' in record);
  }
}

/** Fields that every modeled AWS SDK exception takes in its constructor. */
interface ExceptionOptions {
  message: string;
  $metadata: { httpStatusCode?: number; requestId?: string; attempts?: number };
}

/** Creates a modeled SDK exception as the client would reject with it after `attempts` tries. */
export function awsError<E extends Error>(
  exceptionClass: new (options: ExceptionOptions) => E,
  message: string,
  attempts = 1,
): E {
  return new exceptionClass({ message, $metadata: { httpStatusCode: 400, requestId: 'aws-request-1', attempts } });
}

/** Awaits a promise that must reject and returns the rejection reason. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('Expected the promise to reject, but it resolved.');
}
