import { randomBytes, randomUUID } from 'crypto';
import { authorize, Principal } from './iam';
import { AwsServiceError, epochSeconds, HttpReply } from './protocol';

/** Staging label of the version that readers get by default. */
export const AWSCURRENT = 'AWSCURRENT';
/** Staging label that PutSecretValue moves to the version that was AWSCURRENT. */
export const AWSPREVIOUS = 'AWSPREVIOUS';

/**
 * Maximum number of versions of a secret. Secrets Manager removes versions without staging labels once
 * there are more than about 100, but never versions younger than 24 hours, so frequent writes
 * reach the quota.
 * NOTE: AWS documents the quota as "about 100"; the exact count is an assumption.
 */
export const MAX_VERSIONS = 100;
const DAY_MILLIS = 24 * 60 * 60 * 1000;

const MAX_TAGS = 50;
const MAX_TAG_KEY_LENGTH = 127;
const MAX_TAG_VALUE_LENGTH = 255;
/** Characters that every service accepts in tags: letters, digits, spaces and `_ . : / = + - @`. */
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const MAX_SECRET_STRING_BYTES = 65536;

/** One version of a secret value. */
export interface SecretVersion {
  readonly versionId: string;
  readonly secretString: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly stages: Set<string>;
}

/** A secret with its versions and tags. */
export interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  readonly createdAt: number;
  readonly versions: Map<string, SecretVersion>;
  readonly tags: Map<string, string>;
}

/** A secret to create before a test, with optional older versions. */
export interface SecretSeed {
  readonly name: string;
  /** The AWSCURRENT value. */
  readonly secretString: string;
  readonly tags?: Record<string, string>;
  /** Versions without staging labels created before the current one, each this many milliseconds ago. */
  readonly olderVersionAges?: number[];
}

/**
 * Secrets Manager's secret operations with AWS's state rules: staging labels, idempotent
 * `ClientRequestToken`, tag limits and the version quota.
 */
export class LocalSecretsManager {
  private readonly secrets = new Map<string, StoredSecret>();

  constructor(
    private readonly region: string,
    private readonly account: string,
  ) {}

  /** Creates a secret as CreateSecret would, and returns its full ARN. */
  public createSecret(seed: SecretSeed, now: number): string {
    // The ARN ends with a hyphen and six random characters, as in Secrets Manager.
    const suffix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
    const arn = `arn:aws:secretsmanager:${this.region}:${this.account}:secret:${seed.name}-${suffix}`;
    const secret: StoredSecret = {
      arn,
      name: seed.name,
      createdAt: now,
      versions: new Map(),
      tags: new Map(Object.entries(seed.tags ?? {})),
    };
    for (const age of seed.olderVersionAges ?? []) {
      const versionId = randomUUID();
      secret.versions.set(versionId, { versionId, secretString: '{}', createdAt: now - age, stages: new Set() });
    }
    const versionId = randomUUID();
    secret.versions.set(versionId, {
      versionId,
      secretString: seed.secretString,
      createdAt: now,
      stages: new Set([AWSCURRENT]),
    });
    this.secrets.set(arn, secret);
    return arn;
  }

  /** Returns the stored secret, for assertions. */
  public secret(secretId: string): StoredSecret {
    return this.find(secretId);
  }

  /** Returns the version that has a staging label, or undefined. */
  public versionWithStage(secretId: string, stage: string): SecretVersion | undefined {
    return [...this.find(secretId).versions.values()].find((version) => version.stages.has(stage));
  }

  public putSecretValue(principal: Principal, input: Record<string, unknown>, now: number): HttpReply {
    const secretId = requiredString(input, 'SecretId');
    const secretString = optionalString(input, 'SecretString');
    if (input.SecretBinary !== undefined && secretString !== undefined) {
      throw new AwsServiceError(
        'InvalidParameterException',
        "You can't specify both a binary secret value and a string secret value in the same secret.",
      );
    }
    if (secretString === undefined) {
      // SecretBinary is not implemented because the refresher never sends one.
      throw new AwsServiceError('InvalidParameterException', 'You must provide either SecretString or SecretBinary.');
    }
    if (Buffer.byteLength(secretString) > MAX_SECRET_STRING_BYTES) {
      throw validationError('SecretString', `Member must have length less than or equal to ${MAX_SECRET_STRING_BYTES}`);
    }
    const clientRequestToken = optionalString(input, 'ClientRequestToken') ?? randomUUID();
    if (clientRequestToken.length < 32 || clientRequestToken.length > 64) {
      throw validationError('clientRequestToken', 'Member must have length between 32 and 64');
    }
    const stagesInput = input.VersionStages;
    const stages = Array.isArray(stagesInput) ? stagesInput.map(String) : [AWSCURRENT];

    const secret = this.find(secretId);
    authorize(principal, { action: 'secretsmanager:PutSecretValue', resource: secret.arn, context: {} });

    // The version id is the ClientRequestToken, so a retried request finds its own version.
    const existing = secret.versions.get(clientRequestToken);
    if (existing) {
      if (existing.secretString !== secretString) {
        throw new AwsServiceError(
          'ResourceExistsException',
          "You can't modify an existing version, you can only create a new version.",
        );
      }
      return putReply(secret, existing);
    }

    this.pruneDeprecatedVersions(secret, now);
    if (secret.versions.size >= MAX_VERSIONS) {
      throw new AwsServiceError(
        'LimitExceededException',
        'The request failed because it would exceed one of the Secrets Manager quotas.',
      );
    }

    const version: SecretVersion = { versionId: clientRequestToken, secretString, createdAt: now, stages: new Set() };
    secret.versions.set(version.versionId, version);
    for (const stage of stages) {
      this.moveStage(secret, stage, version);
    }
    return putReply(secret, version);
  }

  public describeSecret(principal: Principal, input: Record<string, unknown>): HttpReply {
    const secret = this.find(requiredString(input, 'SecretId'));
    authorize(principal, { action: 'secretsmanager:DescribeSecret', resource: secret.arn, context: {} });
    const versionIdsToStages: Record<string, string[]> = {};
    for (const version of secret.versions.values()) {
      if (version.stages.size > 0) {
        versionIdsToStages[version.versionId] = [...version.stages];
      }
    }
    const lastChanged = Math.max(secret.createdAt, ...[...secret.versions.values()].map((version) => version.createdAt));
    return {
      status: 200,
      body: {
        ARN: secret.arn,
        Name: secret.name,
        CreatedDate: epochSeconds(secret.createdAt),
        LastChangedDate: epochSeconds(lastChanged),
        // Secrets Manager leaves Tags out when the secret has none.
        ...(secret.tags.size > 0
          ? { Tags: [...secret.tags.entries()].map(([key, value]) => ({ Key: key, Value: value })) }
          : {}),
        VersionIdsToStages: versionIdsToStages,
      },
    };
  }

  public tagResource(principal: Principal, input: Record<string, unknown>): HttpReply {
    const secret = this.find(requiredString(input, 'SecretId'));
    const tags = input.Tags;
    if (!Array.isArray(tags)) {
      throw validationError('tags', 'Member must not be null');
    }
    const parsed = tags.map((tag: { Key?: unknown; Value?: unknown }) => ({ key: String(tag.Key ?? ''), value: String(tag.Value ?? '') }));
    for (const { key, value } of parsed) {
      checkTag(key, value);
    }
    authorize(principal, {
      action: 'secretsmanager:TagResource',
      resource: secret.arn,
      context: { 'aws:TagKeys': parsed.map((tag) => tag.key) },
    });
    const merged = new Map(secret.tags);
    for (const { key, value } of parsed) {
      merged.set(key, value);
    }
    if (merged.size > MAX_TAGS) {
      // NOTE: the error name for too many tags is an assumption; AWS documents only the limit.
      throw new AwsServiceError('InvalidRequestException', `A secret can have at most ${MAX_TAGS} tags.`);
    }
    for (const { key, value } of parsed) {
      secret.tags.set(key, value);
    }
    return { status: 200, body: {} };
  }

  public getSecretValue(principal: Principal, input: Record<string, unknown>): HttpReply {
    const secret = this.find(requiredString(input, 'SecretId'));
    authorize(principal, { action: 'secretsmanager:GetSecretValue', resource: secret.arn, context: {} });
    const versionId = optionalString(input, 'VersionId');
    const stage = optionalString(input, 'VersionStage') ?? (versionId === undefined ? AWSCURRENT : undefined);
    const version = [...secret.versions.values()].find(
      (candidate) =>
        (versionId === undefined || candidate.versionId === versionId) && (stage === undefined || candidate.stages.has(stage)),
    );
    if (!version) {
      throw new AwsServiceError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value for staging label or version.",
      );
    }
    return {
      status: 200,
      body: {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        SecretString: version.secretString,
        VersionStages: [...version.stages],
        CreatedDate: epochSeconds(version.createdAt),
      },
    };
  }

  public listSecretVersionIds(principal: Principal, input: Record<string, unknown>): HttpReply {
    const secret = this.find(requiredString(input, 'SecretId'));
    authorize(principal, { action: 'secretsmanager:ListSecretVersionIds', resource: secret.arn, context: {} });
    const includeDeprecated = input.IncludeDeprecated === true;
    const versions = [...secret.versions.values()]
      .filter((version) => includeDeprecated || version.stages.size > 0)
      .map((version) => ({
        VersionId: version.versionId,
        VersionStages: [...version.stages],
        CreatedDate: epochSeconds(version.createdAt),
      }));
    return { status: 200, body: { ARN: secret.arn, Name: secret.name, Versions: versions } };
  }

  /** Finds a secret by full ARN or by name. */
  private find(secretId: string): StoredSecret {
    const secret = this.secrets.get(secretId) ?? [...this.secrets.values()].find((candidate) => candidate.name === secretId);
    if (!secret) {
      throw new AwsServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    }
    return secret;
  }

  /** Moves a staging label to a version; moving AWSCURRENT also moves AWSPREVIOUS to the old current version. */
  private moveStage(secret: StoredSecret, stage: string, target: SecretVersion): void {
    const holder = [...secret.versions.values()].find((version) => version.stages.has(stage));
    if (holder === target) {
      return;
    }
    holder?.stages.delete(stage);
    target.stages.add(stage);
    if (stage === AWSCURRENT && holder) {
      for (const version of secret.versions.values()) {
        version.stages.delete(AWSPREVIOUS);
      }
      holder.stages.add(AWSPREVIOUS);
    }
  }

  /** Removes versions without staging labels that are older than 24 hours while there are too many. */
  private pruneDeprecatedVersions(secret: StoredSecret, now: number): void {
    const removable = [...secret.versions.values()]
      .filter((version) => version.stages.size === 0 && now - version.createdAt > DAY_MILLIS)
      .sort((first, second) => first.createdAt - second.createdAt);
    for (const version of removable) {
      if (secret.versions.size < MAX_VERSIONS) {
        return;
      }
      secret.versions.delete(version.versionId);
    }
  }
}

function putReply(secret: StoredSecret, version: SecretVersion): HttpReply {
  return {
    status: 200,
    body: { ARN: secret.arn, Name: secret.name, VersionId: version.versionId, VersionStages: [...version.stages] },
  };
}

function checkTag(key: string, value: string): void {
  if (key.length < 1 || key.length > MAX_TAG_KEY_LENGTH) {
    throw new AwsServiceError('InvalidParameterException', `Tag key length must be 1 to ${MAX_TAG_KEY_LENGTH} characters.`);
  }
  if (value.length > MAX_TAG_VALUE_LENGTH) {
    throw new AwsServiceError('InvalidParameterException', `Tag value length must be at most ${MAX_TAG_VALUE_LENGTH} characters.`);
  }
  if (key.toLowerCase().startsWith('aws:')) {
    throw new AwsServiceError('InvalidParameterException', 'Tag keys that start with "aws:" are reserved for AWS use.');
  }
  if (!TAG_CHARACTERS.test(key) || !TAG_CHARACTERS.test(value)) {
    throw new AwsServiceError(
      'InvalidParameterException',
      'Tags may contain only letters, digits, spaces and the characters _ . : / = + - @.',
    );
  }
}

function requiredString(input: Record<string, unknown>, member: string): string {
  const value = input[member];
  if (typeof value !== 'string' || value === '') {
    throw validationError(member, 'Member must not be null');
  }
  return value;
}

function optionalString(input: Record<string, unknown>, member: string): string | undefined {
  const value = input[member];
  return typeof value === 'string' ? value : undefined;
}

function validationError(member: string, constraint: string): AwsServiceError {
  return new AwsServiceError(
    'ValidationException',
    `1 validation error detected: Value at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}
