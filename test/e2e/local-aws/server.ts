import { randomBytes, randomUUID } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';
import { LocalCodeArtifact } from './codeartifact';
import { Principal } from './iam';
import { AwsService, AwsServiceError, contentTypeOf, errorReply, HttpReply } from './protocol';
import { LocalSecretsManager } from './secrets-manager';
import { LocalSts } from './sts';

/** Operations that the local endpoints implement. */
export type Operation =
  | 'GetAuthorizationToken'
  | 'GetRepositoryEndpoint'
  | 'PutSecretValue'
  | 'DescribeSecret'
  | 'TagResource'
  | 'GetSecretValue'
  | 'ListSecretVersionIds'
  | 'AssumeRole';

const SECRETS_MANAGER_OPERATIONS: readonly Operation[] = [
  'PutSecretValue',
  'DescribeSecret',
  'TagResource',
  'GetSecretValue',
  'ListSecretVersionIds',
];

/** A request to an AWS operation, as recorded and as passed to interceptors. */
export interface AwsCall {
  readonly service: AwsService;
  readonly operation: Operation;
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawBody: string;
  /**
   * Parsed body: the JSON object of a Secrets Manager request, the form parameters of an STS
   * request, and empty for CodeArtifact.
   */
  readonly input: Record<string, unknown>;
  readonly accessKeyId: string;
  /** Region of the SigV4 credential scope. */
  readonly region: string;
  /** Milliseconds since the epoch. */
  readonly receivedAt: number;
  /** Resolves when the response closes: early when the client gives up, else after it is sent. */
  readonly disconnected: Promise<void>;
}

/** A recorded AWS request with the status and error name it got. */
export interface RecordedCall extends AwsCall {
  status?: number;
  errorName?: string;
}

/** A response that the refresher sent to a CloudFormation presigned URL. */
export interface CloudFormationResponse {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawBody: string;
  readonly body: Record<string, unknown>;
}

/**
 * Replaces the normal handling of one call. `proceed` runs the next interceptor, or else
 * authorization and the operation, and returns the reply, with service errors as error
 * replies. An interceptor may skip it, wrap it in a delay, or change its reply.
 */
export type Interceptor = (call: AwsCall, proceed: () => Promise<HttpReply>) => HttpReply | Promise<HttpReply>;

interface InterceptorEntry {
  readonly operation: Operation;
  readonly interceptor: Interceptor;
  readonly accessKeyId?: string;
  remaining: number;
}

/** SigV4 `Authorization` header: credential scope, signed headers and a hex signature. */
const SIGV4_AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]{16,128})\/([0-9]{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
/** Maximum difference between `x-amz-date` and the server's clock, so a request signed at another time fails. */
const MAX_CLOCK_SKEW_MILLIS = 15 * 60 * 1000;
const CLOUDFORMATION_RESPONSE_PATH = '/cloudformation-response/';
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-[0-9]$/;

/** Settings of the local endpoints. */
export interface LocalAwsOptions {
  /** Region of Secrets Manager; CodeArtifact and STS serve every Region. */
  readonly secretsRegion: string;
  /** Account that owns the secrets. */
  readonly account: string;
}

/**
 * CodeArtifact, Secrets Manager, STS and the CloudFormation response URL on 127.0.0.1, with
 * state kept as AWS keeps it, AWS's request checks, fault injection and a record of every
 * request.
 */
export class LocalAws {
  /** Starts the endpoints on a random port of 127.0.0.1. */
  public static async start(options: LocalAwsOptions): Promise<LocalAws> {
    const endpoints = new LocalAws(options);
    await new Promise<void>((resolve, reject) => {
      endpoints.server.once('error', reject);
      endpoints.server.listen(0, '127.0.0.1', () => resolve());
    });
    return endpoints;
  }

  public readonly codeArtifact: LocalCodeArtifact;
  public readonly secretsManager: LocalSecretsManager;
  public readonly sts: LocalSts;
  /** Every AWS request, in the order received. */
  public readonly calls: RecordedCall[] = [];
  public readonly cloudFormationResponses: CloudFormationResponse[] = [];
  /** Signatures of the response URLs handed out, which must never be printed. */
  public readonly responseUrlSignatures: string[] = [];

  private readonly server: http.Server;
  private readonly principals = new Map<string, Principal>();
  private readonly interceptors: InterceptorEntry[] = [];
  private readonly pendingTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  private constructor(private readonly options: LocalAwsOptions) {
    this.codeArtifact = new LocalCodeArtifact();
    this.secretsManager = new LocalSecretsManager(options.secretsRegion, options.account);
    this.sts = new LocalSts((principal) => this.addPrincipal(principal));
    this.server = http.createServer((request, response) => {
      // A request that fails to arrive whole, such as one the client aborts, gets no response.
      this.handle(request, response).catch(() => response.destroy());
    });
  }

  /** Base URL, for `AWS_ENDPOINT_URL` and the per-service endpoint variables. */
  public get url(): string {
    const address = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  /** Lets requests signed with this access key id through, as this principal. */
  public addPrincipal(principal: Principal): void {
    this.principals.set(principal.accessKeyId, principal);
  }

  /**
   * Runs an interceptor on the next `times` calls of an operation, optionally only for one
   * caller. Interceptors added first run outermost.
   */
  public intercept(
    operation: Operation,
    interceptor: Interceptor,
    options: { readonly times?: number; readonly accessKeyId?: string } = {},
  ): void {
    this.interceptors.push({
      operation,
      interceptor,
      accessKeyId: options.accessKeyId,
      remaining: options.times ?? Number.POSITIVE_INFINITY,
    });
  }

  /** Calls of one operation, in the order received. */
  public callsOf(operation: Operation): RecordedCall[] {
    return this.calls.filter((call) => call.operation === operation);
  }

  /**
   * Creates a presigned-looking URL that records the CloudFormation response sent to it.
   * Its query string stands for the credential that a real presigned URL carries.
   */
  public cloudFormationResponseUrl(): string {
    const signature = randomBytes(32).toString('hex');
    this.responseUrlSignatures.push(signature);
    return `${this.url}${CLOUDFORMATION_RESPONSE_PATH}${randomUUID()}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=${signature}`;
  }

  /** Resolves after `millis`, or at once when the endpoints close. */
  public delay(millis: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) {
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        this.pendingTimers.delete(timer);
        resolve();
      }, millis);
      this.pendingTimers.add(timer);
    });
  }

  public async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.pendingTimers) {
      clearTimeout(timer);
    }
    this.pendingTimers.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const rawBody = await readBody(request);
    const url = new URL(request.url ?? '/', this.url);
    if (request.method === 'PUT' && url.pathname.startsWith(CLOUDFORMATION_RESPONSE_PATH)) {
      this.recordCloudFormationResponse(request, url, rawBody);
      response.writeHead(200).end();
      return;
    }

    const service = serviceOf(request, url, rawBody);
    if (!service) {
      send(response, 'secretsmanager', { status: 404, body: { message: `No local endpoint for ${request.method} ${url.pathname}` } });
      return;
    }
    const disconnected = new Promise<void>((resolve) => {
      response.once('close', () => resolve());
    });
    const call: RecordedCall = {
      service: service.name,
      operation: service.operation,
      method: request.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      rawBody,
      input: {},
      accessKeyId: '',
      region: '',
      receivedAt: Date.now(),
      disconnected,
    };
    this.calls.push(call);

    let reply: HttpReply;
    try {
      const parsed = this.checkRequest(call);
      Object.assign(call, parsed);
      reply = await this.runInterceptors(call, () => this.dispatch(call));
    } catch (error) {
      reply = this.replyForError(service.name, error);
    }
    call.status = reply.status;
    call.errorName = errorNameOf(reply);
    if (!response.destroyed) {
      send(response, service.name, reply);
    }
  }

  /** Checks what AWS checks before an operation runs, and returns the caller and the input. */
  private checkRequest(call: RecordedCall): { accessKeyId: string; region: string; input: Record<string, unknown> } {
    const { accessKeyId, region } = this.checkSignature(call);
    if (call.service === 'codeartifact') {
      return { accessKeyId, region, input: {} };
    }
    if (call.service === 'sts') {
      if (!String(call.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        throw new AwsServiceError('InvalidAction', 'Expected Content-Type application/x-www-form-urlencoded.');
      }
      return { accessKeyId, region, input: Object.fromEntries(new URLSearchParams(call.rawBody)) };
    }
    if (!String(call.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) {
      throw new AwsServiceError('SerializationException', 'Expected Content-Type application/x-amz-json-1.1.');
    }
    try {
      const input: unknown = JSON.parse(call.rawBody === '' ? '{}' : call.rawBody);
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new Error('not an object');
      }
      return { accessKeyId, region, input: input as Record<string, unknown> };
    } catch {
      throw new AwsServiceError('SerializationException', 'The request body is not a JSON object.');
    }
  }

  /**
   * Checks that the request carries a well-formed SigV4 signature scoped to this service and
   * a valid Region, from a known caller, and returns the caller and the Region. The signature
   * itself is not recomputed.
   */
  private checkSignature(call: RecordedCall): { accessKeyId: string; region: string } {
    const authorization = call.headers.authorization;
    if (authorization === undefined) {
      throw new AwsServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    const match = SIGV4_AUTHORIZATION.exec(authorization);
    if (!match) {
      const scheme = authorization.split(' ')[0];
      throw new AwsServiceError('IncompleteSignatureException', `Authorization header is not a SigV4 signature (scheme ${scheme}).`);
    }
    const [, accessKeyId, scopeDate, scopeRegion, scopeService, signedHeaders] = match;
    const amzDate = String(call.headers['x-amz-date'] ?? '');
    if (!/^[0-9]{8}T[0-9]{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== scopeDate) {
      throw new AwsServiceError('IncompleteSignatureException', 'X-Amz-Date is missing or does not match the credential scope date.');
    }
    const signedAt = Date.parse(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    if (Math.abs(Date.now() - signedAt) > MAX_CLOCK_SKEW_MILLIS) {
      throw new AwsServiceError('InvalidSignatureException', 'Signature expired: the request time is too far from the server time.');
    }
    if (scopeService !== call.service) {
      throw new AwsServiceError('InvalidSignatureException', `Credential should be scoped to correct service: '${call.service}'.`);
    }
    const regionValid =
      call.service === 'secretsmanager' ? scopeRegion === this.options.secretsRegion : REGION_PATTERN.test(scopeRegion);
    if (!regionValid) {
      throw new AwsServiceError('InvalidSignatureException', `Credential should be scoped to a valid region, not '${scopeRegion}'.`);
    }
    const signed = signedHeaders.split(';');
    if (!signed.includes('host') || !signed.includes('x-amz-date')) {
      throw new AwsServiceError('IncompleteSignatureException', 'SignedHeaders must include host and x-amz-date.');
    }
    if (accessKeyId.startsWith('ASIA') && !(call.headers['x-amz-security-token'] && signed.includes('x-amz-security-token'))) {
      throw new AwsServiceError('IncompleteSignatureException', 'Temporary credentials need a signed X-Amz-Security-Token header.');
    }
    const principal = this.principals.get(accessKeyId);
    const sessionTokenMatches =
      principal?.sessionToken === undefined || call.headers['x-amz-security-token'] === principal.sessionToken;
    if (!principal || !sessionTokenMatches) {
      throw new AwsServiceError('UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
    return { accessKeyId, region: scopeRegion };
  }

  /**
   * Runs the matching interceptors around the operation: the one added first is outermost,
   * and each one's `proceed` runs the next one, the last one's the operation.
   */
  private async runInterceptors(call: AwsCall, dispatch: () => Promise<HttpReply>): Promise<HttpReply> {
    const matching = this.interceptors.filter(
      (candidate) =>
        candidate.operation === call.operation &&
        candidate.remaining > 0 &&
        (candidate.accessKeyId === undefined || candidate.accessKeyId === call.accessKeyId),
    );
    for (const entry of matching) {
      entry.remaining -= 1;
    }
    const proceedFrom = async (index: number): Promise<HttpReply> => {
      try {
        if (index === matching.length) {
          return await dispatch();
        }
        return await matching[index].interceptor(call, () => proceedFrom(index + 1));
      } catch (error) {
        return this.replyForError(call.service, error);
      }
    };
    return proceedFrom(0);
  }

  private async dispatch(call: AwsCall): Promise<HttpReply> {
    const principal = this.principals.get(call.accessKeyId)!;
    const now = Date.now();
    switch (call.operation) {
      case 'GetAuthorizationToken':
        requireMethod(call, 'POST');
        return this.codeArtifact.getAuthorizationToken(principal, call.region, call.query, now);
      case 'GetRepositoryEndpoint':
        requireMethod(call, 'GET');
        return this.codeArtifact.getRepositoryEndpoint(principal, call.region, call.query);
      case 'PutSecretValue':
        return this.secretsManager.putSecretValue(principal, call.input, now);
      case 'DescribeSecret':
        return this.secretsManager.describeSecret(principal, call.input);
      case 'TagResource':
        return this.secretsManager.tagResource(principal, call.input);
      case 'GetSecretValue':
        return this.secretsManager.getSecretValue(principal, call.input);
      case 'ListSecretVersionIds':
        return this.secretsManager.listSecretVersionIds(principal, call.input);
      case 'AssumeRole':
        return this.sts.assumeRole(principal, call.input as Record<string, string>, now);
    }
  }

  private replyForError(service: AwsService, error: unknown): HttpReply {
    if (error instanceof AwsServiceError) {
      return errorReply(service, error);
    }
    // A bug in the local endpoints: report it as the service's internal error, with the cause.
    const internalErrors: Record<AwsService, string> = {
      codeartifact: 'InternalServerException',
      secretsmanager: 'InternalServiceError',
      sts: 'InternalFailure',
    };
    const name = internalErrors[service];
    return errorReply(service, new AwsServiceError(name, `Local endpoint failure: ${String(error)}`));
  }

  private recordCloudFormationResponse(request: http.IncomingMessage, url: URL, rawBody: string): void {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(rawBody) as Record<string, unknown>;
    } catch {
      body = {};
    }
    this.cloudFormationResponses.push({ path: url.pathname, headers: request.headers, rawBody, body });
  }
}

/** Builds an error reply in the shape of a call's service, for interceptors. */
export function awsErrorReply(call: AwsCall, errorName: string, message: string): HttpReply {
  return errorReply(call.service, new AwsServiceError(errorName, message));
}

function serviceOf(
  request: http.IncomingMessage,
  url: URL,
  rawBody: string,
): { name: AwsService; operation: Operation } | undefined {
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string' && url.pathname === '/' && request.method === 'POST') {
    const operation = target.replace(/^secretsmanager\./, '') as Operation;
    return SECRETS_MANAGER_OPERATIONS.includes(operation) ? { name: 'secretsmanager', operation } : undefined;
  }
  // STS's query protocol names the operation in the form body.
  if (url.pathname === '/' && request.method === 'POST' && new URLSearchParams(rawBody).get('Action') === 'AssumeRole') {
    return { name: 'sts', operation: 'AssumeRole' };
  }
  if (url.pathname === '/v1/authorization-token') {
    return { name: 'codeartifact', operation: 'GetAuthorizationToken' };
  }
  if (url.pathname === '/v1/repository/endpoint') {
    return { name: 'codeartifact', operation: 'GetRepositoryEndpoint' };
  }
  return undefined;
}

function requireMethod(call: AwsCall, method: string): void {
  if (call.method !== method) {
    throw new AwsServiceError('UnknownOperationException', `${call.operation} takes ${method}, not ${call.method}.`);
  }
}

function errorNameOf(reply: HttpReply): string | undefined {
  const header = reply.headers?.['x-amzn-ErrorType'];
  if (header) {
    return header.split(':')[0];
  }
  const xmlCode = /<Error>.*?<Code>([^<]+)<\/Code>/s.exec(reply.rawBody ?? '');
  if (xmlCode) {
    return xmlCode[1];
  }
  const body = reply.body as { __type?: unknown } | undefined;
  return typeof body?.__type === 'string' ? body.__type : undefined;
}

function send(response: http.ServerResponse, service: AwsService, reply: HttpReply): void {
  const body = reply.rawBody ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
  response.writeHead(reply.status, {
    'content-type': contentTypeOf(service),
    'content-length': String(Buffer.byteLength(body)),
    'x-amzn-RequestId': randomUUID(),
    ...reply.headers,
  });
  response.end(body);
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
