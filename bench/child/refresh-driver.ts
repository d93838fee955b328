/**
 * Runs the handler bundle in one process, as one warm Lambda execution environment would, and
 * writes the timings to a JSON file. It times the `require`, the first (cold) invocation and
 * the warm invocations, then the same five HTTP requests as one refresh sent without the SDK.
 *
 * Usage: node refresh-driver.js <bundle> <result file> <warm invocations> <secret ARN for the raw requests>
 *
 * The handler reads its settings from the environment. The raw requests go to
 * AWS_ENDPOINT_URL and carry a SigV4-shaped Authorization header that is not computed.
 */
import { randomUUID } from 'crypto';
import { writeFileSync } from 'fs';
import * as http from 'http';

const [bundle, resultFile, invocationsText, rawSecretArn] = process.argv.slice(2);
const invocations = Number(invocationsText);
if (!bundle || !resultFile || !Number.isInteger(invocations) || !rawSecretArn) {
  throw new Error('Usage: refresh-driver.js <bundle> <result file> <warm invocations> <secret ARN for the raw requests>');
}

const FUNCTION_TIMEOUT_MILLIS = 60_000;
const endpoint = new URL(process.env.AWS_ENDPOINT_URL ?? '');
const env = process.env as Record<string, string>;

const ms = (): number => Number(process.hrtime.bigint()) / 1e6;

type Handler = (event: unknown, context: unknown) => Promise<{ versionId: string; expiration: string } | undefined>;

function lambdaContext(requestId: string): unknown {
  const started = Date.now();
  return {
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${env.AWS_REGION}:${env.CODEARTIFACT_DOMAIN_OWNER}:function:${env.AWS_LAMBDA_FUNCTION_NAME}`,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${env.AWS_LAMBDA_FUNCTION_NAME}`,
    logStreamName: 'bench',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => FUNCTION_TIMEOUT_MILLIS - (Date.now() - started),
  };
}

async function invoke(handler: Handler, index: number): Promise<number> {
  const started = ms();
  const result = await handler({ source: 'cdk-codeartifact-token-secret.schedule' }, lambdaContext(`bench-${index}`));
  const elapsed = ms() - started;
  if (!result?.versionId) {
    throw new Error(`Invocation ${index} returned no versionId: ${JSON.stringify(result)}`);
  }
  return elapsed;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** Builds the headers of a signed request, with a signature of the right shape but not computed. */
function signedHeaders(service: string, extra: Record<string, string>): Record<string, string> {
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.[0-9]{3}/, '');
  const scope = `${amzDate.slice(0, 8)}/${env.AWS_REGION}/${service}/aws4_request`;
  return {
    ...extra,
    'x-amz-date': amzDate,
    'x-amz-security-token': env.AWS_SESSION_TOKEN,
    'amz-sdk-invocation-id': randomUUID(),
    'amz-sdk-request': 'attempt=1; max=3',
    'user-agent': 'bench-raw-http',
    'authorization':
      `AWS4-HMAC-SHA256 Credential=${env.AWS_ACCESS_KEY_ID}/${scope}, ` +
      `SignedHeaders=${['host', 'x-amz-date', 'x-amz-security-token', ...Object.keys(extra)].sort().join(';')}, ` +
      `Signature=${'0'.repeat(64)}`,
  };
}

function request(path: string, headers: Record<string, string>, body: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: endpoint.hostname,
        port: endpoint.port,
        method: 'POST',
        path,
        agent,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode !== 200) {
            reject(new Error(`Raw request ${path} failed with HTTP ${response.statusCode}: ${text}`));
            return;
          }
          resolve(text === '' ? {} : (JSON.parse(text) as Record<string, unknown>));
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function secretsManager(operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  const headers = signedHeaders('secretsmanager', {
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': `secretsmanager.${operation}`,
  });
  return request('/', headers, JSON.stringify(input));
}

/** Sends the five requests of one refresh, in order, with the same parameters and value shape. */
async function rawRefresh(): Promise<number> {
  const started = ms();
  const query = new URLSearchParams({
    'domain': env.CODEARTIFACT_DOMAIN,
    'domain-owner': env.CODEARTIFACT_DOMAIN_OWNER,
    'duration': env.TOKEN_DURATION_SECONDS,
  });
  const minted = await request(`/v1/authorization-token?${query}`, signedHeaders('codeartifact', {}), '');
  const expiration = new Date(Number(minted.expiration) * 1000).toISOString();
  const secretString = JSON.stringify({
    token: minted.authorizationToken,
    expiration,
    domain: env.CODEARTIFACT_DOMAIN,
    domainOwner: env.CODEARTIFACT_DOMAIN_OWNER,
    region: env.CODEARTIFACT_REGION,
  });
  const put = await secretsManager('PutSecretValue', { SecretId: rawSecretArn, SecretString: secretString, ClientRequestToken: randomUUID() });
  const before = await secretsManager('DescribeSecret', { SecretId: rawSecretArn });
  const stages = (before.VersionIdsToStages as Record<string, string[]>)[String(put.VersionId)] ?? [];
  if (!stages.includes('AWSCURRENT')) {
    throw new Error('The raw PutSecretValue did not become AWSCURRENT.');
  }
  await secretsManager('TagResource', { SecretId: rawSecretArn, Tags: [{ Key: 'codeartifact-token-secret:expiration', Value: expiration }] });
  await secretsManager('DescribeSecret', { SecretId: rawSecretArn });
  return ms() - started;
}

async function main(): Promise<void> {
  const loadStarted = ms();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require(bundle) as { handler: Handler };
  const loadMs = ms() - loadStarted;

  const firstInvocationMs = await invoke(handler, 0);
  const warmMs: number[] = [];
  for (let i = 1; i <= invocations; i++) {
    warmMs.push(await invoke(handler, i));
  }
  const rawMs: number[] = [];
  for (let i = 0; i < invocations; i++) {
    rawMs.push(await rawRefresh());
  }
  agent.destroy();

  writeFileSync(
    resultFile,
    JSON.stringify({ loadMs, firstInvocationMs, warmMs, rawMs, maxRssKiB: process.resourceUsage().maxRSS }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
