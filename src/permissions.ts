import { ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { TokenRepository } from './repositories';
import { SecretTag } from './secret-fields';

/** Inputs to the permissions of the role that mints the token. */
export interface MintingPermissions {
  readonly domain: string;
  readonly domainArn: string;
  readonly domainOwner: string;
  readonly domainRegion: string;
  readonly repositories?: TokenRepository[];
  readonly allowPublish: boolean;
}

/**
 * Returns the statements that minting a useful token needs: the token itself, and the
 * repository access that the token carries, because a token acts with the permissions of the
 * role that minted it.
 */
export function mintingStatements(stack: Stack, permissions: MintingPermissions): iam.PolicyStatement[] {
  const repositoryArn = (name: string) =>
    stack.formatArn({
      service: 'codeartifact',
      account: permissions.domainOwner,
      region: permissions.domainRegion,
      resource: 'repository',
      resourceName: `${permissions.domain}/${name}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  const repositoryArns = (permissions.repositories ?? [{ repositoryName: '*' }]).map((repository) =>
    repositoryArn(repository.repositoryName),
  );
  const endpointArns = (permissions.repositories ?? [])
    .filter((repository) => repository.format !== undefined)
    .map((repository) => repositoryArn(repository.repositoryName));

  const statements = [
    new iam.PolicyStatement({
      sid: 'MintToken',
      actions: ['codeartifact:GetAuthorizationToken'],
      resources: [permissions.domainArn],
    }),
    // The bearer token that backs a CodeArtifact token has no resource ARN, so IAM only
    // accepts "*" here; the condition limits it to CodeArtifact.
    new iam.PolicyStatement({
      sid: 'GetBearerTokenForCodeArtifact',
      actions: ['sts:GetServiceBearerToken'],
      resources: ['*'],
      conditions: { StringEquals: { 'sts:AWSServiceName': 'codeartifact.amazonaws.com' } },
    }),
    // Publishing shares the statement, so each repository ARN appears once: IAM limits a
    // role's inline policies to 10,240 characters.
    new iam.PolicyStatement({
      sid: permissions.allowPublish ? 'ReadAndPublishWithToken' : 'ReadRepositoriesWithToken',
      actions: permissions.allowPublish
        ? ['codeartifact:ReadFromRepository', 'codeartifact:PublishPackageVersion', 'codeartifact:PutPackageMetadata']
        : ['codeartifact:ReadFromRepository'],
      resources: repositoryArns,
    }),
  ];
  if (endpointArns.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'GetRepositoryEndpoints',
        actions: ['codeartifact:GetRepositoryEndpoint'],
        resources: endpointArns,
      }),
    );
  }
  return statements;
}

/** Returns the statements that writing the token into this secret, and nothing else, needs. */
export function secretWriteStatements(
  stack: Stack,
  secret: secretsmanager.ISecret,
  encryptionKey?: kms.IKey,
): iam.PolicyStatement[] {
  const statements = [
    new iam.PolicyStatement({
      sid: 'WriteTokenSecret',
      actions: ['secretsmanager:PutSecretValue', 'secretsmanager:DescribeSecret'],
      resources: [secret.secretArn],
    }),
    // Tagging is limited to the expiry tag, so the function cannot rewrite other tags that
    // access policies may depend on.
    new iam.PolicyStatement({
      sid: 'TagTokenSecretExpiry',
      actions: ['secretsmanager:TagResource'],
      resources: [secret.secretArn],
      conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [SecretTag.EXPIRATION] } },
    }),
  ];
  if (encryptionKey) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'EncryptTokenSecret',
        actions: ['kms:GenerateDataKey'],
        resources: [encryptionKey.keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': `secretsmanager.${stack.region}.${Aws.URL_SUFFIX}`,
            'kms:EncryptionContext:SecretARN': secret.secretArn,
          },
        },
      }),
    );
  }
  return statements;
}
