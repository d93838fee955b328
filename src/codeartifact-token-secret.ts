import * as path from 'path';
import {
  Annotations,
  ArnFormat,
  CustomResource,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  Token,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IDependable } from 'constructs';
import { acknowledgeFinding } from './internal/acknowledge';
import { secretKeys } from './internal/fields';
import {
  HandlerEnvironment,
  METRIC_NAMESPACE,
  PLACEHOLDER_SECRET_VALUE,
  REMAINING_VALIDITY_METRIC,
  SECRET_ARN_DIMENSION,
  SERVICE_NAME,
} from './internal/handler-environment';
import { mintingStatements, secretWriteStatements } from './permissions';
import { EndpointType, TokenRepository } from './repositories';
import { SecretField } from './secret-fields';
import { COMFORTABLE_MARGIN, resolveProps } from './validation';

/** Prefix of the ids of this library's warnings, for `Annotations.acknowledgeWarning`. */
const WARNING_PREFIX = 'cdk-codeartifact-token-secret';


/** Path of the prebuilt handler bundle, one level above both `src/` and `lib/`. */
const HANDLER_BUNDLE_DIR = path.join(__dirname, '..', 'assets', 'lambda', 'refresh-token', 'index');

/**
 * Properties of a `CodeArtifactTokenSecret`.
 */
export interface CodeArtifactTokenSecretProps {
  /**
   * Name of the CodeArtifact domain.
   *
   * 2 to 50 characters: a lowercase letter, then lowercase letters, digits or hyphens, ending
   * with a letter or digit. The function checks a CloudFormation reference, such as the
   * `attrName` of a `CfnDomain` in the same stack, when it runs. Referencing the domain that way
   * also makes the first refresh wait until the domain exists.
   *
   * @see https://docs.aws.amazon.com/codeartifact/latest/APIReference/API_GetAuthorizationToken.html
   */
  readonly domain: string;

  /**
   * 12-digit id of the AWS account that owns the domain.
   *
   * It is sent with every request and names the account in the domain ARN of the IAM policy.
   * For a domain in another account, that account's domain policy must also allow the
   * role that mints the token (the function's role, or the minting role) to call
   * `codeartifact:GetAuthorizationToken`.
   *
   * @default - the account of the stack
   */
  readonly domainOwner?: string;

  /**
   * AWS Region of the domain.
   *
   * The function calls CodeArtifact in this Region, because a token is valid only in the
   * Region that issued it, and the IAM policy names it in the domain and repository ARNs.
   * Consumers must use the token with repository endpoints of this Region.
   *
   * @default - the Region of the stack
   */
  readonly domainRegion?: string;

  /**
   * Lifetime of each token, sent as `durationSeconds`.
   *
   * Either 0, or whole seconds from 20 minutes to 12 hours: the API accepts 15 minutes, but the
   * shortest refresh interval plus a 5-minute margin needs 20. With 0 the token expires together
   * with the function's temporary credentials, which the function does not control, so 0
   * also requires an explicit `refreshInterval`.
   *
   * @default Duration.hours(12)
   */
  readonly tokenLifetime?: Duration;

  /**
   * Time between two refreshes.
   *
   * Whole minutes from 15 minutes to 12 hours, and at least 5 minutes shorter than
   * `tokenLifetime` because a scheduled run can start late. The minimum exists because every
   * refresh adds a secret version, and Secrets Manager keeps those younger than 24 hours up to a
   * quota of about 100. A token read at any moment then has at least
   * `tokenLifetime - refreshInterval` left. The construct warns when that margin is under an
   * hour.
   *
   * @default - hourly, or half the token lifetime in whole minutes (at least 15 minutes) for a
   * token that lives less than two hours
   */
  readonly refreshInterval?: Duration;

  /**
   * Repositories of the domain that consumers use with the token.
   *
   * A token acts with the permissions of the role that minted it, so that role is allowed
   * `codeartifact:ReadFromRepository` on these repositories, and the publish actions too when
   * `allowPublish` is true. For each repository with a `format`, the secret also stores
   * ready-made package manager settings (see `RepositoryField`), and the role is allowed
   * `codeartifact:GetRepositoryEndpoint` on it.
   *
   * @default - every repository of the domain, without ready-made settings
   */
  readonly repositories?: TokenRepository[];

  /**
   * Whether consumers may publish packages with the token.
   *
   * Allows `codeartifact:PublishPackageVersion` and `codeartifact:PutPackageMetadata` on the
   * repositories of `repositories` to the role that mints the token.
   *
   * @default false
   */
  readonly allowPublish?: boolean;

  /**
   * Kind of repository endpoint in the ready-made settings.
   *
   * @default EndpointType.IPV4
   */
  readonly endpointType?: EndpointType;

  /**
   * Role that mints the token instead of the function's own role.
   *
   * The function assumes it for each refresh, so the token carries exactly this role's
   * permissions and the function's role has none of CodeArtifact's. The construct attaches
   * the permissions the props imply to this role (unless it was imported as immutable) and,
   * for a `Role` of this app, lets the function's role assume it. An imported role must
   * already trust the function's role and hold those permissions.
   *
   * @default - the function's own role mints the token, unless `createMintingRole` is true
   */
  readonly mintingRole?: iam.IRole;

  /**
   * Whether to create a dedicated role that mints the token, with exactly the permissions the
   * props imply and trusted only by the function's role.
   *
   * @default false
   */
  readonly createMintingRole?: boolean;

  /**
   * Name of the role that `createMintingRole` creates.
   *
   * Give one when another account's domain and repository policies must name the role, since a
   * generated name changes whenever the role is replaced.
   *
   * @default - a name generated by CloudFormation
   */
  readonly mintingRoleName?: string;

  /**
   * Customer-managed KMS key that encrypts the secret.
   *
   * The function may only generate data keys for this secret through Secrets Manager;
   * `grantRead` and the ECS helpers give readers `kms:Decrypt` the same way. The key policy
   * must let IAM policies of this account use the key, as the default policy of `kms.Key` does.
   *
   * @default - the AWS managed key `aws/secretsmanager`
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Name of the secret.
   *
   * Deleting the stack keeps a fixed name reserved for the secret's recovery window (7 to 30
   * days), during which a new stack cannot create a secret with the same name, so the
   * construct warns when a name is given.
   *
   * @default - a name generated by CloudFormation
   */
  readonly secretName?: string;

  /**
   * Regions that receive a read-only replica of the secret, for consumers there.
   *
   * Secrets Manager copies every new version to the replicas. A replica encrypted with a
   * customer-managed key needs a key in its own Region.
   *
   * @default - no replicas
   * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/create-manage-multi-region-secrets.html
   */
  readonly replicaRegions?: secretsmanager.ReplicaRegion[];

  /**
   * How long the function's log events are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Remaining validity of the stored token below which the expiry alarm fires.
   *
   * Must be shorter than `tokenLifetime`, because a fresh token would alarm otherwise.
   *
   * @default - a quarter of `tokenLifetime`, or 15 minutes when `tokenLifetime` is 0
   */
  readonly expiryAlarmThreshold?: Duration;
}

/**
 * Keeps a fresh AWS CodeArtifact authorization token in an AWS Secrets Manager secret.
 *
 * A Lambda function mints a token with `GetAuthorizationToken`, stores it with its expiration
 * as JSON in the secret (keys in `SecretField`), then tags the secret with the expiration
 * (`SecretTag.EXPIRATION`). EventBridge Scheduler runs it every `refreshInterval`, and a
 * custom resource runs it once during deployment, so the secret contains a token before any
 * consumer in the stack starts and a wrong setup fails the deployment with the AWS error.
 * Two alarms watch it: one for failed refreshes, one for a stored token close to expiry.
 */
export class CodeArtifactTokenSecret extends Construct {
  /** The secret that contains the token. Its value is JSON with the keys of `SecretField`. */
  public readonly secret: secretsmanager.ISecret;

  /** The function that refreshes the token. */
  public readonly refreshFunction: lambda.IFunction;

  /** The schedule that runs the function every `refreshInterval`. */
  public readonly schedule: scheduler.ISchedule;

  /** Queue that keeps scheduled runs that could not be delivered or failed after retries. */
  public readonly deadLetterQueue: sqs.IQueue;

  /**
   * The first refresh, run during deployment. Resources that read the secret when they start
   * should depend on it; `addToContainer` adds that dependency for ECS.
   */
  public readonly initialRefresh: IDependable;

  /** Alarm when a refresh fails or a scheduled run ends in the dead-letter queue. */
  public readonly refreshFailureAlarm: cloudwatch.Alarm;

  /**
   * Alarm when the stored token's remaining validity drops below `expiryAlarmThreshold`, or
   * when the function published no remaining validity for two refresh intervals.
   */
  public readonly expiryAlarm: cloudwatch.Alarm;

  /** ARN of the domain that the token is for. */
  public readonly domainArn: string;

  /** The role that mints the token, when it is not the function's own role. */
  public readonly mintingRole?: iam.IRole;

  /** JSON keys of the secret value, to catch a misspelled field at synth. */
  private readonly secretKeys: string[];

  constructor(scope: Construct, id: string, props: CodeArtifactTokenSecretProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // Resolve defaults and check every prop before creating anything.
    const { tokenLifetime, lifetimeSeconds, refreshInterval, expiryAlarmThreshold } = resolveProps(props, stack.region);
    const domainOwner = props.domainOwner ?? stack.account;
    const domainRegion = props.domainRegion ?? stack.region;
    this.secretKeys = secretKeys(props.repositories);
    this.warnAboutRiskySettings(props, refreshInterval, lifetimeSeconds);

    this.domainArn = stack.formatArn({
      service: 'codeartifact',
      account: domainOwner,
      region: domainRegion,
      resource: 'domain',
      resourceName: props.domain,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });

    // The secret starts with a placeholder that no package manager accepts as a token.
    const secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: props.secretName,
      description: `CodeArtifact authorization token for domain ${props.domain}, refreshed every ${refreshInterval.toHumanString()}`,
      encryptionKey: props.encryptionKey,
      replicaRegions: props.replicaRegions,
      secretStringValue: SecretValue.unsafePlainText(PLACEHOLDER_SECRET_VALUE),
    });
    this.secret = secret;

    // The refresher runs the prebuilt bundle shipped in this package.
    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
    });
    this.deadLetterQueue = deadLetterQueue;
    // The function's own role may only write to its log group; no managed policy.
    const functionRole = new iam.Role(this, 'FunctionRole', {
      description: `Refreshes the CodeArtifact token of domain ${props.domain}`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    logGroup.grant(functionRole, 'logs:CreateLogStream', 'logs:PutLogEvents');
    const refreshFunction = new lambda.Function(this, 'Function', {
      role: functionRole,
      description: `Refreshes the CodeArtifact token of domain ${props.domain} in a Secrets Manager secret`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(HANDLER_BUNDLE_DIR),
      memorySize: 256,
      timeout: Duration.minutes(1),
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      logGroup,
      environment: {
        [HandlerEnvironment.DOMAIN]: props.domain,
        [HandlerEnvironment.DOMAIN_OWNER]: domainOwner,
        [HandlerEnvironment.DOMAIN_REGION]: domainRegion,
        [HandlerEnvironment.DURATION_SECONDS]: tokenLifetime.toSeconds().toString(),
        [HandlerEnvironment.SECRET_ARN]: secret.secretArn,
        [HandlerEnvironment.REFRESH_INTERVAL_SECONDS]: refreshInterval.toSeconds().toString(),
        ...this.settingsEnvironment(props),
      },
      // A failed scheduled run goes to the queue and the next run tries again. Lambda's own
      // retries would mint and write a new version each time, even when only the tag failed.
      retryAttempts: 0,
      onFailure: new destinations.SqsDestination(deadLetterQueue),
    });
    this.refreshFunction = refreshFunction;

    // Permissions: write this secret only, and mint the token with the function's role or
    // with the minting role, which alone then has CodeArtifact's permissions.
    const minting = mintingStatements(stack, {
      domain: props.domain,
      domainArn: this.domainArn,
      domainOwner,
      domainRegion,
      repositories: props.repositories,
      allowPublish: props.allowPublish === true,
    });
    this.mintingRole = this.setUpMintingRole(props, functionRole, refreshFunction);
    const writeSecret = secretWriteStatements(stack, secret, props.encryptionKey);
    const policy = new iam.Policy(this, 'RefreshPolicy', {
      statements: this.mintingRole
        ? [
          ...writeSecret,
          new iam.PolicyStatement({
            sid: 'AssumeMintingRole',
            actions: ['sts:AssumeRole'],
            resources: [this.mintingRole.roleArn],
          }),
        ]
        : [...minting, ...writeSecret],
    });
    policy.attachToRole(functionRole);
    // A minting role imported as immutable keeps its policies; adding statements does nothing.
    const mintingRole = this.mintingRole;
    const mintingPolicies = (mintingRole ? minting.map((statement) => mintingRole.addToPrincipalPolicy(statement)) : [])
      .map((result) => result.policyDependable)
      .filter((dependable): dependable is IDependable => dependable !== undefined);

    // The schedule gets a role of its own, trusted only by this account's schedules.
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      description: `Invokes the CodeArtifact token refresher of domain ${props.domain}`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Refreshes the CodeArtifact token of domain ${props.domain}`,
      schedule: scheduler.ScheduleExpression.rate(refreshInterval),
      target: new targets.LambdaInvoke(refreshFunction, {
        input: scheduler.ScheduleTargetInput.fromObject({ source: 'cdk-codeartifact-token-secret.schedule' }),
        role: scheduleRole,
        deadLetterQueue,
        retryAttempts: 5,
        maxEventAge: Duration.minutes(Math.min(refreshInterval.toMinutes(), 60)),
      }),
    });

    // The first refresh runs during deployment, after the secret and the permissions exist.
    // Properties carry the settings, so changing one runs the refresh again.
    const initialRefresh = new CustomResource(this, 'InitialRefresh', {
      serviceToken: refreshFunction.functionArn,
      resourceType: 'Custom::CodeArtifactTokenRefresh',
      serviceTimeout: Duration.minutes(5),
      properties: {
        Domain: props.domain,
        DomainOwner: domainOwner,
        DomainRegion: domainRegion,
        DurationSeconds: tokenLifetime.toSeconds().toString(),
        Repositories: (props.repositories ?? [{ repositoryName: '*' }]).map((repository) =>
          [repository.repositoryName, repository.format ?? ''].join(':'),
        ),
        AllowPublish: String(props.allowPublish === true),
        EndpointType: props.endpointType ?? EndpointType.IPV4,
        MintingRoleArn: this.mintingRole?.roleArn ?? '',
        // A replaced secret starts with the placeholder, so a new ARN runs the refresh again.
        SecretArn: secret.secretArn,
        EncryptionKeyArn: props.encryptionKey?.keyArn ?? '',
      },
    });
    initialRefresh.node.addDependency(policy, ...mintingPolicies);
    this.initialRefresh = initialRefresh;

    this.refreshFailureAlarm = this.createFailureAlarm(refreshFunction, deadLetterQueue);
    this.expiryAlarm = this.createExpiryAlarm(secret, refreshInterval, expiryAlarmThreshold);

    this.acknowledgeDesignFindings(secret, refreshFunction, policy, scheduleRole, logGroup, deadLetterQueue);
  }

  /**
   * Grants read access to the secret, and `kms:Decrypt` through Secrets Manager when a
   * customer-managed key encrypts it.
   *
   * A principal of another account gets a statement in the secret's resource policy, and in
   * the key policy of a customer-managed key in this stack. Other accounts cannot use the AWS
   * managed key `aws/secretsmanager`, so aws-cdk-lib rejects such a grant when the secret
   * has no `encryptionKey`.
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.secret.grantRead(grantee);
  }

  /**
   * Returns one field of the secret as an ECS container secret.
   *
   * It references the full secret ARN and the JSON key, without a version, so every new task
   * gets the current token. Adding it to a container grants the task execution role read
   * access. It does not make the task definition wait for the first refresh: use
   * `addToContainer`, or add `taskDefinition.node.defaultChild!.node.addDependency(token.initialRefresh)`.
   *
   * @param field JSON key of the secret value: a `SecretField` constant or a
   * `RepositoryField.key(...)`. Defaults to `SecretField.TOKEN`.
   */
  public ecsSecret(field?: string): ecs.Secret {
    return ecs.Secret.fromSecretsManager(this.secret, this.checkedField('ecsSecret', field));
  }

  /**
   * Hands one field of the secret to a container as a secret environment variable, and makes
   * the task definition wait for the first refresh.
   *
   * @param container the container that receives the variable
   * @param environmentVariable name of the variable, for example `CODEARTIFACT_AUTH_TOKEN`
   * @param field JSON key of the secret value: a `SecretField` constant or a
   * `RepositoryField.key(...)`. Defaults to `SecretField.TOKEN`.
   */
  public addToContainer(container: ecs.ContainerDefinition, environmentVariable: string, field?: string): void {
    container.addSecret(environmentVariable, this.ecsSecret(field));
    // Only the task definition resource waits. Its execution role must not, because a key
    // policy that names the role would close a cycle through the secret and the first refresh.
    container.taskDefinition.node.defaultChild!.node.addDependency(this.initialRefresh);
  }

  /**
   * Returns one field of the secret as a CodeBuild environment variable of type
   * `SECRETS_MANAGER`, referenced by the secret's full ARN and the JSON key.
   *
   * CodeBuild reads the secret with the project's role, so also call `grantRead(project)`.
   *
   * @param field JSON key of the secret value: a `SecretField` constant or a
   * `RepositoryField.key(...)`. Defaults to `SecretField.TOKEN`.
   */
  public codeBuildEnvironmentVariable(field?: string): codebuild.BuildEnvironmentVariable {
    return {
      type: codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER,
      value: `${this.secret.secretArn}:${this.checkedField('codeBuildEnvironmentVariable', field)}`,
    };
  }

  /**
   * Adds an action to both alarms, for example an SNS topic.
   */
  public addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    this.refreshFailureAlarm.addAlarmAction(...actions);
    this.expiryAlarm.addAlarmAction(...actions);
  }

  /**
   * Acknowledges the cdk-nag and cfn-guard findings that follow from this construct's design,
   * each with its reason. Findings that depend on the app's choices, such as alarm actions or
   * reading every repository of the domain, stay for the app to decide.
   */
  private acknowledgeDesignFindings(
    secret: secretsmanager.Secret,
    refreshFunction: lambda.Function,
    policy: iam.Policy,
    scheduleRole: iam.Role,
    logGroup: logs.LogGroup,
    deadLetterQueue: sqs.Queue,
  ): void {
    const stack = Stack.of(this);
    const bearerTokenReason =
      'sts:GetServiceBearerToken has no resource ARN, so IAM requires "*"; the statement is limited to ' +
      'sts:AWSServiceName = codeartifact.amazonaws.com.';
    acknowledgeFinding(policy, 'AwsSolutions-IAM5[Resource::*]', bearerTokenReason);
    if (this.mintingRole) {
      acknowledgeFinding(this.mintingRole, 'AwsSolutions-IAM5[Resource::*]', bearerTokenReason);
    }
    const functionLogicalId = stack.resolve((refreshFunction.node.defaultChild as lambda.CfnFunction).logicalId);
    acknowledgeFinding(
      scheduleRole,
      `AwsSolutions-IAM5[Resource::<${functionLogicalId}.Arn>:*]`,
      'The schedule may invoke only the refresher function and its versions.',
    );
    acknowledgeFinding(
      refreshFunction,
      'AwsSolutions-L1',
      'nodejs24.x is the Node.js LTS runtime that the bundled handler is built and tested for.',
    );
    acknowledgeFinding(
      refreshFunction,
      'cdk-validator-cfnguard::lambda_inside_vpc_check',
      'The refresher calls only AWS APIs; outside a VPC it needs no NAT gateway or interface endpoints.',
    );
    acknowledgeFinding(
      secret,
      'AwsSolutions-SMG4',
      'The schedule replaces the token every refresh interval; Secrets Manager rotation would add a second writer.',
    );
    for (const id of ['AwsSolutions-SQS3', 'cdk-validator-cfnguard::sqs_dlq_check']) {
      acknowledgeFinding(deadLetterQueue, id, 'This queue is the dead-letter queue of the refresh schedule.');
    }
    acknowledgeFinding(
      logGroup,
      'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
      'The refresher logs ids, expirations and AWS error names, never the token.',
    );
  }

  /** Returns the field, or the token's key by default, after checking that the secret contains it. */
  private checkedField(method: string, field: string | undefined): string {
    const key = field ?? SecretField.TOKEN;
    if (!Token.isUnresolved(key) && !this.secretKeys.includes(key)) {
      throw new Error(
        `Invalid field of ${method}: received ${JSON.stringify(key)}. Allowed: a key of this secret, one of ` +
          `${this.secretKeys.join(', ')}. Repository fields exist only for repositories with a format.`,
      );
    }
    return key;
  }

  private warnAboutRiskySettings(
    props: CodeArtifactTokenSecretProps,
    refreshInterval: Duration,
    lifetimeSeconds: number | undefined,
  ): void {
    const warnings = Annotations.of(this);
    if (lifetimeSeconds === 0) {
      warnings.addWarningV2(
        `${WARNING_PREFIX}:tokenLifetimeZero`,
        'tokenLifetime is 0: each token expires with the refresher function\'s temporary credentials, which can be ' +
          'sooner than the next refresh. Prefer a lifetime from 15 minutes to 12 hours.',
      );
    }
    if (lifetimeSeconds !== undefined && lifetimeSeconds > 0) {
      const marginSeconds = lifetimeSeconds - refreshInterval.toSeconds();
      if (marginSeconds < COMFORTABLE_MARGIN.toSeconds()) {
        warnings.addWarningV2(
          `${WARNING_PREFIX}:smallRefreshMargin`,
          `A token read just before a refresh has only ${Duration.seconds(marginSeconds).toHumanString()} left ` +
            `(tokenLifetime ${Duration.seconds(lifetimeSeconds).toHumanString()}, refreshInterval ` +
            `${refreshInterval.toHumanString()}). One failed refresh can then expire tokens in use; keep a margin of ` +
            'an hour or more.',
        );
      }
    }
    if (props.allowPublish === true && props.repositories === undefined) {
      warnings.addWarningV2(
        `${WARNING_PREFIX}:publishToEveryRepository`,
        'allowPublish is true without repositories: the token may publish to every repository of the domain. ' +
          'List the repositories that builds publish to.',
      );
    }
    if (props.secretName !== undefined) {
      warnings.addWarningV2(
        `${WARNING_PREFIX}:fixedSecretName`,
        `secretName ${Token.isUnresolved(props.secretName) ? '(a CloudFormation reference)' : `"${props.secretName}"`} is fixed: after the stack is deleted, Secrets Manager keeps the name ` +
          'reserved for the recovery window (7 to 30 days) and creating the stack again fails. Leave secretName unset ' +
          'to get a generated name.',
      );
    }
  }

  /** Returns the variables that select ready-made settings and the minting role. */
  private settingsEnvironment(props: CodeArtifactTokenSecretProps): Record<string, string> {
    const withFormat = (props.repositories ?? []).filter((repository) => repository.format !== undefined);
    const environment: Record<string, string> = {};
    if (withFormat.length > 0) {
      environment[HandlerEnvironment.REPOSITORIES] = Stack.of(this).toJsonString(
        withFormat.map((repository) => ({ name: repository.repositoryName, format: repository.format })),
      );
      environment[HandlerEnvironment.ENDPOINT_TYPE] = props.endpointType ?? EndpointType.IPV4;
    }
    return environment;
  }

  /**
   * Returns the role that mints the token, if any, after letting the function's role assume
   * it. The function learns the role's ARN from its environment.
   */
  private setUpMintingRole(
    props: CodeArtifactTokenSecretProps,
    functionRole: iam.Role,
    refreshFunction: lambda.Function,
  ): iam.IRole | undefined {
    let mintingRole = props.mintingRole;
    if (props.createMintingRole) {
      mintingRole = new iam.Role(this, 'MintingRole', {
        roleName: props.mintingRoleName,
        description: `Mints CodeArtifact tokens for domain ${props.domain}`,
        assumedBy: new iam.ArnPrincipal(functionRole.roleArn),
      });
    } else if (mintingRole instanceof iam.Role) {
      mintingRole.assumeRolePolicy?.addStatements(
        new iam.PolicyStatement({
          actions: ['sts:AssumeRole'],
          principals: [new iam.ArnPrincipal(functionRole.roleArn)],
        }),
      );
    }
    if (mintingRole) {
      refreshFunction.addEnvironment(HandlerEnvironment.MINTING_ROLE_ARN, mintingRole.roleArn);
    }
    return mintingRole;
  }

  private createFailureAlarm(refreshFunction: lambda.Function, deadLetterQueue: sqs.Queue): cloudwatch.Alarm {
    const period = Duration.minutes(5);
    const failures = new cloudwatch.MathExpression({
      expression: 'FILL(errors, 0) + FILL(undelivered, 0)',
      label: 'Failed refreshes and undelivered runs',
      period,
      usingMetrics: {
        errors: refreshFunction.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
        undelivered: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
      },
    });
    return failures.createAlarm(this, 'RefreshFailureAlarm', {
      alarmDescription:
        'A CodeArtifact token refresh failed, or a scheduled run ended in the dead-letter queue. ' +
        `The refresher's log group names the AWS error. Secret: ${this.secret.secretArn}`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  private createExpiryAlarm(
    secret: secretsmanager.ISecret,
    refreshInterval: Duration,
    threshold: Duration,
  ): cloudwatch.Alarm {
    // One period per refresh interval, and two empty periods in a row count as breaching,
    // so a late run does not alarm but a refresher that stopped does.
    const remainingValidity = new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName: REMAINING_VALIDITY_METRIC,
      dimensionsMap: { [SECRET_ARN_DIMENSION]: secret.secretArn, service: SERVICE_NAME },
      statistic: cloudwatch.Stats.MINIMUM,
      period: refreshInterval,
      unit: cloudwatch.Unit.SECONDS,
    });
    return remainingValidity.createAlarm(this, 'ExpiryAlarm', {
      alarmDescription:
        `The stored CodeArtifact token has less than ${threshold.toHumanString()} left, or the refresher has not ` +
        `reported for two refresh intervals. Secret: ${secret.secretArn}`,
      threshold: threshold.toSeconds(),
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
  }
}
