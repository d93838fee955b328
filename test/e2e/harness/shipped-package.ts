import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Template } from './deployment';

/** Repository root, where `npm pack` runs. */
export const REPOSITORY_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Environment variable through which the jest global setup shares one directory per run. */
export const RUN_DIRECTORY_VARIABLE = 'CDK_CODEARTIFACT_TOKEN_SECRET_E2E_DIR';

const PACKAGE_NAME = 'cdk-codeartifact-token-secret';
/** The handler bundle, relative to the package root, as the bundle task writes it. */
const BUNDLE_PATH = 'assets/lambda/refresh-token/index/index.js';
const CONSUMER_APP = path.join(__dirname, '..', 'fixtures', 'consumer-app.js');
/** Maximum wait for another jest worker that packs and synthesizes. */
const PREPARE_TIMEOUT_MILLIS = 120_000;

/** The packed package, installed into a consumer app that synthesized the test stacks with it. */
export interface ShippedPackage {
  readonly tarballPath: string;
  /** Every entry of the tarball, such as `package/lib/index.js`. */
  readonly tarballEntries: string[];
  /** The package as installed in the consumer's `node_modules`. */
  readonly installedDir: string;
  /** The shipped handler bundle inside the installed package. */
  readonly bundlePath: string;
  readonly consumerDir: string;
  /** Cloud assembly that the consumer app wrote. */
  readonly assemblyDir: string;
  /** Templates of the consumer app's stacks, by stack name. */
  readonly templates: Record<string, Template>;
  /** Empty directory to use as HOME for processes that run the bundle. */
  readonly homeDir: string;
}

/**
 * Packs the package with `npm pack`, installs the tarball into a consumer directory and
 * synthesizes the consumer app there with plain `node`, once per jest run.
 *
 * The first caller does the work under a lock in the run directory; other jest workers wait
 * for its result. It needs `lib/` and the handler bundle built, as the build does before jest.
 */
export function shippedPackage(): ShippedPackage {
  const runDir = runDirectory();
  const resultPath = path.join(runDir, 'shipped-package.json');
  const failurePath = path.join(runDir, 'shipped-package-failure.txt');
  const lockPath = path.join(runDir, 'shipped-package.lock');

  if (fs.existsSync(resultPath)) {
    return JSON.parse(fs.readFileSync(resultPath, 'utf8')) as ShippedPackage;
  }
  try {
    fs.mkdirSync(lockPath);
  } catch {
    return waitForResult(resultPath, failurePath);
  }
  try {
    const result = prepare(runDir);
    fs.writeFileSync(`${resultPath}.tmp`, JSON.stringify(result));
    fs.renameSync(`${resultPath}.tmp`, resultPath);
    return result;
  } catch (error) {
    fs.writeFileSync(failurePath, error instanceof Error ? (error.stack ?? error.message) : String(error));
    throw error;
  }
}

function prepare(runDir: string): ShippedPackage {
  checkBuildOutputs(runDir);

  const packDir = path.join(runDir, 'pack');
  fs.mkdirSync(packDir, { recursive: true });
  // --offline keeps npm from reaching a registry; packing needs none.
  const packOutput = execFileSync(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--offline', '--pack-destination', packDir],
    { cwd: REPOSITORY_ROOT, encoding: 'utf8', env: npmEnvironment(runDir), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const [packed] = JSON.parse(packOutput) as Array<{ filename: string }>;
  const tarballPath = path.join(packDir, packed.filename);
  const tarballEntries = execFileSync('tar', ['-tzf', tarballPath], { encoding: 'utf8' }).split('\n').filter((line) => line !== '');

  // Installing means extracting into node_modules; the peer dependencies come from this
  // repository's node_modules, so nothing is downloaded.
  const consumerDir = path.join(runDir, 'consumer');
  const installedDir = path.join(consumerDir, 'node_modules', PACKAGE_NAME);
  fs.mkdirSync(installedDir, { recursive: true });
  execFileSync('tar', ['-xzf', tarballPath, '-C', installedDir, '--strip-components=1']);
  for (const peer of ['aws-cdk-lib', 'constructs']) {
    fs.symlinkSync(path.join(REPOSITORY_ROOT, 'node_modules', peer), path.join(consumerDir, 'node_modules', peer), 'dir');
  }
  fs.copyFileSync(CONSUMER_APP, path.join(consumerDir, 'app.js'));

  const assemblyDir = path.join(consumerDir, 'cdk.out');
  const homeDir = path.join(runDir, 'home');
  fs.mkdirSync(homeDir, { recursive: true });
  execFileSync(process.execPath, ['app.js', assemblyDir], {
    cwd: consumerDir,
    env: { PATH: process.env.PATH ?? '', HOME: homeDir },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const templates: Record<string, Template> = {};
  for (const file of fs.readdirSync(assemblyDir).filter((name) => name.endsWith('.template.json'))) {
    templates[file.replace(/\.template\.json$/, '')] = JSON.parse(fs.readFileSync(path.join(assemblyDir, file), 'utf8')) as Template;
  }

  return {
    tarballPath,
    tarballEntries,
    installedDir,
    bundlePath: path.join(installedDir, BUNDLE_PATH),
    consumerDir,
    assemblyDir,
    templates,
    homeDir,
  };
}

/**
 * Fails when the handler bundle or `lib/` is missing or out of date, because the tests would
 * otherwise run code that is not the code in the repository.
 */
function checkBuildOutputs(runDir: string): void {
  const bundle = path.join(REPOSITORY_ROOT, BUNDLE_PATH);
  if (!fs.existsSync(bundle)) {
    throw new Error(`Missing ${BUNDLE_PATH}; run \`npx projen bundle\` before the end-to-end tests.`);
  }
  // The bundle is checked by building it again with the bundle task's own esbuild arguments.
  const rebuilt = path.join(runDir, 'rebuilt-bundle.js');
  const [command, ...args] = bundleTaskArguments();
  execFileSync(
    path.join(REPOSITORY_ROOT, 'node_modules', '.bin', command),
    args.map((argument) => (argument.startsWith('--outfile=') ? `--outfile=${rebuilt}` : argument)),
    { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (!fs.readFileSync(rebuilt).equals(fs.readFileSync(bundle))) {
    throw new Error(`${BUNDLE_PATH} differs from a build of the current sources; run \`npx projen bundle\`.`);
  }

  // lib/ is compiled by jsii, which is too slow to repeat here, so file times decide, and only
  // with a warning: a source saved after the compile may well be unchanged.
  const library = path.join(REPOSITORY_ROOT, 'lib', 'index.js');
  if (!fs.existsSync(library)) {
    throw new Error('Missing lib/index.js; run `npx projen compile` before the end-to-end tests.');
  }
  const compiledAt = fs.statSync(library).mtimeMs;
  const newer = typeScriptFiles(path.join(REPOSITORY_ROOT, 'src')).find((file) => fs.statSync(file).mtimeMs > compiledAt);
  if (newer) {
    console.warn(
      `lib/ is older than ${path.relative(REPOSITORY_ROOT, newer)}, so the end-to-end tests may synthesize with an ` +
        'older construct; run `npx projen compile` first.',
    );
  }
}

/** Arguments of the projen task that writes the handler bundle, such as `esbuild --bundle …`. */
function bundleTaskArguments(): string[] {
  const tasksFile = path.join(REPOSITORY_ROOT, '.projen', 'tasks.json');
  const tasks = (JSON.parse(fs.readFileSync(tasksFile, 'utf8')) as { tasks: Record<string, { steps?: Array<{ execArgs?: string[] }> }> }).tasks;
  for (const task of Object.values(tasks)) {
    for (const step of task.steps ?? []) {
      const args = step.execArgs ?? [];
      if (args.includes(`--outfile=${BUNDLE_PATH}`) && !args.includes('--watch')) {
        return args;
      }
    }
  }
  throw new Error(`No task in .projen/tasks.json writes ${BUNDLE_PATH}.`);
}

function typeScriptFiles(directory: string): string[] {
  return fs
    .readdirSync(directory, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? typeScriptFiles(path.join(directory, entry.name))
        : entry.name.endsWith('.ts')
          ? [path.join(directory, entry.name)]
          : [],
    );
}

/** Environment of `npm pack`: the caller's, without update checks or audits that would go online. */
function npmEnvironment(runDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_cache: path.join(runDir, 'npm-cache'),
  };
}

/** Directory shared by the workers of one jest run, or a directory of this process. */
function runDirectory(): string {
  const shared = process.env[RUN_DIRECTORY_VARIABLE];
  if (shared) {
    return shared;
  }
  // Without the global setup (a runner other than this repository's jest config), each
  // process packs on its own and removes its directory when it exits.
  const own = fs.mkdtempSync(path.join(os.tmpdir(), `${PACKAGE_NAME}-e2e-`));
  process.env[RUN_DIRECTORY_VARIABLE] = own;
  process.once('exit', () => fs.rmSync(own, { recursive: true, force: true }));
  return own;
}

function waitForResult(resultPath: string, failurePath: string): ShippedPackage {
  const deadline = Date.now() + PREPARE_TIMEOUT_MILLIS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (Date.now() < deadline) {
    if (fs.existsSync(resultPath)) {
      return JSON.parse(fs.readFileSync(resultPath, 'utf8')) as ShippedPackage;
    }
    if (fs.existsSync(failurePath)) {
      throw new Error(`Another jest worker failed to pack and install the package:\n${fs.readFileSync(failurePath, 'utf8')}`);
    }
    Atomics.wait(pause, 0, 0, 100);
  }
  throw new Error(`Timed out after ${PREPARE_TIMEOUT_MILLIS} ms waiting for another jest worker to pack the package.`);
}
