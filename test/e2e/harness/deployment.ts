import { randomBytes } from 'crypto';
import type { PolicyStatement, TrustStatement } from '../local-aws/iam';

/** Account of the fake deployment: the stack, the function and the secret live here. */
export const FAKE_ACCOUNT = '111122223333';
export const FAKE_REGION = 'eu-west-1';

/** A CloudFormation template as the CDK synthesizes it. */
export interface Template {
  readonly Parameters?: Record<string, unknown>;
  readonly Resources: Record<string, TemplateResource>;
}

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** Values that CloudFormation would give the references of a template. */
export interface DeploymentValues {
  readonly stackName: string;
  /** Full ARN of the secret, as the local Secrets Manager created it. */
  readonly secretArn: string;
  /** Values of the template's parameters. */
  readonly parameters?: Record<string, string>;
}

/** An IAM role of the template, with its policies. */
export interface DeployedRole {
  readonly logicalId: string;
  readonly arn: string;
  /** Statements of the role's `AssumeRolePolicyDocument`. */
  readonly trustStatements: TrustStatement[];
  /** Statements of every `AWS::IAM::Policy` attached to the role. */
  readonly policyStatements: PolicyStatement[];
}

/** The refresher of one stack, with every CloudFormation reference replaced by a concrete value. */
export interface Deployment {
  readonly stackName: string;
  readonly stackId: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly roleArn: string;
  /** `Environment.Variables` of the function. */
  readonly environment: Record<string, string>;
  /** `Handler` of the function, such as `index.handler`. */
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly logFormat: string;
  readonly applicationLogLevel: string;
  /** Statements of every policy attached to the function's role. */
  readonly policyStatements: PolicyStatement[];
  /** Every IAM role of the template, the function's role included. */
  readonly roles: DeployedRole[];
  /** ARN of the role that mints the token, from the function's environment. @default - the function's role mints it */
  readonly mintingRoleArn?: string;
  readonly customResource: { readonly logicalId: string; readonly type: string; readonly properties: Record<string, unknown> };
  /** Namespace, name and dimensions of the metric that the expiry alarm watches. */
  readonly expiryAlarmMetric: {
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Record<string, string>;
  };
}

/**
 * Reads the refresher function, its role's policies, its custom resource and its expiry alarm
 * from a template, and resolves their references as CloudFormation would in the fake account.
 */
export function simulateDeployment(template: Template, values: DeploymentValues): Deployment {
  const resolver = new ReferenceResolver(template, values);
  const [functionId, functionResource] = onlyResource(template, 'AWS::Lambda::Function');
  const properties = functionResource.Properties ?? {};
  const variables = (properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    environment[name] = resolver.resolveString(value);
  }
  const loggingConfig = (properties.LoggingConfig ?? {}) as Record<string, unknown>;

  const roleId = (properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const policyStatementsOf = (logicalId: string): PolicyStatement[] =>
    Object.values(template.Resources)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy')
      .filter((resource) => ((resource.Properties?.Roles ?? []) as Array<{ Ref?: string }>).some((role) => role.Ref === logicalId))
      .flatMap((resource) => (resource.Properties?.PolicyDocument as { Statement: unknown[] }).Statement)
      .map((statement) => resolver.resolve(statement) as PolicyStatement);
  const roles = Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
    .map(([logicalId, resource]): DeployedRole => ({
      logicalId,
      arn: resolver.resolveString({ 'Fn::GetAtt': [logicalId, 'Arn'] }),
      trustStatements: (resource.Properties?.AssumeRolePolicyDocument as { Statement: unknown[] }).Statement.map(
        (statement) => resolver.resolve(statement) as TrustStatement,
      ),
      policyStatements: policyStatementsOf(logicalId),
    }));

  const [customResourceId, customResource] = onlyResource(template, 'Custom::CodeArtifactTokenRefresh');

  const [, alarm] = onlyResource(template, 'AWS::CloudWatch::Alarm', (resource) =>
    resource.Properties?.MetricName === 'TokenRemainingValidity',
  );
  const alarmProperties = alarm.Properties ?? {};
  const dimensions: Record<string, string> = {};
  for (const dimension of alarmProperties.Dimensions as Array<{ Name: string; Value: unknown }>) {
    dimensions[dimension.Name] = resolver.resolveString(dimension.Value);
  }

  return {
    stackName: values.stackName,
    stackId: resolver.stackId,
    functionName: resolver.resolveString({ Ref: functionId }),
    functionArn: resolver.resolveString({ 'Fn::GetAtt': [functionId, 'Arn'] }),
    roleArn: resolver.resolveString({ 'Fn::GetAtt': [roleId, 'Arn'] }),
    environment,
    handler: String(properties.Handler),
    timeoutSeconds: Number(properties.Timeout ?? 3),
    memorySize: Number(properties.MemorySize ?? 128),
    logFormat: String(loggingConfig.LogFormat ?? 'Text'),
    applicationLogLevel: String(loggingConfig.ApplicationLogLevel ?? 'INFO'),
    policyStatements: policyStatementsOf(roleId),
    roles,
    mintingRoleArn: environment.CODEARTIFACT_MINTING_ROLE_ARN,
    customResource: {
      logicalId: customResourceId,
      type: customResource.Type,
      properties: resolver.resolve(customResource.Properties ?? {}) as Record<string, unknown>,
    },
    expiryAlarmMetric: {
      namespace: String(alarmProperties.Namespace),
      metricName: String(alarmProperties.MetricName),
      dimensions,
    },
  };
}

function onlyResource(
  template: Template,
  type: string,
  filter: (resource: TemplateResource) => boolean = () => true,
): [string, TemplateResource] {
  const found = Object.entries(template.Resources).filter(([, resource]) => resource.Type === type && filter(resource));
  if (found.length !== 1) {
    throw new Error(`Expected one ${type} in the template, found ${found.length}.`);
  }
  return found[0];
}

/**
 * Resolves `Ref`, `Fn::GetAtt`, `Fn::Join` and `Fn::Sub` for the resource types of the
 * construct, and throws on anything else, so that a new kind of reference fails loudly.
 */
class ReferenceResolver {
  public readonly stackId: string;
  private readonly pseudoParameters: Record<string, string>;

  constructor(
    private readonly template: Template,
    private readonly values: DeploymentValues,
  ) {
    this.stackId = `arn:aws:cloudformation:${FAKE_REGION}:${FAKE_ACCOUNT}:stack/${values.stackName}/${randomBytes(16).toString('hex')}`;
    this.pseudoParameters = {
      'AWS::AccountId': FAKE_ACCOUNT,
      'AWS::Region': FAKE_REGION,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': values.stackName,
      'AWS::StackId': this.stackId,
    };
  }

  public resolveString(value: unknown): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string') {
      throw new Error(`Expected a string, got ${JSON.stringify(resolved)}.`);
    }
    return resolved;
  }

  public resolve(value: unknown): unknown {
    if (Array.isArray(value)) {
      return value.map((item) => this.resolve(item));
    }
    if (typeof value !== 'object' || value === null) {
      return value;
    }
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [key, argument] = entries[0];
      switch (key) {
        case 'Ref':
          return this.ref(String(argument));
        case 'Fn::GetAtt': {
          const [logicalId, attribute] = argument as [string, string];
          return this.attribute(logicalId, attribute);
        }
        case 'Fn::Join': {
          const [separator, parts] = argument as [string, unknown[]];
          return parts.map((part) => this.resolveString(part)).join(separator);
        }
        case 'Fn::Sub':
          return String(argument).replace(/\$\{([^}]+)\}/g, (_, name: string) =>
            name.includes('.') ? this.attribute(name.split('.')[0], name.split('.')[1]) : this.ref(name),
          );
      }
      if (key.startsWith('Fn::')) {
        throw new Error(`Unsupported intrinsic function ${key}.`);
      }
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item)]));
  }

  private ref(name: string): string {
    if (name in this.pseudoParameters) {
      return this.pseudoParameters[name];
    }
    if (this.template.Parameters && name in this.template.Parameters) {
      const parameter = this.values.parameters?.[name];
      if (parameter === undefined) {
        throw new Error(`No value for template parameter ${name}.`);
      }
      return parameter;
    }
    const type = this.resourceType(name);
    switch (type) {
      case 'AWS::SecretsManager::Secret':
        return this.values.secretArn;
      case 'AWS::Lambda::Function':
      case 'AWS::IAM::Role':
      case 'AWS::Logs::LogGroup':
        return `${this.values.stackName}-${name}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${FAKE_REGION}.amazonaws.com/${FAKE_ACCOUNT}/${this.values.stackName}-${name}`;
      default:
        throw new Error(`Unsupported Ref to ${name} of type ${type}.`);
    }
  }

  private attribute(logicalId: string, attribute: string): string {
    const type = this.resourceType(logicalId);
    const name = `${this.values.stackName}-${logicalId}`;
    if (attribute !== 'Arn') {
      throw new Error(`Unsupported attribute ${attribute} of ${logicalId}.`);
    }
    switch (type) {
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${FAKE_REGION}:${FAKE_ACCOUNT}:function:${name}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${FAKE_ACCOUNT}:role/${name}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${FAKE_REGION}:${FAKE_ACCOUNT}:${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${FAKE_REGION}:${FAKE_ACCOUNT}:log-group:${name}:*`;
      default:
        throw new Error(`Unsupported Fn::GetAtt of ${logicalId} of type ${type}.`);
    }
  }

  private resourceType(logicalId: string): string {
    const resource = this.template.Resources[logicalId];
    if (!resource) {
      throw new Error(`The template has no resource ${logicalId}.`);
    }
    return resource.Type;
  }
}
