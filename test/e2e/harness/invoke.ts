import { spawn } from 'child_process';
import { randomBytes } from 'crypto';
import * as path from 'path';
import { Deployment, FAKE_ACCOUNT, FAKE_REGION } from './deployment';
import type { LocalAws } from '../local-aws/server';

const RUNTIME_SCRIPT = path.join(__dirname, '..', 'fixtures', 'lambda-runtime.js');
const RESULT_PREFIX = 'E2E_INVOCATION_RESULT ';
/** Time after the last deadline before a process that still runs is killed. */
const PROCESS_GRACE_MILLIS = 10_000;

/** Event that EventBridge Scheduler sends to the refresher, as the construct configures it. */
export const SCHEDULED_EVENT = { source: 'cdk-codeartifact-token-secret.schedule' };

/** Fake temporary credentials of one execution environment. */
export interface FakeCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** One invocation in an execution environment. */
export interface Invocation {
  readonly event: unknown;
  /** What `getRemainingTimeInMillis` returns at the start. @default - the function's timeout */
  readonly remainingMillis?: number;
}

/** What one invocation ended with, as the runtime script reported it. */
export interface InvocationResult {
  readonly outcome: 'returned' | 'threw' | 'timed-out';
  readonly value?: unknown;
  readonly error?: { readonly name: string; readonly message: string; readonly stack?: string };
  readonly durationMillis: number;
}

/** Everything that an execution environment printed, with its invocation results. */
export interface EnvironmentOutput {
  readonly results: InvocationResult[];
  readonly stdout: string;
  readonly stderr: string;
  /**
   * Lines of stdout and stderr that are JSON objects: Powertools log lines (warnings and
   * errors go to stderr) and EMF metrics. Lambda sends both streams to CloudWatch Logs.
   */
  readonly jsonLines: Array<Record<string, unknown>>;
}

/**
 * Creates fake temporary credentials and registers them with the local endpoints as the
 * function's role, with the role's policies from the template.
 */
export function assumeFunctionRole(endpoints: LocalAws, deployment: Deployment): FakeCredentials {
  // ASIA marks temporary credentials, which need a session token, like those of Lambda.
  const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const sessionToken = randomBytes(64).toString('base64');
  const roleName = deployment.roleArn.split('/').pop();
  endpoints.addPrincipal({
    accessKeyId,
    account: FAKE_ACCOUNT,
    arn: `arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/${roleName}/${deployment.functionName}`,
    statements: deployment.policyStatements,
    roleArn: deployment.roleArn,
    sessionToken,
  });
  return {
    accessKeyId,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken,
  };
}

/** Settings of one execution environment. */
export interface ExecutionEnvironment {
  readonly bundlePath: string;
  readonly homeDir: string;
  readonly deployment: Deployment;
  readonly endpoints: LocalAws;
  readonly credentials: FakeCredentials;
}

/**
 * Runs invocations of the shipped bundle in a new Node.js process, as one Lambda execution
 * environment of the deployed function.
 *
 * The process environment is built from scratch: the function's variables from the template,
 * the variables that Lambda sets, fake credentials, and every AWS endpoint at the local server.
 */
export async function runInvocations(
  environment: ExecutionEnvironment,
  invocations: readonly Invocation[],
): Promise<EnvironmentOutput> {
  const { deployment } = environment;
  const request = {
    context: {
      functionName: deployment.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: deployment.functionArn,
      memoryLimitInMB: String(deployment.memorySize),
      logGroupName: `/aws/lambda/${deployment.functionName}`,
      logStreamName: `2026/01/01/[$LATEST]${randomBytes(16).toString('hex')}`,
    },
    invocations: invocations.map((invocation) => ({
      event: invocation.event,
      remainingMillis: invocation.remainingMillis ?? deployment.timeoutSeconds * 1000,
    })),
  };

  const child = spawn(process.execPath, [RUNTIME_SCRIPT], {
    cwd: path.dirname(environment.bundlePath),
    env: processEnvironment(environment),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // The runtime script stops each invocation at its deadline; this limit only catches a
  // process that hangs anyway.
  const totalMillis = request.invocations.reduce((sum, invocation) => sum + invocation.remainingMillis, 0);
  const killTimer = setTimeout(() => child.kill('SIGKILL'), totalMillis + PROCESS_GRACE_MILLIS);
  const exitCode = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  child.stdin.end(JSON.stringify(request));
  const code = await exitCode.finally(() => clearTimeout(killTimer));
  if (code !== 0) {
    throw new Error(`The execution environment exited with code ${code}.\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  }

  const lines = stdout.split('\n');
  const results = lines
    .filter((line) => line.startsWith(RESULT_PREFIX))
    .map((line) => JSON.parse(line.slice(RESULT_PREFIX.length)) as InvocationResult);
  const jsonLines = [...lines, ...stderr.split('\n')].flatMap((line) => {
    const parsed = parseJsonObject(line);
    return parsed ? [parsed] : [];
  });
  return { results, stdout, stderr, jsonLines };
}

function parseJsonObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) {
    return undefined;
  }
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Runs one invocation in a new execution environment and returns its output and result. */
export async function invokeOnce(
  environment: ExecutionEnvironment,
  invocation: Invocation,
): Promise<EnvironmentOutput & { readonly result: InvocationResult }> {
  const output = await runInvocations(environment, [invocation]);
  if (output.results.length !== 1) {
    throw new Error(`The runtime script reported ${output.results.length} results.\nstdout:\n${output.stdout}\nstderr:\n${output.stderr}`);
  }
  return { ...output, result: output.results[0] };
}

function processEnvironment(environment: ExecutionEnvironment): Record<string, string> {
  const { deployment, endpoints, credentials } = environment;
  const endpoint = endpoints.url;
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: environment.homeDir,
    // Shared config files that do not exist, so no profile of this machine takes part.
    AWS_CONFIG_FILE: path.join(environment.homeDir, 'aws-config-absent'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(environment.homeDir, 'aws-credentials-absent'),

    // What Lambda sets for a function with these settings.
    AWS_REGION: FAKE_REGION,
    AWS_DEFAULT_REGION: FAKE_REGION,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_FUNCTION_NAME: deployment.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(deployment.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${deployment.functionName}`,
    AWS_LAMBDA_LOG_FORMAT: deployment.logFormat,
    AWS_LAMBDA_LOG_LEVEL: deployment.applicationLogLevel,
    LAMBDA_TASK_ROOT: path.dirname(environment.bundlePath),
    _HANDLER: deployment.handler,
    TZ: ':UTC',
    ...deployment.environment,

    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL: endpoint,
    AWS_ENDPOINT_URL_CODEARTIFACT: endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
    AWS_ENDPOINT_URL_STS: endpoint,
  };
}
