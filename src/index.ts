export * from './codeartifact-token-secret';
export * from './repositories';
export * from './secret-fields';
