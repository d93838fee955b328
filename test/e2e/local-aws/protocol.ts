/**
 * Wire shapes of the three AWS protocols that the local endpoints speak: CodeArtifact's
 * REST-JSON, Secrets Manager's JSON 1.1 and the query protocol of STS.
 */
import { randomUUID } from 'crypto';

/** Services that the local endpoints implement, named as in their SigV4 credential scope. */
export type AwsService = 'codeartifact' | 'secretsmanager' | 'sts';

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

/** XML namespace of STS responses, API version 2011-06-15. */
export const STS_XML_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

/**
 * STS error codes of the errors that the local endpoints raise under the names that
 * CodeArtifact and Secrets Manager use.
 */
const STS_ERROR_CODES: Record<string, string> = {
  MissingAuthenticationTokenException: 'MissingAuthenticationToken',
  IncompleteSignatureException: 'IncompleteSignature',
  InvalidSignatureException: 'SignatureDoesNotMatch',
  UnrecognizedClientException: 'InvalidClientTokenId',
  AccessDeniedException: 'AccessDenied',
};

/**
 * HTTP status of each STS error code. Other codes get 400.
 * NOTE: these statuses are assumed, not taken from AWS documentation.
 */
const STS_ERROR_STATUS: Record<string, number> = {
  AccessDenied: 403,
  InvalidClientTokenId: 403,
  MissingAuthenticationToken: 403,
  SignatureDoesNotMatch: 403,
  InternalFailure: 500,
  ServiceUnavailable: 503,
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
 * with status 400 for client errors and 500 for `InternalServiceError`. STS (query) sends an
 * `ErrorResponse` XML document whose `Code` names the error.
 */
export function errorReply(service: AwsService, error: AwsServiceError): HttpReply {
  if (service === 'sts') {
    const code = STS_ERROR_CODES[error.errorName] ?? error.errorName;
    const status = STS_ERROR_STATUS[code] ?? 400;
    return {
      status,
      rawBody:
        `<ErrorResponse xmlns="${STS_XML_NAMESPACE}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
        `<Code>${escapeXml(code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
        `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    };
  }
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

/** Content type of each service's response bodies. */
export function contentTypeOf(service: AwsService): string {
  switch (service) {
    case 'codeartifact':
      return 'application/json';
    case 'secretsmanager':
      return 'application/x-amz-json-1.1';
    case 'sts':
      return 'text/xml';
  }
}

/** Escapes text for an XML element. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Converts milliseconds since the epoch to the epoch-seconds number that both protocols send. */
export function epochSeconds(millis: number): number {
  return millis / 1000;
}
