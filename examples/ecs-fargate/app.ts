import * as path from 'path';
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { CodeArtifactTokenSecret } from '../../src';

/**
 * A Fargate task whose container receives a CodeArtifact token as the secret environment
 * variable CODEARTIFACT_AUTH_TOKEN, for example to run `npm ci` against the domain's registry.
 */
export class EcsFargateExampleStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const token = new CodeArtifactTokenSecret(this, 'Token', { domain: 'my-domain' });

    const taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64 },
    });
    const container = taskDefinition.addContainer('App', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:24-slim'),
      command: ['npm', 'ci'],
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'app' }),
    });
    token.addToContainer(container, 'CODEARTIFACT_AUTH_TOKEN');

    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    new ecs.FargateService(this, 'Service', { cluster, taskDefinition, desiredCount: 1 });
  }
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
