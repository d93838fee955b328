import * as fs from 'fs';
import * as path from 'path';
import { REPOSITORY_ROOT, ShippedPackage, shippedPackage } from './harness/shipped-package';

const PREPARE_TIMEOUT_MILLIS = 120_000;
const SHIPPED_BUNDLE = 'package/assets/lambda/refresh-token/index/index.js';

let shipped: ShippedPackage;

beforeAll(() => {
  shipped = shippedPackage();
}, PREPARE_TIMEOUT_MILLIS);

describe('packed tarball', () => {
  test('contains the handler bundle', () => {
    expect(shipped.tarballEntries).toContain(SHIPPED_BUNDLE);
    expect(shipped.tarballEntries).toContain('package/lib/index.js');
    expect(shipped.tarballEntries).toContain('package/lib/index.d.ts');
  });

  test('contains no TypeScript sources', () => {
    const sources = shipped.tarballEntries.filter((entry) => entry.endsWith('.ts') && !entry.endsWith('.d.ts'));
    expect(sources).toEqual([]);
    for (const folder of ['lambda', 'src', 'test', 'examples', 'bench']) {
      expect(shipped.tarballEntries.filter((entry) => entry.startsWith(`package/${folder}/`))).toEqual([]);
    }
  });

  test('bundle is the one built here', () => {
    const built = fs.readFileSync(path.join(REPOSITORY_ROOT, 'assets', 'lambda', 'refresh-token', 'index', 'index.js'));
    expect(fs.readFileSync(shipped.bundlePath).equals(built)).toBe(true);
  });
});

describe('consumer app', () => {
  test('synthesizes every stack', () => {
    expect(Object.keys(shipped.templates).sort()).toEqual([
      'CrossAccountDomain',
      'DualStackSettings',
      'MintingRole',
      'OtherRegionDomain',
      'OtherRegionMintingRole',
      'PackageSettings',
      'ParameterDomain',
      'SameAccountDomain',
    ]);
  });

  test('function code is the shipped bundle', () => {
    const template = shipped.templates.SameAccountDomain;
    const functions = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(1);
    const code = functions[0].Properties?.Code as { S3Key: string };
    const assetHash = code.S3Key.replace(/\.zip$/, '');

    const manifest = JSON.parse(fs.readFileSync(path.join(shipped.assemblyDir, 'SameAccountDomain.assets.json'), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging: string } }>;
    };
    const asset = manifest.files[assetHash];
    expect(asset.source.packaging).toBe('zip');
    const stagedDir = path.join(shipped.assemblyDir, asset.source.path);
    expect(fs.readdirSync(stagedDir)).toEqual(['index.js']);
    expect(fs.readFileSync(path.join(stagedDir, 'index.js')).equals(fs.readFileSync(shipped.bundlePath))).toBe(true);
    expect(functions[0].Properties?.Handler).toBe('index.handler');
  });

  test('installs the tarball, not a link', () => {
    const installed = path.join(shipped.consumerDir, 'node_modules', 'cdk-codeartifact-token-secret');
    expect(fs.lstatSync(installed).isSymbolicLink()).toBe(false);
    expect(fs.existsSync(path.join(installed, 'lib', 'index.js'))).toBe(true);
    expect(fs.existsSync(path.join(installed, 'lambda'))).toBe(false);
  });
});
