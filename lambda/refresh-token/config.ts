import { HandlerEnvironment, RepositorySettingsRequest } from '../../src/internal/handler-environment';
import {
  ACCOUNT_ID_PATTERN,
  ACCOUNT_ID_RULE,
  DOMAIN_PATTERN,
  DOMAIN_RULE,
  DURATION_RULE,
  isValidDurationSeconds,
  REGION_PATTERN,
  REGION_RULE,
} from '../../src/internal/rules';

/** Refresher settings, read from the environment that the construct sets. */
export interface RefresherConfig {
  readonly domain: string;
  readonly domainOwner: string;
  readonly domainRegion: string;
  readonly durationSeconds: number;
  readonly secretArn: string;
  /** Repositories that get ready-made settings; empty when none has a format. */
  readonly repositories: RepositorySettingsRequest[];
  /** `ipv4` or `dualstack`. */
  readonly endpointType: string;
  /** Role that mints the token, when it is not the function's own. */
  readonly mintingRoleArn?: string;
}

/** Shortest refresh interval that the construct allows. */
const MIN_REFRESH_INTERVAL_SECONDS = 900;

/** Validity a token must keep beyond the next scheduled refresh, as the construct requires. */
const MIN_MARGIN_SECONDS = 300;

const SECRET_ARN_PATTERN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$/;
const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/.+$/;
const REPOSITORY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$/;
const PACKAGE_FORMATS = ['npm', 'pypi', 'maven', 'nuget', 'generic', 'ruby', 'swift', 'cargo'];
const ENDPOINT_TYPES = ['ipv4', 'dualstack'];

/** Raised when the function's environment contains a value the AWS APIs would reject. */
export class ConfigurationError extends Error {
  public override readonly name = 'ConfigurationError';
}

/**
 * Reads and checks the refresher's settings. Values that were CloudFormation references at
 * synth time are checked here, before any API call.
 */
export function readConfig(env: NodeJS.ProcessEnv): RefresherConfig {
  const domain = required(env, HandlerEnvironment.DOMAIN);
  if (!DOMAIN_PATTERN.test(domain)) {
    throw invalid(HandlerEnvironment.DOMAIN, domain, DOMAIN_RULE);
  }

  const domainOwner = required(env, HandlerEnvironment.DOMAIN_OWNER);
  if (!ACCOUNT_ID_PATTERN.test(domainOwner)) {
    throw invalid(HandlerEnvironment.DOMAIN_OWNER, domainOwner, ACCOUNT_ID_RULE);
  }

  const durationText = required(env, HandlerEnvironment.DURATION_SECONDS);
  const durationSeconds = Number(durationText);
  if (!/^[0-9]+$/.test(durationText) || !isValidDurationSeconds(durationSeconds)) {
    throw invalid(HandlerEnvironment.DURATION_SECONDS, durationText, DURATION_RULE);
  }

  const domainRegion = env[HandlerEnvironment.DOMAIN_REGION] || env.AWS_REGION;
  if (!domainRegion) {
    throw new ConfigurationError(
      `Missing ${HandlerEnvironment.DOMAIN_REGION} and AWS_REGION: set the Region of the CodeArtifact domain.`,
    );
  }
  if (!REGION_PATTERN.test(domainRegion)) {
    throw invalid(HandlerEnvironment.DOMAIN_REGION, domainRegion, REGION_RULE);
  }

  const secretArn = required(env, HandlerEnvironment.SECRET_ARN);
  if (!SECRET_ARN_PATTERN.test(secretArn)) {
    throw invalid(HandlerEnvironment.SECRET_ARN, secretArn, 'the full ARN of a Secrets Manager secret');
  }

  const endpointType = env[HandlerEnvironment.ENDPOINT_TYPE] || 'ipv4';
  if (!ENDPOINT_TYPES.includes(endpointType)) {
    throw invalid(HandlerEnvironment.ENDPOINT_TYPE, endpointType, ENDPOINT_TYPES.join(' or '));
  }

  const mintingRoleArn = env[HandlerEnvironment.MINTING_ROLE_ARN] || undefined;
  if (mintingRoleArn !== undefined && !ROLE_ARN_PATTERN.test(mintingRoleArn)) {
    throw invalid(HandlerEnvironment.MINTING_ROLE_ARN, mintingRoleArn, 'the ARN of an IAM role');
  }
  checkLifetimeAgainstSchedule(env, durationSeconds, mintingRoleArn);

  const repositories = readRepositories(env[HandlerEnvironment.REPOSITORIES]);
  return { domain, domainOwner, domainRegion, durationSeconds, secretArn, repositories, endpointType, mintingRoleArn };
}

/**
 * Repeats the construct's checks of the token lifetime against the schedule, for a lifetime
 * that was a CloudFormation reference at synth time.
 */
function checkLifetimeAgainstSchedule(env: NodeJS.ProcessEnv, durationSeconds: number, mintingRoleArn?: string): void {
  const durationText = String(durationSeconds);
  if (durationSeconds === 0 && mintingRoleArn !== undefined) {
    throw invalid(
      HandlerEnvironment.DURATION_SECONDS,
      durationText,
      'a lifetime above 0 with a minting role, because a token of lifetime 0 expires with the 15-minute role session',
    );
  }
  const intervalText = env[HandlerEnvironment.REFRESH_INTERVAL_SECONDS];
  if (intervalText === undefined || intervalText === '') {
    return;
  }
  const intervalSeconds = Number(intervalText);
  if (!/^[0-9]+$/.test(intervalText) || intervalSeconds < MIN_REFRESH_INTERVAL_SECONDS) {
    throw invalid(HandlerEnvironment.REFRESH_INTERVAL_SECONDS, intervalText, 'whole seconds, at least 900');
  }
  if (durationSeconds !== 0 && durationSeconds < intervalSeconds + MIN_MARGIN_SECONDS) {
    throw invalid(
      HandlerEnvironment.DURATION_SECONDS,
      durationText,
      `0, or at least ${intervalSeconds + MIN_MARGIN_SECONDS} seconds: the refresh interval of ${intervalSeconds} ` +
        `seconds plus ${MIN_MARGIN_SECONDS} seconds, so a token outlives the next refresh`,
    );
  }
}

function readRepositories(text: string | undefined): RepositorySettingsRequest[] {
  if (text === undefined || text === '') {
    return [];
  }
  const rule = 'a JSON list of {"name", "format"} with repository names and package formats';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(HandlerEnvironment.REPOSITORIES, text, rule);
  }
  if (!Array.isArray(parsed)) {
    throw invalid(HandlerEnvironment.REPOSITORIES, text, rule);
  }
  const names = new Set<string>();
  return parsed.map((entry: unknown) => {
    const { name, format } = (entry ?? {}) as { name?: unknown; format?: unknown };
    if (typeof name !== 'string' || !REPOSITORY_NAME_PATTERN.test(name)) {
      throw invalid(
        HandlerEnvironment.REPOSITORIES,
        text,
        `${rule}; a repository name has 2 to 100 letters, digits, dots, hyphens or underscores and starts with a letter or digit`,
      );
    }
    if (typeof format !== 'string' || !PACKAGE_FORMATS.includes(format)) {
      throw invalid(HandlerEnvironment.REPOSITORIES, text, `${rule}; formats are ${PACKAGE_FORMATS.join(', ')}`);
    }
    if (names.has(name)) {
      throw invalid(HandlerEnvironment.REPOSITORIES, text, `${rule}; each repository once`);
    }
    names.add(name);
    return { name, format };
  });
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ConfigurationError(`Missing environment variable ${name}; the construct sets it, so redeploy the stack.`);
  }
  return value;
}

function invalid(name: string, value: string, rule: string): ConfigurationError {
  return new ConfigurationError(`Invalid ${name}: received "${value}". Allowed: ${rule}.`);
}
