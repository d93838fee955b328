import { HandlerEnvironment } from '../../src/internal/handler-environment';
import {
  ACCOUNT_ID_PATTERN,
  ACCOUNT_ID_RULE,
  DOMAIN_PATTERN,
  DOMAIN_RULE,
  DURATION_RULE,
  isValidDurationSeconds,
} from '../../src/internal/rules';

/** Refresher settings, read from the environment that the construct sets. */
export interface RefresherConfig {
  readonly domain: string;
  readonly domainOwner: string;
  readonly domainRegion: string;
  readonly durationSeconds: number;
  readonly secretArn: string;
}

/** Raised when the function's environment holds a value the AWS APIs would reject. */
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

  const secretArn = required(env, HandlerEnvironment.SECRET_ARN);
  if (!secretArn.startsWith('arn:')) {
    throw invalid(HandlerEnvironment.SECRET_ARN, secretArn, 'the full ARN of a Secrets Manager secret');
  }

  return { domain, domainOwner, domainRegion, durationSeconds, secretArn };
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
