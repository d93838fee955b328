import { randomBytes } from 'crypto';
import { authorize, PolicyStatement, Principal, TrustStatement, trustPolicyAllows } from './iam';
import { AwsServiceError, escapeXml, HttpReply, STS_XML_NAMESPACE } from './protocol';

/** The only API version of STS, sent as `Version` in every query request. */
export const STS_API_VERSION = '2011-06-15';

const MIN_SESSION_SECONDS = 900;
const MAX_SESSION_SECONDS = 43200;
/** Session length when AssumeRole omits `DurationSeconds`, and the default `MaxSessionDuration` of a role. */
const DEFAULT_SESSION_SECONDS = 3600;
/** Maximum session of a role assumed with the credentials of another role session ("role chaining"). */
const ROLE_CHAINING_MAX_SECONDS = 3600;
/** `RoleSessionName` constraint of the STS API. */
const ROLE_SESSION_NAME_PATTERN = /^[\w+=,.@-]{2,64}$/;
const ROLE_ARN_PATTERN = /^arn:aws:iam::([0-9]{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;

/** An IAM role that AssumeRole can issue credentials for. */
export interface RoleSettings {
  readonly arn: string;
  /** Statements of the role's trust policy (`AssumeRolePolicyDocument`). */
  readonly trustStatements: readonly TrustStatement[];
  /** Statements of every identity-based policy attached to the role. */
  readonly statements: readonly PolicyStatement[];
  /** `MaxSessionDuration` of the role, in seconds. @default 3600 */
  readonly maxSessionSeconds?: number;
}

/** Temporary credentials that AssumeRole issued. */
export interface IssuedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Milliseconds since the epoch, whole seconds. */
  readonly expiration: number;
  readonly roleArn: string;
  readonly sessionName: string;
  /** Access key id of the caller that assumed the role. */
  readonly callerAccessKeyId: string;
}

/**
 * STS's AssumeRole with IAM's checks: the caller's identity-based policy must allow
 * `sts:AssumeRole` on the role, and the role's trust policy must name the caller. Requests
 * signed with the issued access key then act as the role, with the role's policies.
 */
export class LocalSts {
  /** Every set of credentials issued, in order, so that tests can look for them in output. */
  public readonly issuedCredentials: IssuedCredentials[] = [];
  private readonly roles = new Map<string, RoleSettings>();

  constructor(private readonly addPrincipal: (principal: Principal) => void) {}

  public addRole(role: RoleSettings): void {
    this.roles.set(role.arn, role);
  }

  /** `POST /` with the form `Action=AssumeRole&Version=2011-06-15&RoleArn=…&RoleSessionName=…&DurationSeconds=…` */
  public assumeRole(principal: Principal, input: Record<string, string>, now: number): HttpReply {
    checkVersion(input, 'AssumeRole');
    const roleArn = requiredParameter(input, 'RoleArn');
    if (roleArn.length < 20 || roleArn.length > 2048) {
      throw validationError(roleArn, 'roleArn', 'Member must have length between 20 and 2048');
    }
    const sessionName = requiredParameter(input, 'RoleSessionName');
    if (!ROLE_SESSION_NAME_PATTERN.test(sessionName)) {
      throw validationError(sessionName, 'roleSessionName', `Member must satisfy regular expression pattern: ${ROLE_SESSION_NAME_PATTERN.source}`);
    }
    const durationText = input.DurationSeconds;
    const durationSeconds = durationText === undefined ? DEFAULT_SESSION_SECONDS : Number(durationText);
    if (!Number.isInteger(durationSeconds) || durationSeconds < MIN_SESSION_SECONDS || durationSeconds > MAX_SESSION_SECONDS) {
      throw validationError(
        durationText ?? '',
        'durationSeconds',
        `Member must have value between ${MIN_SESSION_SECONDS} and ${MAX_SESSION_SECONDS}`,
      );
    }

    // NOTE: both policies must allow, as IAM requires across accounts. Within one account IAM
    // may also accept a trust policy that names the caller's role alone, so this check is stricter.
    authorize(principal, { action: 'sts:AssumeRole', resource: roleArn, context: {} });
    const role = this.roles.get(roleArn);
    const callerName = principal.roleArn ?? principal.arn;
    if (!role || !trustPolicyAllows(role.trustStatements, { roleArn: callerName, account: principal.account }, 'sts:AssumeRole')) {
      throw new AwsServiceError(
        'AccessDenied',
        `User: ${principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      );
    }
    const chained = principal.roleArn !== undefined;
    const maxSeconds = chained ? ROLE_CHAINING_MAX_SECONDS : (role.maxSessionSeconds ?? DEFAULT_SESSION_SECONDS);
    if (durationSeconds > maxSeconds) {
      throw new AwsServiceError(
        'ValidationError',
        chained
          ? 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.'
          : 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      );
    }

    const [, account, roleName] = ROLE_ARN_PATTERN.exec(roleArn) ?? [];
    if (account === undefined) {
      throw new AwsServiceError('ValidationError', `${roleArn} is invalid`);
    }
    const issued: IssuedCredentials = {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(96).toString('base64'),
      expiration: Math.floor(now / 1000) * 1000 + durationSeconds * 1000,
      roleArn,
      sessionName,
      callerAccessKeyId: principal.accessKeyId,
    };
    this.issuedCredentials.push(issued);
    const sessionArn = `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`;
    this.addPrincipal({
      accessKeyId: issued.accessKeyId,
      account,
      arn: sessionArn,
      statements: role.statements,
      roleArn,
      sessionToken: issued.sessionToken,
    });

    const roleId = `AROA${randomBytes(8).toString('hex').toUpperCase()}`;
    return {
      status: 200,
      rawBody:
        `<AssumeRoleResponse xmlns="${STS_XML_NAMESPACE}"><AssumeRoleResult>` +
        `<AssumedRoleUser><Arn>${escapeXml(sessionArn)}</Arn><AssumedRoleId>${roleId}:${escapeXml(sessionName)}</AssumedRoleId></AssumedRoleUser>` +
        '<Credentials>' +
        `<AccessKeyId>${issued.accessKeyId}</AccessKeyId>` +
        `<SecretAccessKey>${escapeXml(issued.secretAccessKey)}</SecretAccessKey>` +
        `<SessionToken>${escapeXml(issued.sessionToken)}</SessionToken>` +
        `<Expiration>${new Date(issued.expiration).toISOString().replace(/\.[0-9]{3}Z$/, 'Z')}</Expiration>` +
        '</Credentials>' +
        `</AssumeRoleResult><ResponseMetadata><RequestId>${randomBytes(16).toString('hex')}</RequestId></ResponseMetadata>` +
        '</AssumeRoleResponse>',
    };
  }
}

/**
 * Rejects a request for another API version.
 * NOTE: the error code and message for a wrong version are assumed, not taken from AWS documentation.
 */
function checkVersion(input: Record<string, string>, action: string): void {
  if (input.Version !== STS_API_VERSION) {
    throw new AwsServiceError('InvalidAction', `Could not find operation ${action} for version ${input.Version ?? 'NO_VERSION_SPECIFIED'}`);
  }
}

function requiredParameter(input: Record<string, string>, name: string): string {
  const value = input[name];
  if (value === undefined || value === '') {
    throw validationError('null', name.charAt(0).toLowerCase() + name.slice(1), 'Member must not be null');
  }
  return value;
}

/** Builds the model-validation error of STS, in the usual wording of AWS services. */
function validationError(value: string, member: string, constraint: string): AwsServiceError {
  return new AwsServiceError(
    'ValidationError',
    `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}
