import { RepositoryField, TokenRepository } from '../repositories';
import { SecretField } from '../secret-fields';

/** Fields that the refresher stores for a repository of each format. */
const FIELDS_BY_FORMAT: Record<string, string[]> = {
  npm: [RepositoryField.NPM_REGISTRY, RepositoryField.NPMRC],
  pypi: [RepositoryField.PIP_INDEX_URL, RepositoryField.TWINE_REPOSITORY_URL],
  maven: [RepositoryField.MAVEN_REPOSITORY_URL],
  nuget: [RepositoryField.NUGET_SOURCE_URL],
};

/** Returns every JSON key that the secret value holds for these repositories. */
export function secretKeys(repositories: TokenRepository[] | undefined): string[] {
  const keys: string[] = [
    SecretField.TOKEN,
    SecretField.EXPIRATION,
    SecretField.DOMAIN,
    SecretField.DOMAIN_OWNER,
    SecretField.REGION,
    SecretField.USERNAME,
  ];
  for (const { repositoryName, format } of repositories ?? []) {
    if (format === undefined) {
      continue;
    }
    for (const field of [RepositoryField.ENDPOINT, ...(FIELDS_BY_FORMAT[format] ?? [])]) {
      keys.push(RepositoryField.key(repositoryName, field));
    }
  }
  return keys;
}
