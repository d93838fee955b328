// Synthesizes a stack that uses every construct option against the aws-cdk-lib installed next
// to this file, to prove that the lowest aws-cdk-lib of the peer range is enough.
const { App, Stack } = require('aws-cdk-lib');
const ecs = require('aws-cdk-lib/aws-ecs');
const kms = require('aws-cdk-lib/aws-kms');
const { CodeArtifactTokenSecret, PackageFormat, RepositoryField } = require('cdk-codeartifact-token-secret');

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'MinimumCdk', { env: { account: '111122223333', region: 'eu-west-1' } });
const token = new CodeArtifactTokenSecret(stack, 'Token', {
  domain: 'my-domain',
  domainOwner: '444455556666',
  domainRegion: 'us-east-1',
  encryptionKey: new kms.Key(stack, 'Key'),
  repositories: [{ repositoryName: 'npm-store', format: PackageFormat.NPM }],
  createMintingRole: true,
  replicaRegions: [{ region: 'us-west-2' }],
});
const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
const container = taskDefinition.addContainer('App', { image: ecs.ContainerImage.fromRegistry('node:24') });
token.addToContainer(container, 'CODEARTIFACT_NPMRC', RepositoryField.key('npm-store', RepositoryField.NPMRC));
token.codeBuildEnvironmentVariable();

const assembly = app.synth();
const template = assembly.getStackByName('MinimumCdk').template;
console.log(
  `Synthesized ${Object.keys(template.Resources).length} resources with aws-cdk-lib ${require('aws-cdk-lib/package.json').version}`,
);
