import * as fs from 'fs';
import * as path from 'path';
import { Annotations as CdkAnnotations, App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as codeartifact from 'aws-cdk-lib/aws-codeartifact';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { packageSettings } from '../lambda/refresh-token/package-settings';
import {
  CodeArtifactTokenSecret,
  CodeArtifactTokenSecretProps,
  EndpointType,
  PackageFormat,
  RepositoryField,
  SecretField,
  SecretTag,
} from '../src';
import { secretKeys } from '../src/internal/fields';
import { HandlerEnvironment, PLACEHOLDER_SECRET_VALUE } from '../src/internal/handler-environment';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const BUNDLE = path.join(__dirname, '..', 'assets', 'lambda', 'refresh-token', 'index', 'index.js');

function stackWith(props: Partial<CodeArtifactTokenSecretProps> = {}) {
  const app = new App({ context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'TestStack', { env: { account: ACCOUNT, region: REGION } });
  const token = new CodeArtifactTokenSecret(stack, 'Token', { domain: 'my-domain', ...props });
  return { app, stack, token, template: () => Template.fromStack(stack) };
}

function refreshPolicyStatements(template: Template): unknown[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { PolicyName: Match.stringLikeRegexp('RefreshPolicy') },
  });
  const [policy] = Object.values(policies);
  return (policy as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument.Statement;
}

const SECRET_REF = { Ref: Match.stringLikeRegexp('^TokenSecret') };

function arn(service: string, account: string, resource: string, region = REGION) {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:${region}:${account}:${resource}`]] };
}

describe('defaults', () => {
  const { template: build } = stackWith();
  const template = build();

  test('secret starts with the placeholder', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      SecretString: PLACEHOLDER_SECRET_VALUE,
    });
    expect(JSON.parse(PLACEHOLDER_SECRET_VALUE)[SecretField.TOKEN]).toMatch(/^NOT-A-TOKEN/);
    expect(JSON.parse(PLACEHOLDER_SECRET_VALUE)[SecretField.EXPIRATION]).toEqual('1970-01-01T00:00:00.000Z');
  });

  test('function runs the handler on Node.js 24 arm64', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' }),
      Environment: {
        Variables: {
          [HandlerEnvironment.DOMAIN]: 'my-domain',
          [HandlerEnvironment.DOMAIN_OWNER]: ACCOUNT,
          [HandlerEnvironment.DOMAIN_REGION]: REGION,
          [HandlerEnvironment.DURATION_SECONDS]: '43200',
          [HandlerEnvironment.SECRET_ARN]: SECRET_REF,
        },
      },
    });
  });

  test('log group keeps a year', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  test('schedule runs hourly with retries', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TokenFunction'), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TokenDeadLetterQueue'), 'Arn'] } },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 5 },
      }),
    });
  });

  test('failed runs go to the queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TokenDeadLetterQueue'), 'Arn'] } },
      },
    });
  });

  test('first refresh runs during deployment', () => {
    const refreshes = template.findResources('Custom::CodeArtifactTokenRefresh');
    const [logicalId] = Object.keys(refreshes);
    const refresh = refreshes[logicalId];

    expect(refresh.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^TokenFunction/), 'Arn'] },
      ServiceTimeout: '300',
      Domain: 'my-domain',
      DomainOwner: ACCOUNT,
      DomainRegion: REGION,
      DurationSeconds: '43200',
      Repositories: ['*:'],
      AllowPublish: 'false',
      EndpointType: 'ipv4',
      MintingRoleArn: '',
      SecretArn: { Ref: expect.stringMatching(/^TokenSecret/) },
      EncryptionKeyArn: '',
    });
    expect(refresh.DependsOn).toEqual([expect.stringMatching(/^TokenRefreshPolicy/)]);
  });

  test('refresh policy is exact', () => {
    expect(refreshPolicyStatements(template)).toEqual([
      {
        Sid: 'MintToken',
        Effect: 'Allow',
        Action: 'codeartifact:GetAuthorizationToken',
        Resource: arn('codeartifact', ACCOUNT, 'domain/my-domain'),
      },
      {
        Sid: 'GetBearerTokenForCodeArtifact',
        Effect: 'Allow',
        Action: 'sts:GetServiceBearerToken',
        Resource: '*',
        Condition: { StringEquals: { 'sts:AWSServiceName': 'codeartifact.amazonaws.com' } },
      },
      {
        Sid: 'ReadRepositoriesWithToken',
        Effect: 'Allow',
        Action: 'codeartifact:ReadFromRepository',
        Resource: arn('codeartifact', ACCOUNT, 'repository/my-domain/*'),
      },
      {
        Sid: 'WriteTokenSecret',
        Effect: 'Allow',
        Action: ['secretsmanager:PutSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: { Ref: expect.stringMatching(/^TokenSecret/) },
      },
      {
        Sid: 'TagTokenSecretExpiry',
        Effect: 'Allow',
        Action: 'secretsmanager:TagResource',
        Resource: { Ref: expect.stringMatching(/^TokenSecret/) },
        Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [SecretTag.EXPIRATION] } },
      },
    ]);
  });

  test('function role has no managed policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
  });

  test('schedule role trusts this account only', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
          }),
        ],
      }),
    });
  });

  test('expiry alarm treats silence as breaching', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CodeArtifactTokenSecret',
      MetricName: 'TokenRemainingValidity',
      Dimensions: [
        { Name: 'SecretArn', Value: SECRET_REF },
        { Name: 'service', Value: 'codeartifact-token-refresher' },
      ],
      Statistic: 'Minimum',
      Period: 3600,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 10800,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  test('failure alarm counts errors and undelivered runs', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(errors, 0) + FILL(undelivered, 0)' }),
        Match.objectLike({
          Id: 'errors',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ Namespace: 'AWS/Lambda', MetricName: 'Errors' }),
            Stat: 'Sum',
          }),
        }),
        Match.objectLike({
          Id: 'undelivered',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' }),
          }),
        }),
      ]),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  test('no output or env carries a token', () => {
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toMatch(/authorizationToken/);
    expect(template.toJSON().Outputs).toBeUndefined();
  });
});

describe('shipped bundle', () => {
  test('function code is the prebuilt bundle', () => {
    const { app, template } = stackWith();
    const assembly = app.synth();
    const [fn] = Object.values(template().findResources('AWS::Lambda::Function'));
    const assetDir = path.join(assembly.directory, fn.Metadata['aws:asset:path']);

    expect(fs.readFileSync(path.join(assetDir, 'index.js'))).toEqual(fs.readFileSync(BUNDLE));
    expect(fs.readdirSync(assetDir)).toEqual(['index.js']);
  });
});

describe('props', () => {
  test('domainOwner names the owner in ARNs', () => {
    const { template } = stackWith({ domainOwner: '444455556666' });
    const statements = refreshPolicyStatements(template());

    expect(statements[0]).toMatchObject({ Resource: arn('codeartifact', '444455556666', 'domain/my-domain') });
    expect(statements[2]).toMatchObject({ Resource: arn('codeartifact', '444455556666', 'repository/my-domain/*') });
    template().hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [HandlerEnvironment.DOMAIN_OWNER]: '444455556666' }) },
    });
  });

  test('domainRegion names the Region', () => {
    const { template } = stackWith({ domainRegion: 'us-east-1' });
    const statements = refreshPolicyStatements(template());

    expect(statements[0]).toMatchObject({
      Resource: arn('codeartifact', ACCOUNT, 'domain/my-domain', 'us-east-1'),
    });
    expect(statements[2]).toMatchObject({
      Resource: arn('codeartifact', ACCOUNT, 'repository/my-domain/*', 'us-east-1'),
    });
    template().hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [HandlerEnvironment.DOMAIN_REGION]: 'us-east-1' }) },
    });
    template().hasResourceProperties('Custom::CodeArtifactTokenRefresh', { DomainRegion: 'us-east-1' });
  });

  test('replicaRegions replicate the secret', () => {
    const { template } = stackWith({ replicaRegions: [{ region: 'us-west-2' }, { region: 'ap-southeast-2' }] });

    template().hasResourceProperties('AWS::SecretsManager::Secret', {
      ReplicaRegions: [{ Region: 'us-west-2' }, { Region: 'ap-southeast-2' }],
    });
  });

  test('tokenLifetime sets the duration', () => {
    const { template } = stackWith({ tokenLifetime: Duration.hours(6) });

    template().hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [HandlerEnvironment.DURATION_SECONDS]: '21600' }) },
    });
    template().hasResourceProperties('Custom::CodeArtifactTokenRefresh', { DurationSeconds: '21600' });
    template().hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'TokenRemainingValidity', Threshold: 5400 });
  });

  test('refreshInterval sets the schedule', () => {
    const { template } = stackWith({ refreshInterval: Duration.minutes(90) });

    template().hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(90 minutes)' });
    template().hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'TokenRemainingValidity', Period: 5400 });
  });

  test('repositories narrow the read grant', () => {
    const { template } = stackWith({ repositories: [{ repositoryName: 'npm-store' }, { repositoryName: 'pypi-store' }] });

    expect(refreshPolicyStatements(template())[2]).toEqual({
      Sid: 'ReadRepositoriesWithToken',
      Effect: 'Allow',
      Action: 'codeartifact:ReadFromRepository',
      Resource: [
        arn('codeartifact', ACCOUNT, 'repository/my-domain/npm-store'),
        arn('codeartifact', ACCOUNT, 'repository/my-domain/pypi-store'),
      ],
    });
    template().hasResourceProperties('Custom::CodeArtifactTokenRefresh', { Repositories: ['npm-store:', 'pypi-store:'] });
    expect(JSON.stringify(refreshPolicyStatements(template()))).not.toMatch(/GetRepositoryEndpoint/);
  });

  test('formats add endpoint settings', () => {
    const { template } = stackWith({
      repositories: [
        { repositoryName: 'npm-store', format: PackageFormat.NPM },
        { repositoryName: 'pypi-store', format: PackageFormat.PYPI },
        { repositoryName: 'plain' },
      ],
      endpointType: EndpointType.DUALSTACK,
    });

    template().hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [HandlerEnvironment.REPOSITORIES]: JSON.stringify([
            { name: 'npm-store', format: 'npm' },
            { name: 'pypi-store', format: 'pypi' },
          ]),
          [HandlerEnvironment.ENDPOINT_TYPE]: 'dualstack',
        }),
      },
    });
    expect(refreshPolicyStatements(template())).toContainEqual({
      Sid: 'GetRepositoryEndpoints',
      Effect: 'Allow',
      Action: 'codeartifact:GetRepositoryEndpoint',
      Resource: [
        arn('codeartifact', ACCOUNT, 'repository/my-domain/npm-store'),
        arn('codeartifact', ACCOUNT, 'repository/my-domain/pypi-store'),
      ],
    });
    template().hasResourceProperties('Custom::CodeArtifactTokenRefresh', {
      Repositories: ['npm-store:npm', 'pypi-store:pypi', 'plain:'],
      EndpointType: 'dualstack',
    });
  });

  test('no formats, no endpoint settings', () => {
    const { template } = stackWith();
    const [fn] = Object.values(template().findResources('AWS::Lambda::Function'));

    expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain(HandlerEnvironment.REPOSITORIES);
    expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain(HandlerEnvironment.MINTING_ROLE_ARN);
  });

  test('allowPublish adds the publish actions', () => {
    const { template } = stackWith({ repositories: [{ repositoryName: 'npm-store' }], allowPublish: true });

    expect(refreshPolicyStatements(template())).toContainEqual({
      Sid: 'ReadAndPublishWithToken',
      Effect: 'Allow',
      Action: ['codeartifact:ReadFromRepository', 'codeartifact:PublishPackageVersion', 'codeartifact:PutPackageMetadata'],
      Resource: arn('codeartifact', ACCOUNT, 'repository/my-domain/npm-store'),
    });
  });

  test('no publish actions by default', () => {
    const { template } = stackWith();

    expect(JSON.stringify(refreshPolicyStatements(template()))).not.toMatch(/Publish|PutPackageMetadata/);
  });

  test('encryptionKey encrypts and limits the key grant', () => {
    const app = new App();
    const stack = new Stack(app, 'KeyStack', { env: { account: ACCOUNT, region: REGION } });
    const key = new kms.Key(stack, 'Key');
    new CodeArtifactTokenSecret(stack, 'Token', { domain: 'my-domain', encryptionKey: key });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
    });
    expect(refreshPolicyStatements(template)).toContainEqual({
      Sid: 'EncryptTokenSecret',
      Effect: 'Allow',
      Action: 'kms:GenerateDataKey',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] },
      Condition: {
        StringEquals: {
          'kms:ViaService': { 'Fn::Join': ['', [`secretsmanager.${REGION}.`, { Ref: 'AWS::URLSuffix' }]] },
          'kms:EncryptionContext:SecretARN': { Ref: expect.stringMatching(/^TokenSecret/) },
        },
      },
    });
    expect(JSON.stringify(refreshPolicyStatements(template))).not.toMatch(/kms:Decrypt/);
  });

  test('secretName names the secret', () => {
    const { template } = stackWith({ secretName: 'builds/codeartifact-token' });

    template().hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'builds/codeartifact-token' });
  });

  test('logRetention sets the retention', () => {
    const { template } = stackWith({ logRetention: logs.RetentionDays.TWO_YEARS });

    template().hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 731 });
  });

  test('expiryAlarmThreshold sets the threshold', () => {
    const { template } = stackWith({ expiryAlarmThreshold: Duration.hours(2) });

    template().hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'TokenRemainingValidity', Threshold: 7200 });
  });

  test('lifetime 0 with an interval', () => {
    const { template } = stackWith({ tokenLifetime: Duration.seconds(0), refreshInterval: Duration.minutes(30) });

    template().hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [HandlerEnvironment.DURATION_SECONDS]: '0' }) },
    });
    template().hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'TokenRemainingValidity', Threshold: 900 });
  });
});

describe('minting role', () => {
  function policyOf(template: Template, namePattern: string): { Statement: unknown[] } {
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp(namePattern) } }),
    );
    return policy.Properties.PolicyDocument;
  }

  test('createMintingRole moves CodeArtifact permissions', () => {
    const { template } = stackWith({ createMintingRole: true, repositories: [{ repositoryName: 'npm-store' }] });
    const refreshPolicy = JSON.stringify(policyOf(template(), 'RefreshPolicy'));
    const mintingPolicy = policyOf(template(), 'MintingRoleDefaultPolicy');

    expect(refreshPolicy).not.toMatch(/codeartifact:|sts:GetServiceBearerToken/);
    expect(refreshPolicyStatements(template())).toContainEqual({
      Sid: 'AssumeMintingRole',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^TokenMintingRole/), 'Arn'] },
    });
    expect(mintingPolicy.Statement.map((statement) => (statement as { Sid: string }).Sid)).toEqual([
      'MintToken',
      'GetBearerTokenForCodeArtifact',
      'ReadRepositoriesWithToken',
    ]);
    template().hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TokenFunctionRole'), 'Arn'] } },
          },
        ],
      },
    });
    template().hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [HandlerEnvironment.MINTING_ROLE_ARN]: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TokenMintingRole'), 'Arn'] },
        }),
      },
    });
    const [refresh] = Object.values(template().findResources('Custom::CodeArtifactTokenRefresh'));
    expect(refresh.DependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/^TokenRefreshPolicy/), expect.stringMatching(/^TokenMintingRoleDefaultPolicy/)]),
    );
  });

  test('mintingRoleName names the role', () => {
    const { template } = stackWith({ createMintingRole: true, mintingRoleName: 'codeartifact-token-minter' });

    template().hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'codeartifact-token-minter',
      Description: 'Mints CodeArtifact tokens for domain my-domain',
    });
  });

  test('passed role is trusted and granted', () => {
    const app = new App();
    const stack = new Stack(app, 'RoleStack', { env: { account: ACCOUNT, region: REGION } });
    const minter = new iam.Role(stack, 'Minter', { assumedBy: new iam.AccountRootPrincipal() });
    new CodeArtifactTokenSecret(stack, 'Token', { domain: 'my-domain', mintingRole: minter });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TokenFunctionRole'), 'Arn'] } },
          },
        ]),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Minter') }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Sid: 'MintToken', Action: 'codeartifact:GetAuthorizationToken' })]),
      },
    });
  });

  test('immutable role gets nothing attached', () => {
    const { stack, template } = stackWith();
    const imported = iam.Role.fromRoleArn(stack, 'Imported', `arn:aws:iam::${ACCOUNT}:role/minter`, { mutable: false });
    new CodeArtifactTokenSecret(stack, 'Other', { domain: 'other-domain', mintingRole: imported });

    const otherDomainPolicies = Object.values(template().findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy).includes('domain/other-domain'),
    );
    expect(otherDomainPolicies).toEqual([]);
    template().hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('OtherRefreshPolicy'),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${ACCOUNT}:role/minter` }),
        ]),
      },
    });
  });
});

describe('references', () => {
  test('domain from the same stack orders the first refresh', () => {
    const app = new App();
    const stack = new Stack(app, 'DomainStack', { env: { account: ACCOUNT, region: REGION } });
    const domain = new codeartifact.CfnDomain(stack, 'Domain', { domainName: 'my-domain' });
    new CodeArtifactTokenSecret(stack, 'Token', { domain: domain.attrName });
    const template = Template.fromStack(stack);

    // The function references the domain, and the first refresh references the function, so
    // CloudFormation creates the domain first.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [HandlerEnvironment.DOMAIN]: { 'Fn::GetAtt': ['Domain', 'Name'] } }),
      },
    });
    template.hasResourceProperties('Custom::CodeArtifactTokenRefresh', {
      ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TokenFunction'), 'Arn'] },
      Domain: { 'Fn::GetAtt': ['Domain', 'Name'] },
    });
  });

  test('unresolved values skip synth checks', () => {
    const app = new App();
    const stack = new Stack(app, 'ParamStack');
    const domain = new CfnParameter(stack, 'DomainName');
    const owner = new CfnParameter(stack, 'DomainOwner');
    const lifetime = new CfnParameter(stack, 'Lifetime', { type: 'Number' });

    expect(
      () =>
        new CodeArtifactTokenSecret(stack, 'Token', {
          domain: domain.valueAsString,
          domainOwner: owner.valueAsString,
          tokenLifetime: Duration.seconds(lifetime.valueAsNumber),
        }),
    ).not.toThrow();
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [HandlerEnvironment.DOMAIN]: { Ref: 'DomainName' },
          [HandlerEnvironment.DOMAIN_OWNER]: { Ref: 'DomainOwner' },
        }),
      },
    });
  });
});

describe('consumers', () => {
  test('grantRead allows reading the secret', () => {
    const { stack, token, template } = stackWith();
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
    token.grantRead(role);

    template().hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Reader') }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: SECRET_REF,
          },
        ],
      },
    });
  });

  test('grantRead adds decrypt with a key', () => {
    const app = new App();
    const stack = new Stack(app, 'KeyStack', { env: { account: ACCOUNT, region: REGION } });
    const key = new kms.Key(stack, 'Key');
    const token = new CodeArtifactTokenSecret(stack, 'Token', { domain: 'my-domain', encryptionKey: key });
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
    token.grantRead(role);

    // aws-cdk-lib grants a key in the same stack through the key policy.
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'kms:Decrypt',
            Principal: { AWS: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Reader'), 'Arn'] } },
            Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } },
          }),
        ]),
      },
    });
  });

  test('another account reads through policies', () => {
    const app = new App();
    const stack = new Stack(app, 'KeyStack', { env: { account: ACCOUNT, region: REGION } });
    const key = new kms.Key(stack, 'Key');
    const token = new CodeArtifactTokenSecret(stack, 'Token', { domain: 'my-domain', encryptionKey: key });
    token.grantRead(new iam.AccountPrincipal('444455556666'));
    const template = Template.fromStack(stack);
    const otherAccount = { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::444455556666:root']] } };

    template.hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
      SecretId: SECRET_REF,
      ResourcePolicy: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Principal: otherAccount,
            Resource: SECRET_REF,
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'kms:Decrypt',
            Principal: otherAccount,
            Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } },
          }),
        ]),
      },
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('another account needs a key', () => {
    const { token } = stackWith();

    expect(() => token.grantRead(new iam.AccountPrincipal('444455556666'))).toThrow(
      /KMS Key must be provided for cross account access/,
    );
  });

  test('addToContainer passes the token key', () => {
    const { stack, token, template } = stackWith();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    const container = taskDefinition.addContainer('App', { image: ecs.ContainerImage.fromRegistry('node:24') });
    token.addToContainer(container, 'CODEARTIFACT_AUTH_TOKEN');

    template().hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Secrets: [
            {
              Name: 'CODEARTIFACT_AUTH_TOKEN',
              ValueFrom: { 'Fn::Join': ['', [SECRET_REF, ':token::']] },
            },
          ],
        }),
      ],
    });
    const [task] = Object.values(template().findResources('AWS::ECS::TaskDefinition'));
    expect(task.DependsOn).toEqual([expect.stringMatching(/^TokenInitialRefresh/)]);
    template().hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^TaskExecutionRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: SECRET_REF,
          }),
        ]),
      },
    });
  });

  test('addToContainer grants decrypt with a key', () => {
    const app = new App();
    const stack = new Stack(app, 'KeyStack', { env: { account: ACCOUNT, region: REGION } });
    const key = new kms.Key(stack, 'Key');
    const token = new CodeArtifactTokenSecret(stack, 'Token', { domain: 'my-domain', encryptionKey: key });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    const container = taskDefinition.addContainer('App', { image: ecs.ContainerImage.fromRegistry('node:24') });
    token.addToContainer(container, 'CODEARTIFACT_AUTH_TOKEN');

    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'kms:Decrypt',
            Principal: { AWS: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TaskExecutionRole'), 'Arn'] } },
            Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } },
          }),
        ]),
      },
    });
  });

  test('ecsSecret selects another key', () => {
    const { stack, token, template } = stackWith();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('App', {
      image: ecs.ContainerImage.fromRegistry('node:24'),
      secrets: { TOKEN_EXPIRATION: token.ecsSecret(SecretField.EXPIRATION) },
    });

    template().hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Secrets: [{ Name: 'TOKEN_EXPIRATION', ValueFrom: { 'Fn::Join': ['', [SECRET_REF, ':expiration::']] } }],
        }),
      ],
    });
  });

  test('codeBuildEnvironmentVariable references the key', () => {
    const { stack, token, template } = stackWith();
    const project = new codebuild.Project(stack, 'Build', {
      buildSpec: codebuild.BuildSpec.fromObject({ version: '0.2', phases: { build: { commands: ['pip install .'] } } }),
      environmentVariables: { CODEARTIFACT_AUTH_TOKEN: token.codeBuildEnvironmentVariable() },
    });
    token.grantRead(project);

    template().hasResourceProperties('AWS::CodeBuild::Project', {
      Environment: Match.objectLike({
        EnvironmentVariables: [
          { Name: 'CODEARTIFACT_AUTH_TOKEN', Type: 'SECRETS_MANAGER', Value: { 'Fn::Join': ['', [SECRET_REF, ':token']] } },
        ],
      }),
    });
    template().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: SECRET_REF,
          }),
        ]),
      },
    });
  });

  test('unknown field is rejected', () => {
    const { token } = stackWith({ repositories: [{ repositoryName: 'npm-store', format: PackageFormat.NPM }] });

    expect(() => token.ecsSecret('tokn')).toThrow(
      /^Invalid field of ecsSecret: received "tokn"\. Allowed: a key of this secret, one of token, expiration, domain/,
    );
    expect(() => token.codeBuildEnvironmentVariable(RepositoryField.key('npm-store', RepositoryField.PIP_INDEX_URL))).toThrow(
      /^Invalid field of codeBuildEnvironmentVariable: received "npm-store\.pipIndexUrl"\./,
    );
    expect(() => token.ecsSecret(RepositoryField.key('npm-store', RepositoryField.NPMRC))).not.toThrow();
  });

  test('secret keys match the handler', () => {
    const repositories = Object.values(PackageFormat).map((format) => ({ repositoryName: `${format}-store`, format }));
    const settings = packageSettings(
      repositories.map(({ repositoryName, format }) => ({
        name: repositoryName,
        format,
        endpoint: `https://example-111122223333.d.codeartifact.eu-west-1.amazonaws.com/${format}/${repositoryName}/`,
      })),
      'fake-token',
    );
    const handlerKeys = [...Object.values(SecretField).filter((value) => typeof value === 'string'), ...Object.keys(settings)];

    expect(secretKeys(repositories).sort()).toEqual([...new Set(handlerKeys)].sort());
  });

  test('addAlarmAction wires both alarms', () => {
    const { stack, token, template } = stackWith();
    token.addAlarmAction(new actions.SnsAction(new sns.Topic(stack, 'Topic')));

    const alarms = Object.values(template().findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(2);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Topic/) }]);
    }
  });
});

describe('validation', () => {
  const invalidProps: [string, Partial<CodeArtifactTokenSecretProps>, RegExp][] = [
    ['domain with uppercase', { domain: 'My-Domain' }, /^Invalid domain: received "My-Domain"\. Allowed: 2 to 50 characters/],
    ['domain of one letter', { domain: 'a' }, /^Invalid domain: received "a"\./],
    ['domain of 51 letters', { domain: 'a'.repeat(51) }, /^Invalid domain: received "a{51}"\./],
    ['domain ending in hyphen', { domain: 'my-domain-' }, /^Invalid domain: received "my-domain-"\./],
    ['domain with underscore', { domain: 'my_domain' }, /^Invalid domain: received "my_domain"\./],
    ['owner of 11 digits', { domainOwner: '12345678901' }, /^Invalid domainOwner: received "12345678901"\. Allowed: an AWS account id of 12 digits/],
    ['owner with letters', { domainOwner: 'abcdefghijkl' }, /^Invalid domainOwner: received "abcdefghijkl"\./],
    ['domainRegion not a Region', { domainRegion: 'Frankfurt' }, /^Invalid domainRegion: received "Frankfurt"\. Allowed: an AWS Region name/],
    ['lifetime of 10 minutes', { tokenLifetime: Duration.seconds(600) }, /^Invalid tokenLifetime: received Duration\.seconds\(600\) \(10 minutes\)\. Allowed: 0, or whole seconds from 900/],
    ['lifetime over 12 hours', { tokenLifetime: Duration.seconds(43201) }, /^Invalid tokenLifetime: received Duration\.seconds\(43201\) \(12 hours 1 second\)\./],
    ['lifetime of fractional seconds', { tokenLifetime: Duration.millis(900_500) }, /^Invalid tokenLifetime: received Duration\.millis\(900500\)/],
    ['lifetime 0 without interval', { tokenLifetime: Duration.seconds(0) }, /^Invalid tokenLifetime: received Duration\.seconds\(0\) \(0 seconds\) without a refreshInterval\./],
    ['interval of 30 seconds', { refreshInterval: Duration.seconds(30) }, /^Invalid refreshInterval: received Duration\.seconds\(30\) \(30 seconds\)\. Allowed: whole minutes/],
    ['interval of 15.5 minutes', { refreshInterval: Duration.minutes(15.5) }, /^Invalid refreshInterval: received Duration\.minutes\(15\.5\) \(15 minutes 30 seconds\)\. Allowed: whole minutes/],
    ['interval of 5 minutes', { refreshInterval: Duration.minutes(5) }, /^Invalid refreshInterval: received Duration\.minutes\(5\) \(5 minutes\)\. Allowed: at least 15 minutes, because every refresh adds a secret version/],
    ['interval equal to lifetime', { refreshInterval: Duration.hours(12) }, /^Invalid refreshInterval: received Duration\.hours\(12\) \(12 hours\)\. Allowed: at least 5 minutes shorter than tokenLifetime \(12 hours\)/],
    ['interval longer than lifetime', { tokenLifetime: Duration.hours(1), refreshInterval: Duration.hours(2) }, /^Invalid refreshInterval: received Duration\.hours\(2\) \(2 hours\)\. Allowed: at least 5 minutes shorter than tokenLifetime \(1 hour\)/],
    ['interval over 12 hours with lifetime 0', { tokenLifetime: Duration.seconds(0), refreshInterval: Duration.hours(13) }, /^Invalid refreshInterval: received Duration\.hours\(13\) \(13 hours\)\. Allowed: at most 12 hours/],
    ['empty repository list', { repositories: [] }, /^Invalid repositories: received \[\]\. Allowed: one or more repositories/],
    ['repository with slash', { repositories: [{ repositoryName: 'npm/store' }] }, /^Invalid repositories: received a repositoryName of "npm\/store"\. Allowed: 2 to 100 characters/],
    ['repository listed twice', { repositories: [{ repositoryName: 'npm-store' }, { repositoryName: 'npm-store', format: PackageFormat.NPM }] }, /^Invalid repositories: received "npm-store" twice\. Allowed: each repository once/],
    ['lifetime 0 with a minting role', { tokenLifetime: Duration.seconds(0), refreshInterval: Duration.minutes(30), createMintingRole: true }, /^Invalid tokenLifetime: received Duration\.seconds\(0\) \(0 seconds\) with a minting role\./],
    ['role name without creating', { mintingRoleName: 'token-minter' }, /^Invalid mintingRoleName: received "token-minter" without createMintingRole\./],
    ['lifetime of exactly 15 minutes', { tokenLifetime: Duration.minutes(15) }, /^Invalid tokenLifetime: received Duration\.minutes\(15\) \(15 minutes\)\. Allowed: 0, or 20 minutes to 12 hours, because the refresh interval is at least 15 minutes/],
    ['lifetime just under 20 minutes', { tokenLifetime: Duration.seconds(1199) }, /^Invalid tokenLifetime: received Duration\.seconds\(1199\)/],
    ['interval leaving under 5 minutes', { tokenLifetime: Duration.hours(12), refreshInterval: Duration.minutes(716) }, /^Invalid refreshInterval: received Duration\.minutes\(716\) \(11 hours 56 minutes\)\. Allowed: at least 5 minutes shorter/],
    ['threshold of fractional seconds', { expiryAlarmThreshold: Duration.millis(1500) }, /^Invalid expiryAlarmThreshold: received Duration\.millis\(1500\) \(1 second 500 millis\)\. Allowed: a positive whole number of seconds/],
    ['secretName with spaces', { secretName: 'my token!' }, /^Invalid secretName: received "my token!"\. Allowed: 1 to 512 letters, digits and the characters/],
    ['empty secretName', { secretName: '' }, /^Invalid secretName: received ""\./],
    ['mintingRoleName with spaces', { createMintingRole: true, mintingRoleName: 'bad name!' }, /^Invalid mintingRoleName: received "bad name!"\. Allowed: 1 to 64 letters/],
    ['16 repositories', { repositories: Array.from({ length: 16 }, (_, i) => ({ repositoryName: `repo-${i}` })) }, /^Invalid repositories: received 16 repositories\. Allowed: at most 15/],
    ['repository without a name', { repositories: [{} as never] }, /^Invalid repositories: received an entry without a repositoryName\./],
    ['threshold of 12 hours with lifetime 0', { tokenLifetime: Duration.seconds(0), refreshInterval: Duration.hours(1), expiryAlarmThreshold: Duration.hours(20) }, /^Invalid expiryAlarmThreshold: received Duration\.hours\(20\) \(20 hours\)\. Allowed: less than 12 hours/],
    ['an alias as key', { encryptionKey: kms.Alias.fromAliasName(new Stack(), 'Alias', 'alias/builds') }, /^Invalid encryptionKey: received a KMS alias\. Allowed: the key itself/],
    ['a key of another Region', { encryptionKey: kms.Key.fromKeyArn(new Stack(), 'OtherKey', 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab') }, /^Invalid encryptionKey: received a key in Region us-east-1\. Allowed: a key in the stack's Region eu-west-1/],
    ['both minting role props', { createMintingRole: true, mintingRole: iam.Role.fromRoleArn(new Stack(), 'R', `arn:aws:iam::${ACCOUNT}:role/minter`) }, /^Invalid createMintingRole: received true together with a mintingRole/],
    ['threshold of 0', { expiryAlarmThreshold: Duration.seconds(0) }, /^Invalid expiryAlarmThreshold: received Duration\.seconds\(0\) \(0 seconds\)\. Allowed: a positive whole number of seconds/],
    ['threshold equal to lifetime', { expiryAlarmThreshold: Duration.hours(12) }, /^Invalid expiryAlarmThreshold: received Duration\.hours\(12\) \(12 hours\)\. Allowed: less than tokenLifetime/],
  ];

  test.each(invalidProps)('rejects %s', (_name, props, message) => {
    expect(() => stackWith(props)).toThrow(message);
  });

  test('rejects a reference lifetime in hours', () => {
    const app = new App();
    const stack = new Stack(app, 'ParamStack');
    const hours = new CfnParameter(stack, 'Hours', { type: 'Number' });

    expect(
      () => new CodeArtifactTokenSecret(stack, 'Token', { domain: 'my-domain', tokenLifetime: Duration.hours(hours.valueAsNumber) }),
    ).toThrow(/^Invalid tokenLifetime: received a CloudFormation reference in hours\. Allowed: a reference only as Duration\.seconds/);
  });

  test('rejects a reference threshold', () => {
    const app = new App();
    const stack = new Stack(app, 'ParamStack');
    const seconds = new CfnParameter(stack, 'Seconds', { type: 'Number' });

    expect(
      () =>
        new CodeArtifactTokenSecret(stack, 'Token', {
          domain: 'my-domain',
          expiryAlarmThreshold: Duration.seconds(seconds.valueAsNumber),
        }),
    ).toThrow(/^Invalid expiryAlarmThreshold: received a CloudFormation reference\. Allowed: a literal Duration/);
  });

  test('reference role name stays out of messages', () => {
    const app = new App();
    const stack = new Stack(app, 'ParamStack');
    const name = new CfnParameter(stack, 'RoleName');

    expect(() => new CodeArtifactTokenSecret(stack, 'Token', { domain: 'my-domain', mintingRoleName: name.valueAsString })).toThrow(
      /^Invalid mintingRoleName: received a CloudFormation reference without createMintingRole\./,
    );
  });

  test('short lifetimes get a shorter default interval', () => {
    const cases: [Duration, string][] = [
      [Duration.minutes(20), 'rate(15 minutes)'],
      [Duration.hours(1), 'rate(30 minutes)'],
      [Duration.minutes(90), 'rate(45 minutes)'],
      [Duration.hours(2), 'rate(1 hour)'],
    ];
    for (const [tokenLifetime, expression] of cases) {
      const { template } = stackWith({ tokenLifetime });
      template().hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: expression });
    }
  });

  test('accepts a sovereign-cloud Region', () => {
    expect(() => stackWith({ domainRegion: 'eusc-de-east-1' })).not.toThrow();
  });

  test('rejects an unresolved interval', () => {
    const app = new App();
    const stack = new Stack(app, 'ParamStack');
    const minutes = new CfnParameter(stack, 'Minutes', { type: 'Number' });

    expect(
      () =>
        new CodeArtifactTokenSecret(stack, 'Token', {
          domain: 'my-domain',
          refreshInterval: Duration.minutes(minutes.valueAsNumber),
        }),
    ).toThrow(/^Invalid refreshInterval: received .*\. Allowed: a literal Duration/);
  });

  test('accepts the limits', () => {
    expect(() => stackWith({ tokenLifetime: Duration.minutes(30), refreshInterval: Duration.minutes(15) })).not.toThrow();
    expect(() => stackWith({ tokenLifetime: Duration.seconds(43200), refreshInterval: Duration.minutes(715) })).not.toThrow();
    expect(() => stackWith({ tokenLifetime: Duration.minutes(20) })).not.toThrow();
    expect(() => stackWith({ domain: 'ab', domainOwner: '000000000000' })).not.toThrow();
    expect(() => stackWith({ domain: 'a'.repeat(50) })).not.toThrow();
  });
});

describe('publish warning', () => {
  test('publishing everywhere warns', () => {
    const { stack } = stackWith({ allowPublish: true });

    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('publishToEveryRepository'));
    expect(warnings).toHaveLength(1);
  });

  test('publishing to listed repositories is quiet', () => {
    const { stack } = stackWith({ allowPublish: true, repositories: [{ repositoryName: 'npm-store' }] });

    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('warnings', () => {
  function warningIds(props: Partial<CodeArtifactTokenSecretProps>): string[] {
    const { stack } = stackWith(props);
    return Annotations.fromStack(stack)
      .findWarning('*', Match.anyValue())
      .map((warning) => String(warning.entry.data))
      .map((text) => /\[ack: ([^\]]+)\]/.exec(text)?.[1] ?? text);
  }

  test('defaults raise no warning', () => {
    expect(warningIds({})).toEqual([]);
  });

  test('lifetime 0 warns', () => {
    expect(warningIds({ tokenLifetime: Duration.seconds(0), refreshInterval: Duration.minutes(30) })).toContain(
      'cdk-codeartifact-token-secret:tokenLifetimeZero',
    );
  });

  test('margin under an hour warns', () => {
    expect(warningIds({ tokenLifetime: Duration.hours(1), refreshInterval: Duration.minutes(30) })).toEqual([
      'cdk-codeartifact-token-secret:smallRefreshMargin',
    ]);
  });

  test('margin of an hour is quiet', () => {
    expect(warningIds({ tokenLifetime: Duration.hours(2), refreshInterval: Duration.hours(1) })).toEqual([]);
  });

  test('acknowledged warning is silent', () => {
    expect(warningIds({ secretName: 'builds/token' })).toHaveLength(1);

    const acknowledged = stackWith({ secretName: 'builds/token' });
    CdkAnnotations.of(acknowledged.stack).acknowledgeWarning('cdk-codeartifact-token-secret:fixedSecretName', 'reviewed');
    expect(Annotations.fromStack(acknowledged.stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('fixed secret name warns', () => {
    expect(warningIds({ secretName: 'builds/token' })).toEqual(['cdk-codeartifact-token-secret:fixedSecretName']);
  });
});
