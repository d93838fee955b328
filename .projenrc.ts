import { awscdk, javascript, JsonFile } from 'projen';

// Lambda runtime of the refresher; the bundle targets the same Node.js major.
const HANDLER_NODE_TARGET = 'node24';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-codeartifact-token-secret',
  description:
    'AWS CDK construct that keeps a fresh AWS CodeArtifact authorization token in an AWS Secrets Manager secret.',
  keywords: ['aws-cdk', 'cdk', 'codeartifact', 'secretsmanager', 'ecs', 'npm', 'pip'],
  author: 'cdk-codeartifact-token-secret maintainers',
  authorAddress: 'maintainers@example.com',
  repositoryUrl: 'https://example.com/cdk-codeartifact-token-secret.git',
  defaultReleaseBranch: 'main',
  projenrcTs: true,
  // yarn is not installed on the build machines; npm is.
  packageManager: javascript.NodePackageManager.NPM,

  // Lowest aws-cdk-lib with Runtime.NODEJS_24_X, the newest API the construct uses.
  cdkVersion: '2.224.0',
  // The peer range starts at that minimum, while the build and the tests use a newer 2.x:
  // cdk-nag 3 needs 2.257.0 or later, and the offline template validator is recent.
  peerDependencyOptions: { pinnedDevDependency: false },
  jsiiVersion: '~5.9.0',

  // Builds and checks run from .ci/run, not from hosted workflows.
  github: false,
  release: false,
  // Python, Java, .NET and Go packaging need registries that are not reachable offline.

  devDeps: [
    'aws-cdk-lib@^2.278.0',
    'constructs@^10.5.1',
    // Bundled into the handler by esbuild at build time, so not runtime dependencies.
    '@aws-sdk/client-codeartifact@^3',
    '@aws-sdk/client-secrets-manager@^3',
    '@aws-sdk/client-sts@^3',
    '@aws-lambda-powertools/logger@^2',
    '@aws-lambda-powertools/metrics@^2',
    '@types/aws-lambda',
    // Handler tests and the local AWS endpoints of the end-to-end suite.
    'aws-sdk-client-mock@^4',
    'aws-sdk-client-mock-jest@^4',
    // Template checks: AwsSolutions rules and the Control Tower proactive rules.
    'cdk-nag@^3',
    '@cdklabs/cdk-validator-cfnguard',
  ],

  jestOptions: {
    // projen's default rewrites snapshots on every run, so they could never fail.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      // One temporary directory per run, where the end-to-end tests pack the package once.
      globalSetup: '<rootDir>/test/e2e/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/e2e/harness/global-teardown.ts',
    },
  },

  gitignore: ['cdk.out/', '/.tmp/'],
});

// The handler ships only as its bundle under assets/; sources, examples and tooling stay out.
for (const pattern of ['/lambda/', '/examples/', '/bench/', '/.ci/', '/cdk.out/', '/.tmp/', '/docs/', '/scripts/']) {
  project.addPackageIgnore(pattern);
}

project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');

// The refresher ships as one prebuilt file, so consumers need neither esbuild nor Docker at synth.
project.bundler.addBundle('lambda/refresh-token/index.ts', {
  platform: 'node',
  target: HANDLER_NODE_TARGET,
  // The AWS SDK is bundled, so the function runs the SDK version the tests ran against.
  externals: [],
  // The SDK's ES module builds tree-shake better than its CommonJS ones: docs/BENCHMARKS.md
  // measured a 30 % smaller bundle that loads a third faster.
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: false,
});

// Type-checked folders outside src/ and test/. Each gets a tsconfig of its own, so eslint
// and ts-node find one, and none of them is compiled into lib/.
for (const folder of ['lambda', 'examples', 'bench']) {
  new JsonFile(project, `${folder}/tsconfig.json`, {
    obj: {
      extends: '../tsconfig.json',
      compilerOptions: { noEmit: true, rootDir: '..' },
      include: ['**/*.ts', '../src/**/*.ts'],
    },
  });
  project.eslint?.addLintPattern(folder);
  // The handler bundles its SDK clients, and examples and benchmarks are not shipped.
  project.eslint?.allowDevDeps(`${folder}/**`);
}

project.addTask('synth:example', {
  description: 'Synthesizes the example ECS app into cdk.out/example',
  steps: [
    { spawn: 'bundle' },
    { exec: 'ts-node --project examples/tsconfig.json examples/ecs-fargate/app.ts' },
  ],
});

// Benchmarks measure the machine they run on, so they are scripts for people and never run in CI.
// bench/cost.ts reads the refresh timings that bench/refresh.ts writes, so it runs after it.
project.addTask('bench', {
  description: 'Runs the benchmarks in bench/ (about 3 minutes on 2 cores); docs/BENCHMARKS.md records results',
  steps: [
    { spawn: 'bundle' },
    ...['bundle', 'refresh', 'synth', 'freshness', 'cost'].map((name) => ({
      exec: `ts-node --project bench/tsconfig.json bench/${name}.ts`,
    })),
  ],
});

project.synth();
