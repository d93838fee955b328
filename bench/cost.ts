/**
 * Monthly AWS cost of one token secret with the default settings, itemised, at us-east-1 list
 * prices, with the free tiers listed apart.
 *
 * Usage counts follow from the construct's defaults (one refresh an hour, 256 MB arm64
 * function). The requests per refresh and the log bytes per invocation come from the last
 * run of bench/refresh.ts when it left `.tmp/bench/refresh.json`, otherwise from the values
 * below. Every price is an estimate: AWS changes prices, and each one names the page it was
 * read from.
 *
 * Run: npx ts-node --project bench/tsconfig.json bench/cost.ts
 */
import { formatMs, markdownTable, readResult, writeResult } from './support';

/** Hours in a month, as AWS's pricing examples count them. */
const HOURS_PER_MONTH = 730;
const REFRESH_INTERVAL_HOURS = 1;
const FUNCTION_MEMORY_GB = 256 / 1024;

/**
 * Billed duration of one scheduled run in Lambda, an estimate. Every hourly run is assumed to
 * be a cold start, because Lambda does not document how long an idle execution environment
 * is kept, and since August 2025 Lambda bills the INIT phase of zip functions too. At 256 MB a
 * function gets about 256/1,769 of a vCPU, because the Lambda developer guide equates 1,769 MB
 * with one vCPU. So the local cold time of bench/refresh.ts (about 0.1 s on a full x86 core,
 * with loopback endpoints) is scaled by about 7, plus half a second for the real endpoints.
 */
const ESTIMATED_BILLED_SECONDS = 1.5;

/** Requests per refresh when no refresh result exists: the handler's five calls. */
const DEFAULT_REQUESTS = { codeArtifact: 1, secretsManager: 4 };
/** Log bytes per invocation when no refresh result exists: one log line and one EMF line. */
const DEFAULT_LOG_BYTES_PER_INVOCATION = 1000;

/** Storage of the log group: three months of retention, the construct's default. */
const LOG_RETENTION_MONTHS = 3;

interface Price {
  /** US dollars per single unit: call, request, GB-second, month. */
  readonly usd: number;
  readonly display: string;
  readonly source: string;
  /** The allowance that AWS's free tier gives every account each month, shared by all its resources. */
  readonly freeTier?: string;
}

/** us-east-1 list prices. "read" dates are when the cited copy of the page was captured. */
const PRICES = {
  secret: {
    usd: 0.4,
    display: '$0.40 per secret a month',
    source: 'aws.amazon.com/secrets-manager/pricing, as transcribed on 2026-09-20 (api-evangelist/amazon-secrets-manager)',
    freeTier: 'none after the new-account trial',
  },
  secretsManagerCalls: {
    usd: 0.05 / 10_000,
    display: '$0.05 per 10,000 calls',
    source: 'aws.amazon.com/secrets-manager/pricing, as transcribed on 2026-09-20',
  },
  lambdaRequests: {
    usd: 0.2 / 1_000_000,
    display: '$0.20 per million requests',
    source: 'aws.amazon.com/lambda/pricing, as transcribed on 2026-09-20 (api-evangelist/aws-lambda)',
    freeTier: '1M requests and 400,000 GB-seconds a month',
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    display: '$0.0000133334 per GB-second (arm64)',
    source: 'artillery 2.0.28 lib/platform/aws-lambda/prices.js, which quotes aws.amazon.com/lambda/pricing',
  },
  schedulerInvocations: {
    usd: 1.0 / 1_000_000,
    display: '$1.00 per million invocations',
    source: 'AWS Price List for EventBridge (14M free a month) and cloudburn.io EventBridge pricing guide, March 2026 ($1.00 per million)',
    freeTier: '14M scheduled invocations a month',
  },
  alarmMetric: {
    usd: 0.1,
    display: '$0.10 per standard-resolution alarm metric a month',
    source: 'aws.amazon.com/cloudwatch/pricing, as summarised by api-evangelist/cloudwatch (2026-05)',
    freeTier: '10 alarm metrics a month',
  },
  customMetric: {
    usd: 0.3,
    display: '$0.30 per metric a month (first 10,000)',
    source: 'aws.amazon.com/cloudwatch/pricing, as summarised by api-evangelist/cloudwatch (2026-05)',
    freeTier: '10 custom metrics a month',
  },
  logIngestion: {
    usd: 0.5,
    display: '$0.50 per GB ingested (standard class)',
    source: 'aws.amazon.com/cloudwatch/pricing, as summarised by api-evangelist/cloudwatch (2026-05)',
    freeTier: '5 GB of logs a month (ingestion, storage and queries together)',
  },
  logStorage: {
    usd: 0.03,
    display: '$0.03 per GB-month stored',
    source: 'aws.amazon.com/cloudwatch/pricing, as summarised by api-evangelist/cloudwatch (2026-05)',
  },
  sqsRequests: {
    usd: 0.4 / 1_000_000,
    display: '$0.40 per million requests',
    source: 'gist mkfmnn/c18899c1337f3cd5402b4f1b7782deff (us-east-1, 2017-11); not re-checked',
    freeTier: '1M requests a month',
  },
  codeArtifactRequests: {
    usd: 0.05 / 10_000,
    display: '$0.05 per 10,000 requests',
    source: 'AWS Price List for CodeArtifact ($0.05 per 10,000 requests, first 100,000 a month free)',
    freeTier: '100,000 requests a month',
  },
  kmsRequests: {
    usd: 0.03 / 10_000,
    display: '$0.03 per 10,000 requests',
    source: 'KMS developer guide (AWS managed keys: no monthly fee, use is charged); gist dasgoll/b88d5be05dcc0deb052ad40446c2fb40 (rate)',
    freeTier: '20,000 requests a month',
  },
} satisfies Record<string, Price>;

interface RefreshResult {
  readonly callsPerRefresh: number;
  readonly bundles: Array<{
    name: string;
    coldMs: { median: number };
    warmMs: { median: number };
    stdoutBytesPerInvocation: number;
    metrics: string[];
  }>;
}

interface Item {
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly price: Price;
  readonly note: string;
}

function formatUsd(value: number): string {
  if (value === 0) {
    return '$0';
  }
  return value >= 0.1 ? `$${value.toFixed(2)}` : `$${value.toPrecision(2)}`;
}

function main(): void {
  const refresh = readResult<RefreshResult>('refresh');
  const shipped = refresh?.bundles.find((bundle) => bundle.name === 'shipped');
  const invocations = HOURS_PER_MONTH / REFRESH_INTERVAL_HOURS;
  const secretsManagerCallsPerRefresh = refresh ? refresh.callsPerRefresh - DEFAULT_REQUESTS.codeArtifact : DEFAULT_REQUESTS.secretsManager;
  const logBytes = shipped?.stdoutBytesPerInvocation ?? DEFAULT_LOG_BYTES_PER_INVOCATION;
  const metrics = shipped?.metrics.length ?? 1;
  const gbSeconds = invocations * FUNCTION_MEMORY_GB * ESTIMATED_BILLED_SECONDS;
  const ingestedGb = (invocations * logBytes) / 1e9;

  const items: Item[] = [
    { item: 'Secrets Manager secret', quantity: 1, unit: 'secret-month', price: PRICES.secret, note: 'prorated by the hour' },
    {
      item: 'Secrets Manager API calls',
      quantity: invocations * secretsManagerCallsPerRefresh,
      unit: 'calls',
      price: PRICES.secretsManagerCalls,
      note: `${secretsManagerCallsPerRefresh} per refresh (PutSecretValue, DescribeSecret ×2, TagResource); consumers' GetSecretValue not counted`,
    },
    { item: 'Lambda requests', quantity: invocations, unit: 'requests', price: PRICES.lambdaRequests, note: 'one per scheduled run' },
    {
      item: 'Lambda duration',
      quantity: gbSeconds,
      unit: 'GB-seconds',
      price: PRICES.lambdaArmGbSecond,
      note: `256 MB arm64 × ${ESTIMATED_BILLED_SECONDS} s billed per run (estimate, cold start every run)`,
    },
    { item: 'EventBridge Scheduler', quantity: invocations, unit: 'invocations', price: PRICES.schedulerInvocations, note: '' },
    {
      item: 'CloudWatch alarm: refresh failure',
      quantity: 2,
      unit: 'alarm metrics',
      price: PRICES.alarmMetric,
      note: 'metric math over 2 metrics (Lambda Errors, SQS messages visible), priced as 2 alarm metrics (assumption)',
    },
    { item: 'CloudWatch alarm: expiry', quantity: 1, unit: 'alarm metric', price: PRICES.alarmMetric, note: 'period = refresh interval' },
    {
      item: 'Custom metric via EMF',
      quantity: metrics,
      unit: metrics === 1 ? 'metric' : 'metrics',
      price: PRICES.customMetric,
      note: 'TokenRemainingValidity by service and SecretArn; EMF has no PutMetricData charge',
    },
    {
      item: 'CloudWatch Logs ingestion',
      quantity: ingestedGb,
      unit: 'GB',
      price: PRICES.logIngestion,
      note: `${logBytes.toFixed(0)} bytes per run (one log line, one EMF line); platform lines filtered at system log level WARN`,
    },
    {
      item: 'CloudWatch Logs storage',
      quantity: ingestedGb * LOG_RETENTION_MONTHS,
      unit: 'GB-month',
      price: PRICES.logStorage,
      note: `steady state with ${LOG_RETENTION_MONTHS} months of retention; stored size assumed equal to ingested`,
    },
    {
      item: 'SQS dead-letter queue',
      quantity: 0,
      unit: 'requests',
      price: PRICES.sqsRequests,
      note: 'no requests while refreshes succeed; its CloudWatch metric is free',
    },
    {
      item: 'CodeArtifact GetAuthorizationToken',
      quantity: invocations,
      unit: 'requests',
      price: PRICES.codeArtifactRequests,
      note: 'assumes CodeArtifact counts this call as a billable request',
    },
    {
      item: 'KMS, AWS managed key aws/secretsmanager',
      quantity: invocations,
      unit: 'requests',
      price: PRICES.kmsRequests,
      note: 'one GenerateDataKey per PutSecretValue (assumption)',
    },
  ];

  let total = 0;
  const rows = items.map((entry) => {
    const cost = entry.quantity * entry.price.usd;
    total += cost;
    const quantity = entry.quantity < 1 && entry.quantity > 0 ? entry.quantity.toPrecision(3) : entry.quantity.toLocaleString('en-US', { maximumFractionDigits: 2 });
    return [entry.item, `${quantity} ${entry.unit}`, entry.price.display, formatUsd(cost), entry.note];
  });
  rows.push(['**Total at list prices**', '', '', `**${formatUsd(total)}**`, '']);

  const freeTiers = Object.entries(PRICES)
    .filter(([, price]) => 'freeTier' in price)
    .map(([name, price]) => `- ${name}: ${(price as Price).freeTier}`);
  const withinFreeTiers = PRICES.secret.usd + invocations * secretsManagerCallsPerRefresh * PRICES.secretsManagerCalls.usd;

  console.log('## Cost of one token a month (defaults)\n');
  console.log(
    `${invocations} scheduled runs a month (${HOURS_PER_MONTH} hours, one run an hour); the deploy-time refresh and consumers' reads are not counted.` +
      (shipped
        ? ` Measured by bench/refresh.ts on this machine: cold run ${formatMs(shipped.coldMs.median)} ms, warm run ${formatMs(shipped.warmMs.median)} ms, ` +
          `${refresh!.callsPerRefresh.toFixed(0)} requests per refresh.`
        : ' No bench/refresh.ts result found; default request and log counts used.') +
      '\n',
  );
  console.log(markdownTable(['item', 'quantity a month', 'us-east-1 list price', 'cost a month', 'note'], rows));
  console.log('\nFree tiers (every account, each month, shared by all its resources):\n');
  console.log(freeTiers.join('\n'));
  console.log(
    `\nWhen the free tiers cover everything they can, one token costs ${formatUsd(withinFreeTiers)} a month: the secret and its API calls.`,
  );
  console.log('\nSources:\n');
  console.log(Object.entries(PRICES).map(([name, price]) => `- ${name}: ${price.source}`).join('\n'));

  writeResult('cost', { invocations, items: items.map((entry) => ({ ...entry, cost: entry.quantity * entry.price.usd })), total, withinFreeTiers });
}

main();
