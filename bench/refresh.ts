/**
 * Time per refresh against the local AWS endpoints of the end-to-end tests.
 *
 * Each of several fresh processes loads a handler bundle, invokes it once cold and then warm
 * invocations in a row, then sends the same five HTTP requests as one refresh without the SDK.
 * The gap between a warm invocation and the raw requests is the handler's own overhead: the
 * SDK's signing, serialization and retries, Powertools' logging and the metric. The endpoints
 * also time their own handling of every request. The shipped bundle and the CommonJS-first
 * bundle of bench/bundle.ts (the one shipped before) run in turn.
 *
 * Run: npx ts-node --project bench/tsconfig.json bench/refresh.ts [processes, default 10] [warm invocations, default 50]
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  buildHandler,
  COMMONJS_FIRST_ESBUILD_OPTIONS,
  compileChildScript,
  FAKE_ACCOUNT,
  FAKE_REGION,
  formatMs,
  handlerEnvironment,
  machineReport,
  makeScratchDir,
  markdownTable,
  nowMs,
  REPO_ROOT,
  runNode,
  SHIPPED_BUNDLE,
  summarize,
  takeJson,
  writeResult,
} from './support';
import { LocalAws, Operation } from '../test/e2e/local-aws/server';

const DOMAIN = 'bench';
const ACCESS_KEY_ID = 'AKIDBENCHMARKFAKEKEY';
const TOKEN_LIFETIME_SECONDS = 43200;
const OPERATIONS: Operation[] = ['GetAuthorizationToken', 'PutSecretValue', 'DescribeSecret', 'TagResource'];

interface DriverResult {
  readonly loadMs: number;
  readonly firstInvocationMs: number;
  readonly warmMs: number[];
  readonly rawMs: number[];
  readonly maxRssKiB: number;
}

interface BundleRuns {
  readonly name: string;
  readonly file: string;
  readonly results: DriverResult[];
  stdoutBytes: number;
  stdoutLines: number;
  emfLines: number;
  invocations: number;
  metricNames: Set<string>;
}

async function main(): Promise<void> {
  const processes = Number(process.argv[2] ?? 10);
  const warmInvocations = Number(process.argv[3] ?? 50);
  // Every process writes 1 + warmInvocations versions to its secret, and Secrets Manager keeps at most about 100.
  if (!Number.isInteger(processes) || processes < 1 || !Number.isInteger(warmInvocations) || warmInvocations < 1 || warmInvocations > 90) {
    throw new Error(
      `Invalid arguments: received "${process.argv.slice(2).join(' ')}". Allowed: processes of 1 or more, warm invocations from 1 to 90.`,
    );
  }
  if (!fs.existsSync(SHIPPED_BUNDLE)) {
    throw new Error(`Missing ${path.relative(REPO_ROOT, SHIPPED_BUNDLE)}: run "npx projen bundle" first.`);
  }

  const scratch = makeScratchDir('bench-refresh');
  const endpoints = await LocalAws.start({ secretsRegion: FAKE_REGION, account: FAKE_ACCOUNT });
  try {
    endpoints.addPrincipal({
      accessKeyId: ACCESS_KEY_ID,
      account: FAKE_ACCOUNT,
      arn: `arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/bench-refresher/bench`,
    });
    endpoints.codeArtifact.addDomain({ name: DOMAIN, owner: FAKE_ACCOUNT, region: FAKE_REGION });

    // The endpoints' own time for every request, from the parsed request to the reply.
    let serverMs = 0;
    for (const operation of OPERATIONS) {
      endpoints.intercept(operation, async (_call, proceed) => {
        const started = nowMs();
        const reply = await proceed();
        serverMs += nowMs() - started;
        return reply;
      });
    }

    const driver = compileChildScript('refresh-driver', scratch);
    const commonJsFirst = path.join(scratch, 'commonjs-first', 'index.js');
    buildHandler(commonJsFirst, COMMONJS_FIRST_ESBUILD_OPTIONS);
    const bundles: BundleRuns[] = [
      { name: 'shipped', file: SHIPPED_BUNDLE },
      { name: 'before: CommonJS builds', file: commonJsFirst },
    ].map((bundle) => ({ ...bundle, results: [], stdoutBytes: 0, stdoutLines: 0, emfLines: 0, invocations: 0, metricNames: new Set() }));

    const resultFile = path.join(scratch, 'result.json');
    const callsBefore = endpoints.calls.length;
    const serverMsBefore = serverMs;
    for (let round = 0; round < processes; round++) {
      for (const [index, bundle] of bundles.entries()) {
        // Fresh secrets per process keep each one under Secrets Manager's version quota.
        const placeholder = JSON.stringify({ token: 'NOT-A-TOKEN', expiration: '1970-01-01T00:00:00.000Z' });
        const secretArn = endpoints.secretsManager.createSecret({ name: `bench-${index}-${round}`, secretString: placeholder }, Date.now());
        const rawSecretArn = endpoints.secretsManager.createSecret({ name: `bench-raw-${index}-${round}`, secretString: placeholder }, Date.now());
        const env = handlerEnvironment(endpoints.url, {
          AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
          AWS_LAMBDA_FUNCTION_NAME: 'bench-refresher',
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
          AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
          CODEARTIFACT_DOMAIN: DOMAIN,
          CODEARTIFACT_DOMAIN_OWNER: FAKE_ACCOUNT,
          CODEARTIFACT_REGION: FAKE_REGION,
          TOKEN_DURATION_SECONDS: String(TOKEN_LIFETIME_SECONDS),
          TOKEN_SECRET_ARN: secretArn,
        });
        const run = await runNode([driver, bundle.file, resultFile, String(warmInvocations), rawSecretArn], env);
        bundle.results.push(takeJson<DriverResult>(resultFile));
        const lines = run.stdout.split('\n').filter((line) => line.trim() !== '');
        bundle.stdoutBytes += Buffer.byteLength(run.stdout);
        bundle.stdoutLines += lines.length;
        bundle.invocations += 1 + warmInvocations;
        for (const line of lines) {
          const parsed = JSON.parse(line) as { _aws?: { CloudWatchMetrics?: Array<{ Metrics: Array<{ Name: string }>; Dimensions: string[][] }> } };
          for (const directive of parsed._aws?.CloudWatchMetrics ?? []) {
            bundle.emfLines += 1;
            for (const metric of directive.Metrics) {
              for (const dimensions of directive.Dimensions) {
                bundle.metricNames.add(`${metric.Name} by ${dimensions.join('+')}`);
              }
            }
          }
        }
      }
    }

    const calls = endpoints.calls.slice(callsBefore);
    const failed = calls.filter((call) => call.status !== 200);
    if (failed.length > 0) {
      throw new Error(`${failed.length} requests failed, the first ${failed[0].operation} with ${failed[0].errorName}.`);
    }
    const refreshes = bundles.reduce((sum, bundle) => sum + bundle.invocations, 0) + processes * bundles.length * warmInvocations;
    const callsPerRefresh = calls.length / refreshes;
    const serverMsPerRefresh = (serverMs - serverMsBefore) / refreshes;

    const rows = bundles.map((bundle) => {
      const load = summarize(bundle.results.map((r) => r.loadMs));
      const first = summarize(bundle.results.map((r) => r.firstInvocationMs));
      const cold = summarize(bundle.results.map((r) => r.loadMs + r.firstInvocationMs));
      const warm = summarize(bundle.results.flatMap((r) => r.warmMs));
      const raw = summarize(bundle.results.flatMap((r) => r.rawMs));
      return { bundle, load, first, cold, warm, raw, overheadMs: warm.median - raw.median };
    });

    console.log('## Refresh against the local endpoints\n');
    console.log(
      machineReport([
        '@aws-sdk/client-codeartifact',
        '@aws-sdk/client-secrets-manager',
        '@aws-sdk/client-sts',
        '@aws-lambda-powertools/logger',
        '@aws-lambda-powertools/metrics',
      ]),
    );
    console.log(
      `\n${processes} processes per bundle, each: require, 1 cold invocation, ${warmInvocations} warm invocations, ` +
        `${warmInvocations} raw refreshes. Medians over all processes; p25–p75 in brackets.\n`,
    );
    console.log(
      markdownTable(
        ['bundle', 'require ms', 'first invocation ms', 'cold: require + first ms', 'warm invocation ms', 'raw HTTP, same 5 requests ms', 'handler overhead (warm − raw) ms'],
        rows.map((row) => [
          row.bundle.name,
          formatMs(row.load.median),
          formatMs(row.first.median),
          formatMs(row.cold.median),
          `${formatMs(row.warm.median)} (${formatMs(row.warm.p25)}–${formatMs(row.warm.p75)})`,
          `${formatMs(row.raw.median)} (${formatMs(row.raw.p25)}–${formatMs(row.raw.p75)})`,
          `${formatMs(row.overheadMs)} (${(row.warm.median / row.raw.median).toFixed(1)}× raw)`,
        ]),
      ),
    );
    const shipped = bundles[0];
    console.log(
      `\nRequests per refresh: ${callsPerRefresh.toFixed(2)} (GetAuthorizationToken, PutSecretValue, DescribeSecret, TagResource, DescribeSecret). ` +
        `Endpoint handling time per refresh: ${serverMsPerRefresh.toFixed(2)} ms.`,
    );
    console.log(
      `Output per invocation (shipped): ${(shipped.stdoutBytes / shipped.invocations).toFixed(0)} bytes in ` +
        `${(shipped.stdoutLines / shipped.invocations).toFixed(2)} lines, of which ${(shipped.emfLines / shipped.invocations).toFixed(2)} EMF; ` +
        `metrics: ${[...shipped.metricNames].join(', ')}.`,
    );

    writeResult('refresh', {
      processes,
      warmInvocations,
      callsPerRefresh,
      serverMsPerRefresh,
      bundles: rows.map((row) => ({
        name: row.bundle.name,
        loadMs: row.load,
        firstInvocationMs: row.first,
        coldMs: row.cold,
        warmMs: row.warm,
        rawMs: row.raw,
        overheadMs: row.overheadMs,
        stdoutBytesPerInvocation: row.bundle.stdoutBytes / row.bundle.invocations,
        stdoutLinesPerInvocation: row.bundle.stdoutLines / row.bundle.invocations,
        emfLinesPerInvocation: row.bundle.emfLines / row.bundle.invocations,
        metrics: [...row.bundle.metricNames],
      })),
    });
  } finally {
    await endpoints.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
