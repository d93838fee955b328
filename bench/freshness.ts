/**
 * Freshness: the least validity left on the token that a consumer reads from the secret.
 *
 * For each setting, the construct itself is created, to show whether it accepts the lifetime
 * and interval and which warnings it adds. The lifetime and interval that it synthesizes, its
 * defaults included, are read back from the function's environment and the schedule's rate
 * expression. The least remaining validity is then computed from the rules and simulated over
 * a day of schedule times with a small random delivery delay and refresh duration, reading the
 * secret every second. A second simulation loses one scheduled run (every retry failed) in the
 * middle of the day.
 *
 * Run: npx ts-node --project bench/tsconfig.json bench/freshness.ts
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { CodeArtifactTokenSecret } from '../src';
import { markdownTable, writeResult } from './support';
import { HandlerEnvironment } from '../src/internal/handler-environment';

/**
 * Latest delivery of a scheduled run after its due time. EventBridge Scheduler documents no
 * bound for a schedule without a flexible time window, so this is an assumption.
 */
const MAX_DELIVERY_DELAY_SECONDS = 60;

/**
 * Refresh duration bounds: from the scheduled run's start to the token minted, and from minted
 * to stored. Both are assumptions for a cold function that calls real AWS endpoints. Against
 * local endpoints, bench/refresh.ts measures tens of milliseconds for the whole refresh.
 */
const MINT_SECONDS: [number, number] = [0.2, 1.5];
const STORE_SECONDS: [number, number] = [0.1, 1.0];

const DAY_SECONDS = 24 * 3600;
const SEED = 20261204;
/** Simulated days per setting, each with its own random delays; the table shows the worst. */
const DAYS = 30;

interface Setting {
  readonly label: string;
  /** `tokenLifetime` prop, or undefined for the construct's default. */
  readonly lifetime?: Duration;
  /** `refreshInterval` prop, or undefined for the construct's default. */
  readonly interval?: Duration;
}

/**
 * The defaults, then the worst settings that the construct accepts. A lifetime of 0 is left
 * out, because the token then expires with the function's credentials, not at a set time.
 */
const SETTINGS: Setting[] = [
  { label: 'defaults' },
  { label: 'short lifetime', lifetime: Duration.minutes(30) },
  { label: 'longest lifetime with a halved default', lifetime: Duration.minutes(119) },
  { label: 'long interval', lifetime: Duration.hours(12), interval: Duration.hours(11) },
  { label: 'smallest margin at 12 h', lifetime: Duration.hours(12), interval: Duration.minutes(715) },
  { label: 'shortest lifetime, default interval', lifetime: Duration.minutes(20) },
  { label: 'margin under 5 minutes', lifetime: Duration.hours(12), interval: Duration.minutes(719) },
  { label: '15-minute lifetime (the API minimum)', lifetime: Duration.minutes(15), interval: Duration.minutes(15) },
];

/** Seconds per unit of an EventBridge Scheduler rate expression. */
const RATE_UNIT_SECONDS: Record<string, number> = { minute: 60, hour: 3600, day: 86400 };

/** Park and Miller's minimal standard generator, so every run simulates the same day. */
function random(seed: number): () => number {
  const modulus = 2147483647;
  let state = seed % modulus || 1;
  return () => {
    state = (state * 48271) % modulus;
    return (state - 1) / (modulus - 1);
  };
}

interface Verdict {
  readonly accepted: boolean;
  readonly messages: string[];
  /** Token lifetime in seconds that the synthesized function requests, set only when accepted. */
  readonly lifetimeSeconds?: number;
  /** Seconds between scheduled runs from the schedule's rate expression, set only when accepted. */
  readonly intervalSeconds?: number;
}

/** Returns the seconds of a rate expression such as `rate(15 minutes)` or `rate(1 hour)`. */
function rateSeconds(expression: string): number {
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (!match) {
    throw new Error(`Invalid schedule expression: received "${expression}". Expected rate(<n> minutes|hours|days).`);
  }
  return Number(match[1]) * RATE_UNIT_SECONDS[match[2]];
}

/**
 * Creates the construct with the setting and returns its error, or its warnings with the
 * lifetime and interval that it synthesized.
 */
function constructVerdict(setting: Setting): Verdict {
  const stack = new Stack(new App(), 'Freshness');
  let token: CodeArtifactTokenSecret;
  try {
    token = new CodeArtifactTokenSecret(stack, 'Token', {
      domain: 'bench',
      tokenLifetime: setting.lifetime,
      refreshInterval: setting.interval,
    });
  } catch (error) {
    return { accepted: false, messages: [(error as Error).message] };
  }
  const warnings = stack.node
    .findAll()
    .flatMap((construct) => construct.node.metadata)
    .filter((entry) => entry.type === 'aws:cdk:warning')
    .map((entry) => String(entry.data));
  const environment = stack.resolve((token.refreshFunction.node.defaultChild as CfnFunction).environment) as {
    variables: Record<string, string>;
  };
  const expression = stack.resolve((token.schedule.node.defaultChild as CfnSchedule).scheduleExpression) as string;
  return {
    accepted: true,
    messages: warnings,
    lifetimeSeconds: Number(environment.variables[HandlerEnvironment.DURATION_SECONDS]),
    intervalSeconds: rateSeconds(expression),
  };
}

/** Describes the lifetime or interval: the value set, or the construct's default and its value. */
function describeSetting(value: Duration | undefined, synthesizedSeconds: number | undefined): string {
  if (value !== undefined) {
    return value.toHumanString();
  }
  return synthesizedSeconds === undefined ? 'default' : `default (${Duration.seconds(synthesizedSeconds).toHumanString()})`;
}

interface Refresh {
  /** When GetAuthorizationToken returned: CodeArtifact counts the lifetime from here. */
  readonly minted: number;
  /** When PutSecretValue returned: readers see this token from here. */
  readonly stored: number;
}

/**
 * Simulates the refreshes of one day: one at deployment (t = 0), then one every interval,
 * each delivered up to MAX_DELIVERY_DELAY_SECONDS late. `lostRun` drops one scheduled run.
 */
function simulateRefreshes(intervalSeconds: number, next: () => number, lostRun?: number): Refresh[] {
  const between = ([low, high]: [number, number]) => low + (high - low) * next();
  const refreshes: Refresh[] = [];
  for (let run = 0; run * intervalSeconds <= DAY_SECONDS + intervalSeconds; run++) {
    const due = run * intervalSeconds;
    const start = run === 0 ? 0 : due + MAX_DELIVERY_DELAY_SECONDS * next();
    const minted = start + between(MINT_SECONDS);
    const stored = minted + between(STORE_SECONDS);
    if (run !== lostRun) {
      refreshes.push({ minted, stored });
    }
  }
  return refreshes;
}

/**
 * Returns the least remaining validity, in seconds, of the token a reader gets at any moment
 * of the day: exactly (just before each new token is stored) and by reading every second.
 */
function leastRemaining(refreshes: Refresh[], lifetimeSeconds: number): { exact: number; sampled: number } {
  let exact = Infinity;
  for (let k = 0; k + 1 < refreshes.length && refreshes[k + 1].stored <= DAY_SECONDS; k++) {
    exact = Math.min(exact, refreshes[k].minted + lifetimeSeconds - refreshes[k + 1].stored);
  }
  let sampled = Infinity;
  let current = 0;
  for (let t = Math.ceil(refreshes[0].stored); t <= DAY_SECONDS; t++) {
    while (current + 1 < refreshes.length && refreshes[current + 1].stored <= t) {
      current++;
    }
    sampled = Math.min(sampled, refreshes[current].minted + lifetimeSeconds - t);
  }
  return { exact, sampled };
}

function showSeconds(seconds: number): string {
  const sign = seconds < 0 ? '−' : '';
  const value = Math.abs(seconds);
  if (value >= 3600) {
    return `${sign}${(value / 3600).toFixed(2)} h`;
  }
  if (value >= 60) {
    return `${sign}${(value / 60).toFixed(1)} min`;
  }
  return `${sign}${value.toFixed(1)} s`;
}

function main(): void {
  const maxRefreshSeconds = MINT_SECONDS[1] + STORE_SECONDS[1];
  const rows: string[][] = [];
  const results = [];
  for (const setting of SETTINGS) {
    const verdict = constructVerdict(setting);
    // A rejected setting has nothing synthesized, so the rule columns use the props as given.
    const lifetime = verdict.lifetimeSeconds ?? setting.lifetime?.toSeconds();
    const interval = verdict.intervalSeconds ?? setting.interval?.toSeconds();
    if (lifetime === undefined || interval === undefined) {
      throw new Error(`Setting "${setting.label}" was rejected, so it needs an explicit lifetime and interval.`);
    }
    const ruleMargin = lifetime - interval;
    // The slowest case: a run delivered on time and fast, the next one late and slow.
    const ruleWorst = ruleMargin - MAX_DELIVERY_DELAY_SECONDS - (maxRefreshSeconds - MINT_SECONDS[0]);
    const lostRunIndex = Math.floor(DAY_SECONDS / interval / 2);
    const next = random(SEED);
    const worst = (lostRun?: number) => {
      const days = Array.from({ length: DAYS }, () => leastRemaining(simulateRefreshes(interval, next, lostRun), lifetime));
      return { exact: Math.min(...days.map((day) => day.exact)), sampled: Math.min(...days.map((day) => day.sampled)) };
    };
    const normal = worst();
    const lost = worst(lostRunIndex);
    // Warnings end with "[ack: cdk-codeartifact-token-secret:<name>]", and the table shows the name.
    const warningIds = verdict.messages.map((message) => /\[ack: (?:cdk-codeartifact-token-secret:)?([^\]]+)\]/.exec(message)?.[1] ?? message);
    const verdictText = verdict.accepted
      ? warningIds.length === 0
        ? 'accepted'
        : `accepted, warns ${warningIds.map((id) => `\`${id}\``).join(', ')}`
      : `rejected: ${verdict.messages[0].split('. Allowed:')[0]}`;
    rows.push([
      setting.label,
      `${describeSetting(setting.lifetime, verdict.lifetimeSeconds)} / ${describeSetting(setting.interval, verdict.intervalSeconds)}`,
      verdictText,
      showSeconds(ruleMargin),
      showSeconds(ruleWorst),
      verdict.accepted ? showSeconds(normal.exact) : '–',
      verdict.accepted ? showSeconds(normal.sampled) : '–',
      showSeconds(lifetime - 2 * interval),
      verdict.accepted ? showSeconds(lost.exact) : '–',
    ]);
    results.push({ label: setting.label, lifetime, interval, verdict, ruleMargin, ruleWorst, normal, lost });
  }

  console.log('## Freshness\n');
  console.log(
    `Assumptions: each scheduled run is delivered 0 to ${MAX_DELIVERY_DELAY_SECONDS} s after its due time; minting takes ` +
      `${MINT_SECONDS[0]} to ${MINT_SECONDS[1]} s and storing ${STORE_SECONDS[0]} to ${STORE_SECONDS[1]} s more (uniform, seed ${SEED}). ` +
      'The first refresh runs at deployment, the schedule one interval later. CodeArtifact counts the lifetime from the mint. ' +
      '"One run lost" drops the scheduled run at mid-day, as when every retry of it fails. A negative time means the token read had already expired.\n',
  );
  console.log(
    markdownTable(
      [
        'setting',
        'lifetime / interval',
        'construct',
        'rule: lifetime − interval',
        'rule with the delays above',
        `simulated, worst of ${DAYS} days, exact`,
        'simulated, read every second',
        'one run lost: lifetime − 2 × interval',
        'one run lost, simulated',
      ],
      rows,
    ),
  );
  writeResult('freshness', {
    maxDeliveryDelaySeconds: MAX_DELIVERY_DELAY_SECONDS,
    mintSeconds: MINT_SECONDS,
    storeSeconds: STORE_SECONDS,
    seed: SEED,
    days: DAYS,
    results,
  });
}

main();
