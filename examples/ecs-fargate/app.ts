import * as path from 'path';
import { App, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { CodeArtifactTokenSecret, PackageFormat, RepositoryField } from '../../src';

/**
 * A Fargate service whose container installs npm packages from CodeArtifact: it receives a
 * ready-made `.npmrc` for the repository `npm-store` as a secret environment variable, writes
 * it to a file, and runs `npm ci`.
 */
export class EcsFargateExampleStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const token = new CodeArtifactTokenSecret(this, 'Token', {
      domain: 'my-domain',
      repositories: [{ repositoryName: 'npm-store', format: PackageFormat.NPM }],
    });
    const alarms = new sns.Topic(this, 'TokenAlarms', { enforceSSL: true });
    token.addAlarmAction(new actions.SnsAction(alarms));

    const taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64 },
    });
    const logGroup = new logs.LogGroup(this, 'AppLogs', { retention: logs.RetentionDays.ONE_YEAR });
    const container = taskDefinition.addContainer('App', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:24-slim'),
      command: ['sh', '-c', 'printf "%s" "$CODEARTIFACT_NPMRC" > /tmp/.npmrc && npm ci --userconfig /tmp/.npmrc'],
      user: 'node',
      memoryLimitMiB: 512,
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'app', logGroup }),
    });
    token.addToContainer(container, 'CODEARTIFACT_NPMRC', RepositoryField.key('npm-store', RepositoryField.NPMRC));

    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 1 });
    vpc.addFlowLog('FlowLog');
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    new ecs.FargateService(this, 'Service', { cluster, taskDefinition, desiredCount: 1 });

    acknowledgeExampleFindings(this, container, logGroup, vpc);
  }
}

/** Reasons for the findings of cdk-nag and cfn-guard that this example accepts. */
function acknowledgeExampleFindings(
  stack: Stack,
  container: ecs.ContainerDefinition,
  logGroup: logs.LogGroup,
  vpc: ec2.Vpc,
): void {
  Validations.of(container.taskDefinition).acknowledge({
    id: 'cdk-validator-cfnguard::ecs_containers_readonly_access_check',
    reason: 'npm ci writes node_modules into the container file system.',
  });
  Validations.of(logGroup).acknowledge({
    id: 'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
    reason: 'The example prints npm output only; the token reaches the container as a secret, not as a log line.',
  });
  Validations.of(vpc).acknowledge({
    id: 'cdk-validator-cfnguard::subnet_auto_assign_public_ip_disabled_check',
    reason: 'The public subnets hold only the NAT gateway; the task runs in private subnets.',
  });
  Validations.of(stack.node.findChild('Vpc').node.findChild('FlowLog')).acknowledge({
    id: 'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
    reason: 'Flow logs record addresses and ports, no secret values.',
  });
}

/** Synthesizes the example into `outdir`, returning the cloud assembly. */
export function synthesizeExample(outdir: string) {
  const app = new App({ outdir });
  new EcsFargateExampleStack(app, 'CodeArtifactTokenEcsExample');
  return app.synth();
}

if (require.main === module) {
  const outdir = path.join(__dirname, '..', '..', 'cdk.out', 'example');
  const assembly = synthesizeExample(outdir);
  const stack = assembly.getStackByName('CodeArtifactTokenEcsExample');
  console.log(`Template written to ${path.relative(process.cwd(), path.join(outdir, stack.templateFile))}`);
}
