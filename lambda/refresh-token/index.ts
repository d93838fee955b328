import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { isCustomResourceEvent, sendCustomResourceResponse } from './cloudformation';
import { readConfig, RefresherConfig } from './config';
import { RefreshError } from './errors';
import { readStoredExpiry, refreshClients, refreshToken, RefreshResult } from './refresh';
import {
  SERVICE_NAME,
  METRIC_NAMESPACE,
  REMAINING_VALIDITY_METRIC,
  SECRET_ARN_DIMENSION,
} from '../../src/internal/handler-environment';

export { SERVICE_NAME };

/** Time kept back from the refresh for logging, the metric and the CloudFormation response. */
const RESERVED_MILLIS = 7000;

/** Maximum wait for the stored token's expiry after a failure, inside the reserved time. */
const STORED_EXPIRY_MILLIS = 2000;

/** Maximum wait for CloudFormation to accept a response, inside the reserved time. */
const RESPONSE_MILLIS = 4000;

const logger = new Logger({ serviceName: SERVICE_NAME });
const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: SERVICE_NAME });

/** Result of a successful invocation, without the token. */
export interface HandlerResult {
  readonly versionId: string;
  readonly expiration: string;
}

/**
 * Refreshes the token. Scheduled invocations fail when the refresh fails, so Lambda's
 * retries, the on-failure destination and the failure alarm see it. CloudFormation requests
 * get a FAILED response carrying the AWS error instead, which fails the deployment; a Delete
 * request succeeds at once without calling AWS.
 */
export async function handler(event: unknown, context: Context): Promise<HandlerResult | undefined> {
  logger.addContext(context);
  const request = isCustomResourceEvent(event) ? event : undefined;
  const trigger = request ? `CloudFormation ${request.RequestType}` : 'schedule';

  if (request?.RequestType === 'Delete') {
    logger.info('Delete request acknowledged; the secret is removed with the stack', { trigger });
    await respond(request, { status: 'SUCCESS', physicalResourceId: request.PhysicalResourceId });
    return undefined;
  }

  const controller = new AbortController();
  const budget = Math.max(context.getRemainingTimeInMillis() - RESERVED_MILLIS, 0);
  const timer = setTimeout(() => controller.abort(), budget);
  let config: RefresherConfig | undefined;
  try {
    config = readConfig(process.env);
    const result = await refreshToken(config, clientsFor(config), {
      abortSignal: controller.signal,
      functionAccount: accountOf(context.invokedFunctionArn),
      waitForPermissions: request !== undefined,
    });
    logSuccess(config, result, trigger);
    publishRemainingValidity(config.secretArn, new Date(result.expiration));
    if (request) {
      await respond(request, {
        status: 'SUCCESS',
        physicalResourceId: config.secretArn,
        data: { Expiration: result.expiration, VersionId: result.versionId },
      });
      return undefined;
    }
    return { versionId: result.versionId, expiration: result.expiration };
  } catch (error) {
    const failure = logFailure(config, error, trigger);
    if (config) {
      // Runs on its own short deadline, so a refresh that ran out of time still reports.
      await publishStoredValidity(config, AbortSignal.timeout(STORED_EXPIRY_MILLIS));
    }
    if (request) {
      await respond(request, {
        status: 'FAILED',
        physicalResourceId: config?.secretArn ?? physicalIdOf(request),
        reason: failure.message,
      });
      return undefined;
    }
    throw failure;
  } finally {
    clearTimeout(timer);
  }
}

const clientCache = new Map<string, ReturnType<typeof refreshClients>>();

/** Clients are created once per Region pair, so warm invocations reuse their connections. */
function clientsFor(config: RefresherConfig) {
  const secretRegion = config.secretArn.split(':')[3];
  const key = `${config.domainRegion}/${secretRegion}`;
  let clients = clientCache.get(key);
  if (!clients) {
    clients = refreshClients(config.domainRegion, secretRegion);
    clientCache.set(key, clients);
  }
  return clients;
}

function logSuccess(config: RefresherConfig, result: RefreshResult, trigger: string): void {
  logger.info(result.tagged ? 'Token refreshed' : 'Token refreshed; a concurrent refresh owns the expiry tag', {
    trigger,
    domain: config.domain,
    domainOwner: config.domainOwner,
    region: config.domainRegion,
    secretArn: config.secretArn,
    versionId: result.versionId,
    expiration: result.expiration,
    tagged: result.tagged,
    repositories: config.repositories.map((repository) => repository.name),
    mintingRoleArn: config.mintingRoleArn,
  });
}

/** Logs a failed refresh with a fixed set of fields and returns the error to report. */
function logFailure(config: RefresherConfig | undefined, error: unknown, trigger: string): Error {
  const failure = error instanceof Error ? error : new Error(String(error));
  logger.error('Token refresh failed', {
    trigger,
    domain: config?.domain,
    domainOwner: config?.domainOwner,
    region: config?.domainRegion,
    secretArn: config?.secretArn,
    step: failure instanceof RefreshError ? failure.step : undefined,
    stored: failure instanceof RefreshError ? failure.stored : 'unchanged',
    errorName: failure instanceof RefreshError ? (failure.aws?.errorName ?? failure.name) : failure.name,
    attempts: failure instanceof RefreshError ? failure.aws?.attempts : undefined,
    awsRequestId: failure instanceof RefreshError ? failure.aws?.awsRequestId : undefined,
    errorMessage: failure.message,
  });
  return failure;
}

function publishRemainingValidity(secretArn: string, expiry: Date | undefined): void {
  const remainingSeconds = expiry ? Math.max(Math.floor((expiry.getTime() - Date.now()) / 1000), 0) : 0;
  metrics.addDimension(SECRET_ARN_DIMENSION, secretArn);
  metrics.addMetric(REMAINING_VALIDITY_METRIC, MetricUnit.Seconds, remainingSeconds);
  metrics.publishStoredMetrics();
}

/** After a failure, reports how long the token already stored stays valid. */
async function publishStoredValidity(config: RefresherConfig, abortSignal: AbortSignal): Promise<void> {
  try {
    const expiry = await readStoredExpiry(config.secretArn, clientsFor(config).secretsManager, abortSignal);
    publishRemainingValidity(config.secretArn, expiry);
  } catch (error) {
    logger.warn('Could not read the stored token expiry; no validity metric for this run', {
      secretArn: config.secretArn,
      errorName: error instanceof Error ? error.name : 'UnknownError',
    });
  }
}

async function respond(
  request: CloudFormationCustomResourceEvent,
  outcome: Parameters<typeof sendCustomResourceResponse>[1],
): Promise<void> {
  try {
    await sendCustomResourceResponse(request, outcome, AbortSignal.timeout(RESPONSE_MILLIS));
  } catch (error) {
    // CloudFormation fails the resource when its service timeout passes without a response.
    logger.error('Could not send the CloudFormation response', {
      stackId: request.StackId,
      logicalResourceId: request.LogicalResourceId,
      requestId: request.RequestId,
      errorName: error instanceof Error ? error.name : 'UnknownError',
      errorMessage: error instanceof Error ? error.message : String(error),
    });
  }
}

function physicalIdOf(request: CloudFormationCustomResourceEvent): string {
  return 'PhysicalResourceId' in request ? request.PhysicalResourceId : request.LogicalResourceId;
}

function accountOf(functionArn: string | undefined): string | undefined {
  return functionArn?.split(':')[4];
}
