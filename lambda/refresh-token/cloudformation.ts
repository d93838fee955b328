import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

/** Longest `Reason` kept in a response; CloudFormation rejects responses over 4 KiB. */
const MAX_REASON_LENGTH = 2000;

/** Tells a CloudFormation custom resource request from a scheduled invocation. */
export function isCustomResourceEvent(event: unknown): event is CloudFormationCustomResourceEvent {
  if (typeof event !== 'object' || event === null) {
    return false;
  }
  const candidate = event as Record<string, unknown>;
  return typeof candidate.RequestType === 'string' && typeof candidate.ResponseURL === 'string';
}

/** Result of a custom resource request, without any token. */
export interface CustomResourceOutcome {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly physicalResourceId: string;
  readonly reason?: string;
  readonly data?: Record<string, string>;
}

/**
 * Sends the outcome to the presigned URL of the request. The URL itself is never logged:
 * its query string is a credential.
 */
export async function sendCustomResourceResponse(
  event: CloudFormationCustomResourceEvent,
  outcome: CustomResourceOutcome,
  abortSignal: AbortSignal,
): Promise<void> {
  const reason = outcome.reason ?? '';
  const body = JSON.stringify({
    Status: outcome.status,
    Reason: reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH)}...` : reason,
    PhysicalResourceId: outcome.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: false,
    Data: outcome.data ?? {},
  });
  const response = await fetch(event.ResponseURL, {
    method: 'PUT',
    // The presigned URL is signed for an empty content type.
    headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
    body,
    signal: abortSignal,
  });
  if (!response.ok) {
    throw new Error(`CloudFormation rejected the custom resource response with HTTP ${response.status}.`);
  }
}
