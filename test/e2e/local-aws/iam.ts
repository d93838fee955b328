/**
 * Evaluation of identity-based IAM policy statements, enough to check the refresher's calls
 * against the policy that the construct synthesizes.
 */
import { AwsServiceError } from './protocol';

/** A policy statement as it appears in a synthesized template, with references resolved. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** A statement of a role's trust policy, with references resolved. */
export interface TrustStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  /** `"*"`, or principals by type, such as `{ AWS: roleArn }` or `{ Service: 'lambda.amazonaws.com' }`. */
  readonly Principal: '*' | Record<string, string | string[]>;
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** One authorization request: an action on a resource with its condition keys. */
export interface AuthorizationRequest {
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request, such as `aws:TagKeys`; keys are case-insensitive in IAM. */
  readonly context: Record<string, string | string[]>;
}

/**
 * Decides a request the way IAM does for one principal without boundaries or SCPs: an
 * explicit Deny wins, then any Allow, else the request is implicitly denied.
 *
 * Supports the condition operators `StringEquals`, `StringLike` and `ForAllValues:StringEquals`,
 * and throws on any other, so that a policy this evaluator cannot judge fails the test instead
 * of passing silently.
 */
export function isAllowed(statements: readonly PolicyStatement[], request: AuthorizationRequest): boolean {
  const matching = statements.filter((statement) => statementMatches(statement, request));
  if (matching.some((statement) => statement.Effect === 'Deny')) {
    return false;
  }
  return matching.some((statement) => statement.Effect === 'Allow');
}

function statementMatches(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  const actionMatches = asList(statement.Action).some((pattern) => wildcardMatch(pattern, request.action, true));
  const resourceMatches = asList(statement.Resource).some((pattern) => wildcardMatch(pattern, request.resource, false));
  return actionMatches && resourceMatches && conditionsMatch(statement.Condition ?? {}, request.context);
}

function conditionsMatch(
  conditions: Record<string, Record<string, string | string[]>>,
  context: Record<string, string | string[]>,
): boolean {
  const lowerCaseContext = new Map(Object.entries(context).map(([key, value]) => [key.toLowerCase(), asList(value)]));
  return Object.entries(conditions).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      const actual = lowerCaseContext.get(key.toLowerCase());
      const allowedValues = asList(expected);
      switch (operator) {
        case 'StringEquals':
          return actual !== undefined && actual.length > 0 && actual.every((value) => allowedValues.includes(value));
        case 'StringLike':
          return (
            actual !== undefined &&
            actual.length > 0 &&
            actual.every((value) => allowedValues.some((pattern) => wildcardMatch(pattern, value, false)))
          );
        case 'ForAllValues:StringEquals':
          // A missing key matches, as in IAM: every one of zero values is allowed.
          return (actual ?? []).every((value) => allowedValues.includes(value));
        default:
          throw new Error(`Unsupported IAM condition operator ${operator}; extend the local IAM evaluator.`);
      }
    }),
  );
}

function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .split('')
    .map((character) => {
      if (character === '*') {
        return '.*';
      }
      if (character === '?') {
        return '.';
      }
      return character.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

function asList(value: string | string[]): string[] {
  return Array.isArray(value) ? value : [value];
}

/** A caller of the local endpoints, identified by the access key id in its SigV4 credential scope. */
export interface Principal {
  readonly accessKeyId: string;
  readonly account: string;
  /** ARN that AccessDenied messages name, such as an assumed-role session ARN. */
  readonly arn: string;
  /** Identity-based policy; every request is allowed when it is undefined. */
  readonly statements?: readonly PolicyStatement[];
  /** ARN of the IAM role whose session this is, which trust policies name. @default - not a role session */
  readonly roleArn?: string;
  /**
   * Session token that requests with this access key must carry in `X-Amz-Security-Token`.
   *
   * @default - any session token is accepted
   */
  readonly sessionToken?: string;
}

/**
 * Decides whether a role's trust policy lets a caller run an STS action on the role. An
 * explicit Deny wins. Otherwise an Allow must name the caller's role ARN, its account
 * (`arn:aws:iam::ACCOUNT:root` or the bare id) or `"*"` as `AWS` principal. Statements for
 * service or federated principals never match, and conditions see no request context.
 */
export function trustPolicyAllows(
  statements: readonly TrustStatement[],
  caller: { readonly roleArn: string; readonly account: string },
  action: string,
): boolean {
  const callerNames = [caller.roleArn, `arn:aws:iam::${caller.account}:root`, caller.account, '*'];
  const matching = statements.filter((statement) => {
    const actionMatches = asList(statement.Action).some((pattern) => wildcardMatch(pattern, action, true));
    const principals = statement.Principal === '*' ? ['*'] : asList(statement.Principal.AWS ?? []);
    const principalMatches = principals.some((principal) => callerNames.includes(principal));
    return actionMatches && principalMatches && conditionsMatch(statement.Condition ?? {}, {});
  });
  if (matching.some((statement) => statement.Effect === 'Deny')) {
    return false;
  }
  return matching.some((statement) => statement.Effect === 'Allow');
}

/**
 * Throws the AccessDeniedException that AWS returns when no identity-based policy of the
 * principal allows the request.
 */
export function authorize(principal: Principal, request: AuthorizationRequest): void {
  if (principal.statements === undefined || isAllowed(principal.statements, request)) {
    return;
  }
  throw new AwsServiceError(
    'AccessDeniedException',
    `User: ${principal.arn} is not authorized to perform: ${request.action} on resource: ${request.resource} ` +
      `because no identity-based policy allows the ${request.action} action`,
  );
}

/**
 * Returns a policy edit that removes the statement with this Sid, for tests that take one
 * permission away. Throws when the policy has no such statement, so a renamed Sid fails loudly.
 */
export function withoutStatement(sid: string): (statements: PolicyStatement[]) => PolicyStatement[] {
  return (statements) => {
    const remaining = statements.filter((statement) => statement.Sid !== sid);
    if (remaining.length === statements.length) {
      throw new Error(`The policy has no statement ${sid}.`);
    }
    return remaining;
  };
}
