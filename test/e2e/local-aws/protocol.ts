/**
 * Wire shapes of the two AWS protocols that the local endpoints speak: CodeArtifact's
 * REST-JSON and Secrets Manager's JSON 1.1.
 */

/** Services that the local endpoints implement, named as in their SigV4 credential scope. */
export type AwsService = 'codeartifact' | 'secretsmanager';

/** An HTTP response as the local endpoints send it. */
export interface HttpReply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** Serialized as JSON unless `rawBody` is set. */
  readonly body?: unknown;
  /** Sent as is, for malformed responses. */
  readonly rawBody?: string;
}

/** HTTP status of each CodeArtifact error, from the CodeArtifact API reference. */
const CODEARTIFACT_ERROR_STATUS: Record<string, number> = {
  AccessDeniedException: 403,
  ConflictException: 409,
  InternalServerException: 500,
  ResourceNotFoundException: 404,
  ServiceQuotaExceededException: 402,
  ThrottlingException: 429,
  ValidationException: 400,
  // NOTE: the statuses of the signature errors below are assumed, not taken from AWS documentation.
  MissingAuthenticationTokenException: 403,
  IncompleteSignatureException: 403,
  InvalidSignatureException: 403,
  UnrecognizedClientException: 403,
};

/** A service error, sent in the shape of the service's protocol so that the SDK names it. */
export class AwsServiceError extends Error {
  constructor(
    public readonly errorName: string,
    message: string,
    /** Extra members of the error body, such as `resourceId` of a CodeArtifact error. */
    public readonly extraBody: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = errorName;
  }
}

/**
 * Builds the error response of a service.
 *
 * CodeArtifact (REST-JSON) names the error in the `x-amzn-ErrorType` header and uses a
 * per-error status. Secrets Manager (JSON 1.1) names it in the `__type` member of the body,
 * with status 400 for client errors and 500 for `InternalServiceError`.
 */
export function errorReply(service: AwsService, error: AwsServiceError): HttpReply {
  if (service === 'codeartifact') {
    return {
      status: CODEARTIFACT_ERROR_STATUS[error.errorName] ?? 400,
      headers: { 'x-amzn-ErrorType': `${error.errorName}:http://internal.amazon.com/coral/com.amazonaws.codeartifact/` },
      body: { message: error.message, ...error.extraBody },
    };
  }
  return {
    status: error.errorName === 'InternalServiceError' ? 500 : 400,
    body: { __type: error.errorName, Message: error.message, ...error.extraBody },
  };
}

/** Content type of each service's JSON bodies. */
export function contentTypeOf(service: AwsService): string {
  return service === 'codeartifact' ? 'application/json' : 'application/x-amz-json-1.1';
}

/** Converts milliseconds since the epoch to the epoch-seconds number that both protocols send. */
export function epochSeconds(millis: number): number {
  return millis / 1000;
}
