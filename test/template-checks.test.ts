import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CodeBuildPipExampleStack } from '../examples/codebuild-pip/app';
import { EcsFargateExampleStack } from '../examples/ecs-fargate/app';
import { CodeArtifactTokenSecret, PackageFormat, RepositoryField } from '../src';

// cfn-guard runs a binary per template and cdk-nag walks every resource.
jest.setTimeout(120_000);

interface ValidationReport {
  readonly pluginReports: {
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: { readonly ruleName: string }[];
    readonly suppressedViolations?: { readonly ruleName: string; readonly reason?: string }[];
  }[];
}

/**
 * Creates an app that runs aws-cdk-lib's CloudFormation validation with errors on, cdk-nag's
 * AwsSolutions rules and cfn-guard's Control Tower rules at synth.
 */
function checkedApp(): { app: App; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'template-checks-'));
  const app = new App({ outdir, context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new CfnGuardValidator({ controlTowerRulesEnabled: true }));
  return { app, outdir };
}

/**
 * Synthesizes the app and returns the validation report. A plugin with findings may or may
 * not make synth throw, so the report is the record to assert on.
 */
function synthesizeWithReport(app: App, outdir: string): ValidationReport {
  try {
    app.synth();
  } catch (error) {
    if (!fs.existsSync(path.join(outdir, 'validation-report.json'))) {
      throw error;
    }
  }
  return JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
}

function violationsOf(report: ValidationReport): string[] {
  return report.pluginReports.flatMap((plugin) => plugin.violations.map((violation) => violation.ruleName));
}

describe('template checks', () => {
  test('ECS example passes every check', () => {
    const { app, outdir } = checkedApp();
    new EcsFargateExampleStack(app, 'Example');

    const report = synthesizeWithReport(app, outdir);

    expect(violationsOf(report)).toEqual([]);
  });

  test('CodeBuild example passes every check', () => {
    const { app, outdir } = checkedApp();
    new CodeBuildPipExampleStack(app, 'Example');

    const report = synthesizeWithReport(app, outdir);

    expect(violationsOf(report)).toEqual([]);
  });

  test('construct with repositories passes checks', () => {
    const { app, outdir } = checkedApp();
    const stack = new Stack(app, 'Bare');
    const token = new CodeArtifactTokenSecret(stack, 'Token', {
      domain: 'my-domain',
      repositories: [{ repositoryName: 'npm-store' }],
      createMintingRole: true,
    });
    token.addAlarmAction(new actions.SnsAction(new sns.Topic(stack, 'Alarms', { enforceSSL: true })));

    const report = synthesizeWithReport(app, outdir);

    expect(violationsOf(report)).toEqual([]);
    const suppressed = report.pluginReports.flatMap((plugin) => plugin.suppressedViolations ?? []);
    expect(suppressed.map((finding) => finding.ruleName).sort()).toEqual([
      'cloudwatch_log_group_encrypted_check',
      'lambda_inside_vpc_check',
      'sqs_dlq_check',
    ]);
    for (const finding of suppressed) {
      expect(finding.reason ?? '').toMatch(/\w+ \w+ \w+/);
    }
  });

  test('every option together has no cycle', () => {
    const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
    const stack = new Stack(app, 'AllOptions', { env: { account: '111122223333', region: 'eu-west-1' } });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const token = new CodeArtifactTokenSecret(stack, 'Token', {
      domain: 'my-domain',
      domainOwner: '444455556666',
      domainRegion: 'us-east-1',
      encryptionKey: key,
      repositories: [
        { repositoryName: 'npm-store', format: PackageFormat.NPM },
        { repositoryName: 'pypi-store', format: PackageFormat.PYPI },
      ],
      allowPublish: true,
      createMintingRole: true,
      replicaRegions: [{ region: 'us-west-2' }],
    });
    token.addAlarmAction(new actions.SnsAction(new sns.Topic(stack, 'Alarms', { enforceSSL: true })));
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    const container = taskDefinition.addContainer('App', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:24-slim'),
    });
    token.addToContainer(container, 'CODEARTIFACT_NPMRC', RepositoryField.key('npm-store', RepositoryField.NPMRC));
    const project = new codebuild.Project(stack, 'Build', {
      buildSpec: codebuild.BuildSpec.fromObject({ version: '0.2', phases: { build: { commands: ['pip install .'] } } }),
      environmentVariables: {
        PIP_INDEX_URL: token.codeBuildEnvironmentVariable(RepositoryField.key('pypi-store', RepositoryField.PIP_INDEX_URL)),
      },
    });
    token.grantRead(project);

    // Template.fromStack fails on a dependency cycle, which CloudFormation cannot deploy, and
    // the CloudFormation validator with errors on fails on an invalid template.
    expect(() => Template.fromStack(stack)).not.toThrow();
    const cycleWarnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('Circular'));
    expect(cycleWarnings).toEqual([]);
  });

  test('defaults report the open choices', () => {
    const { app, outdir } = checkedApp();
    const stack = new Stack(app, 'Defaults');
    new CodeArtifactTokenSecret(stack, 'Token', { domain: 'my-domain' });

    const violations = violationsOf(synthesizeWithReport(app, outdir));

    expect(violations).toContain('cloudwatch_alarm_action_check');
    expect(violations).toContain(
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codeartifact:<AWS::Region>:<AWS::AccountId>:repository/my-domain/*]',
    );
    expect(violations).not.toContain('AwsSolutions-IAM5[Resource::*]');
    expect(violations.filter((id) => id.startsWith('AwsSolutions-IAM4'))).toEqual([]);
  });
});
