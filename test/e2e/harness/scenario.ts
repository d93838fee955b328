import { randomBytes } from 'crypto';
import { DeployedRole, Deployment, FAKE_ACCOUNT, FAKE_REGION, simulateDeployment } from './deployment';
import {
  assumeFunctionRole,
  EnvironmentOutput,
  ExecutionEnvironment,
  FakeCredentials,
  Invocation,
  InvocationResult,
  invokeOnce,
  runInvocations,
} from './invoke';
import type { ShippedPackage } from './shipped-package';
import type { PolicyStatement, TrustStatement } from '../local-aws/iam';
import { AWSCURRENT, SecretVersion } from '../local-aws/secrets-manager';
import { LocalAws } from '../local-aws/server';

/**
 * Tag key that the refresher writes, `SecretTag.EXPIRATION` of the public API. It is written
 * out here, so a change to the public name fails these tests.
 */
export const EXPIRATION_TAG = 'codeartifact-token-secret:expiration';

/** Remaining validity of the token stored before each test: three hours. */
export const PREVIOUS_TOKEN_VALIDITY_MILLIS = 3 * 60 * 60 * 1000;

/** Options of a scenario. */
export interface ScenarioOptions {
  /** Stack of the consumer app whose refresher runs. */
  readonly stackName:
    | 'SameAccountDomain'
    | 'CrossAccountDomain'
    | 'OtherRegionDomain'
    | 'ParameterDomain'
    | 'MintingRole'
    | 'PackageSettings'
    | 'DualStackSettings'
    | 'OtherRegionMintingRole';
  /** Values of the stack's template parameters. */
  readonly parameters?: Record<string, string>;
  /** Whether the domain that the function is configured with exists. @default true */
  readonly createDomain?: boolean;
  /** Accounts that the domain policy allows. @default - none */
  readonly domainPolicyAccounts?: string[];
  /** Changes the role's policy statements, for example to drop one. @default - unchanged */
  readonly editPolicy?: (statements: PolicyStatement[]) => PolicyStatement[];
  /** Changes the policy statements of the minting role. @default - unchanged */
  readonly editMintingPolicy?: (statements: PolicyStatement[]) => PolicyStatement[];
  /** Changes the trust policy statements of the minting role. @default - unchanged */
  readonly editMintingTrustPolicy?: (statements: TrustStatement[]) => TrustStatement[];
  /**
   * Repositories that the domain lacks although the function is configured with them.
   *
   * @default - the domain has `npm-store` and every repository of `CODEARTIFACT_REPOSITORIES`
   */
  readonly missingRepositories?: string[];
  /** Host of the repository endpoints that CodeArtifact returns. @default - the domain's public host */
  readonly endpointHost?: string;
  /** Encoding of the random bytes of minted tokens. @default 'base64url' */
  readonly tokenEncoding?: 'base64url' | 'base64';
  /** Ages in milliseconds of versions without staging labels that the secret already has. @default - none */
  readonly olderVersionAges?: number[];
}

/**
 * A deployed refresher against fresh local endpoints: a domain, and a secret that already
 * contains a token with three hours left and its expiry tag.
 */
export class Scenario {
  public static async start(shipped: ShippedPackage, options: ScenarioOptions): Promise<Scenario> {
    const endpoints = await LocalAws.start({ secretsRegion: FAKE_REGION, account: FAKE_ACCOUNT });
    return new Scenario(shipped, options, endpoints);
  }

  public readonly deployment: Deployment;
  public readonly secretArn: string;
  /** Value of the secret before the test, with a random token. */
  public readonly previousValue: string;
  public readonly previousToken: string;
  /** Expiry of the previous token, as an ISO-8601 string. */
  public readonly previousExpiration: string;
  public readonly credentials: FakeCredentials;

  private constructor(
    private readonly shipped: ShippedPackage,
    options: ScenarioOptions,
    public readonly endpoints: LocalAws,
  ) {
    const template = shipped.templates[options.stackName];
    this.previousToken = randomBytes(96).toString('base64url');
    this.previousExpiration = new Date(Date.now() + PREVIOUS_TOKEN_VALIDITY_MILLIS).toISOString();

    // The secret is created first because its ARN is one of the resolved references.
    const placeholderArn = 'arn:aws:secretsmanager:placeholder';
    const unresolved = simulateDeployment(template, {
      stackName: options.stackName,
      secretArn: placeholderArn,
      parameters: options.parameters,
    });
    const domain = unresolved.environment.CODEARTIFACT_DOMAIN;
    const domainOwner = unresolved.environment.CODEARTIFACT_DOMAIN_OWNER;
    const domainRegion = unresolved.environment.CODEARTIFACT_REGION;
    this.previousValue = JSON.stringify({
      token: this.previousToken,
      expiration: this.previousExpiration,
      domain,
      domainOwner,
      region: domainRegion,
    });
    this.secretArn = endpoints.secretsManager.createSecret(
      {
        name: `${options.stackName}TokenSecret`,
        secretString: this.previousValue,
        tags: { [EXPIRATION_TAG]: this.previousExpiration },
        olderVersionAges: options.olderVersionAges,
      },
      Date.now(),
    );
    const deployment = simulateDeployment(template, {
      stackName: options.stackName,
      secretArn: this.secretArn,
      parameters: options.parameters,
    });
    this.deployment = {
      ...deployment,
      policyStatements: options.editPolicy ? options.editPolicy(deployment.policyStatements) : deployment.policyStatements,
      roles: deployment.roles.map((role) => editMintingRole(role, deployment, options)),
    };
    if ((options.editMintingPolicy || options.editMintingTrustPolicy) && deployment.mintingRoleArn === undefined) {
      throw new Error(`Stack ${options.stackName} has no minting role to edit.`);
    }
    for (const role of this.deployment.roles) {
      endpoints.sts.addRole({ arn: role.arn, trustStatements: role.trustStatements, statements: role.policyStatements });
    }

    if (options.createDomain ?? true) {
      const configured = JSON.parse(deployment.environment.CODEARTIFACT_REPOSITORIES ?? '[]') as Array<{ name: string }>;
      const repositories = [...new Set(['npm-store', ...configured.map((repository) => repository.name)])];
      endpoints.codeArtifact.addDomain({
        name: domain,
        owner: domainOwner,
        region: domainRegion,
        repositories: repositories.filter((name) => !(options.missingRepositories ?? []).includes(name)),
        domainPolicyAccounts: options.domainPolicyAccounts,
        endpointHost: options.endpointHost,
        tokenEncoding: options.tokenEncoding,
      });
    }
    this.credentials = assumeFunctionRole(endpoints, this.deployment);
  }

  /** Returns the role that mints the token, with the scenario's edits, or throws when the stack has none. */
  public mintingRole(): DeployedRole {
    const role = this.deployment.roles.find((candidate) => candidate.arn === this.deployment.mintingRoleArn);
    if (!role) {
      throw new Error(`Stack ${this.deployment.stackName} has no minting role.`);
    }
    return role;
  }

  /** Settings of an execution environment, with the scenario's credentials unless others are given. */
  public executionEnvironment(credentials: FakeCredentials = this.credentials): ExecutionEnvironment {
    return {
      bundlePath: this.shipped.bundlePath,
      homeDir: this.shipped.homeDir,
      deployment: this.deployment,
      endpoints: this.endpoints,
      credentials,
    };
  }

  /** Settings of another execution environment of the same function, with its own credentials. */
  public anotherExecutionEnvironment(): ExecutionEnvironment {
    return this.executionEnvironment(assumeFunctionRole(this.endpoints, this.deployment));
  }

  /** Runs one invocation in a new execution environment. */
  public invoke(invocation: Invocation): Promise<EnvironmentOutput & { readonly result: InvocationResult }> {
    return invokeOnce(this.executionEnvironment(), invocation);
  }

  /** Runs invocations one after another in one execution environment. */
  public invokeWarm(invocations: readonly Invocation[]): Promise<EnvironmentOutput> {
    return runInvocations(this.executionEnvironment(), invocations);
  }

  /** Builds a CloudFormation custom resource request for the stack's initial refresh. */
  public customResourceEvent(requestType: 'Create' | 'Update' | 'Delete'): Record<string, unknown> {
    const { customResource, stackId } = this.deployment;
    const event: Record<string, unknown> = {
      RequestType: requestType,
      ServiceToken: customResource.properties.ServiceToken,
      ResponseURL: this.endpoints.cloudFormationResponseUrl(),
      StackId: stackId,
      RequestId: randomBytes(16).toString('hex'),
      LogicalResourceId: customResource.logicalId,
      ResourceType: customResource.type,
      ResourceProperties: customResource.properties,
    };
    if (requestType !== 'Create') {
      event.PhysicalResourceId = this.secretArn;
    }
    if (requestType === 'Update') {
      event.OldResourceProperties = { ...customResource.properties, DurationSeconds: '3600' };
    }
    return event;
  }

  /** Returns the AWSCURRENT version of the secret. */
  public currentVersion(): SecretVersion {
    const version = this.endpoints.secretsManager.versionWithStage(this.secretArn, AWSCURRENT);
    if (!version) {
      throw new Error('The secret has no AWSCURRENT version.');
    }
    return version;
  }

  /** Returns the parsed AWSCURRENT value. */
  public currentValue(): Record<string, string> {
    return JSON.parse(this.currentVersion().secretString) as Record<string, string>;
  }

  public expiryTag(): string | undefined {
    return this.endpoints.secretsManager.secret(this.secretArn).tags.get(EXPIRATION_TAG);
  }

  public versionCount(): number {
    return this.endpoints.secretsManager.secret(this.secretArn).versions.size;
  }

  /** Every token that must not appear in output: the previous one and every one minted. */
  public tokens(): string[] {
    return [this.previousToken, ...this.endpoints.codeArtifact.mintedTokens.map((minted) => minted.token)];
  }

  /**
   * Returns the secret parts of every credential that must not appear in output: the
   * function's, and those that STS issued.
   */
  public credentialSecrets(): string[] {
    const issued = this.endpoints.sts.issuedCredentials.flatMap((credentials) => [
      credentials.secretAccessKey,
      credentials.sessionToken,
    ]);
    return [this.credentials.secretAccessKey, this.credentials.sessionToken, ...issued];
  }

  public close(): Promise<void> {
    return this.endpoints.close();
  }
}

/** Applies the scenario's edits to the minting role, and returns other roles unchanged. */
function editMintingRole(role: DeployedRole, deployment: Deployment, options: ScenarioOptions): DeployedRole {
  if (role.arn !== deployment.mintingRoleArn) {
    return role;
  }
  return {
    ...role,
    policyStatements: options.editMintingPolicy ? options.editMintingPolicy(role.policyStatements) : role.policyStatements,
    trustStatements: options.editMintingTrustPolicy ? options.editMintingTrustPolicy(role.trustStatements) : role.trustStatements,
  };
}
