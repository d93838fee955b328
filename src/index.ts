export * from './codeartifact-token-secret';
export * from './secret-fields';
