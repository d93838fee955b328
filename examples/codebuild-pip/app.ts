import * as path from 'path';
import { App, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { CodeArtifactTokenSecret, PackageFormat, RepositoryField } from '../../src';

/**
 * A CodeBuild project that installs Python packages from CodeArtifact: pip reads the index
 * URL, with the token embedded, from the secret environment variable PIP_INDEX_URL.
 */
export class CodeBuildPipExampleStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const token = new CodeArtifactTokenSecret(this, 'Token', {
      domain: 'my-domain',
      repositories: [{ repositoryName: 'pypi-store', format: PackageFormat.PYPI }],
    });
    const alarms = new sns.Topic(this, 'TokenAlarms', { enforceSSL: true });
    token.addAlarmAction(new actions.SnsAction(alarms));

    const buildLogs = new logs.LogGroup(this, 'BuildLogs', { retention: logs.RetentionDays.ONE_YEAR });
    const project = new codebuild.Project(this, 'Build', {
      logging: { cloudWatch: { logGroup: buildLogs } },
      environment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, privileged: false },
      environmentVariables: {
        PIP_INDEX_URL: token.codeBuildEnvironmentVariable(RepositoryField.key('pypi-store', RepositoryField.PIP_INDEX_URL)),
      },
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: { install: { commands: ['pip install --requirement requirements.txt'] } },
      }),
    });
    token.grantRead(project);

    acknowledgeExampleFindings(project, buildLogs);
  }
}

/** Reasons for the findings of cdk-nag and cfn-guard that this example accepts. */
function acknowledgeExampleFindings(project: codebuild.Project, buildLogs: logs.LogGroup): void {
  const projectName = Stack.of(project).resolve((project.node.defaultChild as codebuild.CfnProject).logicalId);
  Validations.of(project).acknowledge(
    {
      id: 'AwsSolutions-CB4',
      reason: 'The project installs packages and produces no artifacts to encrypt.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/codebuild/<${projectName}>:*]`,
      reason: 'aws-cdk-lib lets the project write the log streams of its own default log group.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codebuild:<AWS::Region>:<AWS::AccountId>:report-group/<${projectName}>-*]`,
      reason: 'aws-cdk-lib lets the project write report groups named after itself.',
    },
  );
  Validations.of(buildLogs).acknowledge({
    id: 'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
    reason: 'Build logs show pip output; the index URL with the token reaches pip as a secret variable.',
  });
}

/** Synthesizes the example into `outdir`, returning the cloud assembly. */
export function synthesizeExample(outdir: string) {
  const app = new App({ outdir });
  new CodeBuildPipExampleStack(app, 'CodeArtifactTokenCodeBuildExample');
  return app.synth();
}

if (require.main === module) {
  const outdir = path.join(__dirname, '..', '..', 'cdk.out', 'codebuild-example');
  const assembly = synthesizeExample(outdir);
  const stack = assembly.getStackByName('CodeArtifactTokenCodeBuildExample');
  console.log(`Template written to ${path.relative(process.cwd(), path.join(outdir, stack.templateFile))}`);
}
