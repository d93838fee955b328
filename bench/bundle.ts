/**
 * Bundle size and cold load of the refresher handler.
 *
 * Compares the shipped bundle, which prefers the ES module builds of npm packages, with the same
 * handler built four other ways. They are the shipped settings with CommonJS builds first (the
 * bundle shipped before), esbuild's defaults, the handler with every npm package loaded from
 * node_modules, and the AWS SDK left to the Lambda runtime. Each variant is loaded with
 * `require()` in fresh Node.js processes, round-robin, and never invoked.
 *
 * Run: npx ts-node --project bench/tsconfig.json bench/bundle.ts [runs per variant, default 20]
 */
import * as fs from 'fs';
import * as path from 'path';
import * as esbuild from 'esbuild';
import {
  buildHandler,
  COMMONJS_FIRST_ESBUILD_OPTIONS,
  compileChildScript,
  formatKiB,
  formatMs,
  formatRatio,
  gzipSize,
  handlerEnvironment,
  machineReport,
  makeScratchDir,
  markdownTable,
  REPO_ROOT,
  runNode,
  SHIPPED_BUNDLE,
  SHIPPED_ESBUILD_OPTIONS,
  startRejectingServer,
  summarize,
  takeJson,
  writeResult,
} from './support';

interface Variant {
  readonly name: string;
  readonly description: string;
  /** The file that `require()` loads; undefined for the Node.js baseline. */
  readonly entry?: string;
  /** Whether npm packages stay outside the file and are read from node_modules at load time. */
  readonly loadsNodeModules: boolean;
}

interface LoadSample {
  readonly requireMs: number;
  readonly uptimeMs: number;
  readonly maxRssKiB: number;
  readonly wallMs: number;
}

interface SizeRow {
  readonly files: number;
  readonly rawBytes: number;
  readonly gzipBytes: number;
}

/** Builds every variant into the scratch directory and checks the shipped one is reproduced. */
function buildVariants(scratch: string): {
  variants: Variant[];
  reproduced: boolean;
  shippedMetafile: esbuild.Metafile;
  commonJsFirstMetafile: esbuild.Metafile;
} {
  const rebuilt = path.join(scratch, 'rebuilt', 'index.js');
  const shippedMetafile = buildHandler(rebuilt, SHIPPED_ESBUILD_OPTIONS);
  const reproduced = fs.readFileSync(rebuilt).equals(fs.readFileSync(SHIPPED_BUNDLE));

  const defaults = path.join(scratch, 'esbuild-defaults', 'index.js');
  buildHandler(defaults, { bundle: true, platform: 'node' });

  // Project files in one file, every npm package required from node_modules: what the
  // handler costs to load without a bundler.
  const unbundled = path.join(scratch, 'unbundled', 'index.js');
  buildHandler(unbundled, { bundle: true, platform: 'node', target: 'node24', packages: 'external' });

  const runtimeSdk = path.join(scratch, 'runtime-sdk', 'index.js');
  buildHandler(runtimeSdk, { ...SHIPPED_ESBUILD_OPTIONS, external: ['@aws-sdk/*'] });

  const commonJsFirst = path.join(scratch, 'commonjs-first', 'index.js');
  const commonJsFirstMetafile = buildHandler(commonJsFirst, COMMONJS_FIRST_ESBUILD_OPTIONS);

  return {
    reproduced,
    shippedMetafile,
    commonJsFirstMetafile,
    variants: [
      { name: 'Node.js alone', description: 'no module loaded: the cost of starting Node.js', loadsNodeModules: false },
      {
        name: 'shipped',
        description: 'minified, target node24, every package bundled, ES module builds first (`mainFields: [module, main]`)',
        entry: SHIPPED_BUNDLE,
        loadsNodeModules: false,
      },
      {
        name: 'before: CommonJS builds',
        description: 'shipped settings with esbuild\'s node default `mainFields: [main, module]`, the bundle shipped before',
        entry: commonJsFirst,
        loadsNodeModules: false,
      },
      { name: '(a) esbuild defaults', description: '`--bundle --platform=node`, nothing else: no minify, target esnext', entry: defaults, loadsNodeModules: false },
      { name: '(b) unbundled SDK', description: 'handler files bundled, every npm package loaded from node_modules', entry: unbundled, loadsNodeModules: true },
      { name: 'SDK from runtime', description: 'shipped settings with `@aws-sdk/*` external, loaded here from node_modules', entry: runtimeSdk, loadsNodeModules: true },
    ],
  };
}

function sizeOfFiles(files: string[]): SizeRow {
  let rawBytes = 0;
  let gzipBytes = 0;
  for (const file of files) {
    const content = fs.readFileSync(file);
    rawBytes += content.length;
    gzipBytes += gzipSize(content);
  }
  return { files: files.length, rawBytes, gzipBytes };
}

/** Packages of a bundle by bytes in the output, largest first, from esbuild's metafile. */
function bundleComposition(metafile: esbuild.Metafile): [string, number][] {
  const output = Object.values(metafile.outputs)[0];
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    const key = match ? match[1] : '(handler and src/)';
    byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
  }
  return [...byPackage.entries()].sort((a, b) => b[1] - a[1]);
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 20);
  if (!Number.isInteger(runs) || runs < 3) {
    throw new Error(`Invalid runs per variant: received "${process.argv[2]}". Allowed: a whole number of 3 or more.`);
  }
  if (!fs.existsSync(SHIPPED_BUNDLE)) {
    throw new Error(`Missing ${path.relative(REPO_ROOT, SHIPPED_BUNDLE)}: run "npx projen bundle" first.`);
  }

  const scratch = makeScratchDir('bench-bundle');
  const server = await startRejectingServer();
  try {
    const loader = compileChildScript('load-module', scratch);
    const { variants, reproduced, shippedMetafile, commonJsFirstMetafile } = buildVariants(scratch);
    const env = handlerEnvironment(server.url);
    const resultFile = path.join(scratch, 'result.json');

    const load = async (variant: Variant, listFiles = false) => {
      const run = await runNode([loader, variant.entry ?? 'none', resultFile, listFiles ? 'list-files' : ''], env);
      const sample = takeJson<LoadSample & { loadedFiles?: string[] }>(resultFile);
      return { ...sample, wallMs: run.wallMs };
    };

    // Sizes: the file itself, plus for variants that read node_modules every file that
    // require() loaded from disk.
    const sizes = new Map<string, SizeRow>();
    for (const variant of variants) {
      if (!variant.entry) {
        continue;
      }
      let files = [variant.entry];
      if (variant.loadsNodeModules) {
        const listed = await load(variant, true);
        files = (listed.loadedFiles ?? []).filter((file) => file !== loader && fs.existsSync(file));
      }
      sizes.set(variant.name, sizeOfFiles(files));
    }

    // One discarded round warms the page cache, then rounds run the variants in turn.
    const samples = new Map<string, LoadSample[]>(variants.map((variant) => [variant.name, []]));
    for (let round = -1; round < runs; round++) {
      for (const variant of variants) {
        const sample = await load(variant);
        if (round >= 0) {
          samples.get(variant.name)!.push(sample);
        }
      }
    }
    if (server.requestCount() !== 0) {
      throw new Error(`Loading the bundles sent ${server.requestCount()} requests to the local server; expected none.`);
    }

    const stats = variants.map((variant) => {
      const list = samples.get(variant.name)!;
      return {
        variant,
        size: sizes.get(variant.name),
        requireMs: summarize(list.map((sample) => sample.requireMs)),
        uptimeMs: summarize(list.map((sample) => sample.uptimeMs)),
        wallMs: summarize(list.map((sample) => sample.wallMs)),
        maxRssMiB: summarize(list.map((sample) => sample.maxRssKiB / 1024)),
      };
    });
    const shipped = stats.find((row) => row.variant.name === 'shipped')!;

    const sizeTable = markdownTable(
      ['variant', 'how it is built', 'files', 'raw', 'gzip (per file, level 9)', 'raw vs shipped'],
      stats
        .filter((row) => row.size)
        .map((row) => [
          row.variant.name,
          row.variant.description,
          String(row.size!.files),
          formatKiB(row.size!.rawBytes),
          formatKiB(row.size!.gzipBytes),
          formatRatio(row.size!.rawBytes, shipped.size!.rawBytes),
        ]),
    );
    const loadTable = markdownTable(
      ['variant', 'require() median ms (p25–p75)', 'vs shipped', 'process start to loaded, median ms', 'spawn to exit, median ms', 'maxRSS median MiB'],
      stats.map((row) => [
        row.variant.name,
        `${formatMs(row.requireMs.median)} (${formatMs(row.requireMs.p25)}–${formatMs(row.requireMs.p75)})`,
        row.variant.entry ? formatRatio(row.requireMs.median, shipped.requireMs.median) : '–',
        formatMs(row.uptimeMs.median),
        formatMs(row.wallMs.median),
        row.maxRssMiB.median.toFixed(1),
      ]),
    );
    const describeComposition = (metafile: esbuild.Metafile) =>
      bundleComposition(metafile)
        .slice(0, 10)
        .map(([name, bytes]) => `${name} ${formatKiB(bytes)}`)
        .join(', ');

    console.log('## Bundle size and cold load\n');
    console.log(machineReport(['esbuild', '@aws-sdk/client-codeartifact', '@aws-sdk/client-secrets-manager', '@aws-sdk/client-sts', '@aws-lambda-powertools/logger']));
    console.log(`\nShipped bundle reproduced byte for byte with the bundle task's settings: ${reproduced ? 'yes' : 'NO'}.`);
    console.log(`${runs} loads per variant, each in a fresh process, round-robin after one discarded round.\n`);
    console.log(sizeTable);
    console.log('');
    console.log(loadTable);
    console.log(`\nLargest parts of the shipped bundle (bytes in the output): ${describeComposition(shippedMetafile)}.`);
    console.log(`Largest parts of the CommonJS-first bundle: ${describeComposition(commonJsFirstMetafile)}.`);

    writeResult('bundle', {
      runs,
      reproduced,
      variants: stats.map((row) => ({
        name: row.variant.name,
        description: row.variant.description,
        size: row.size,
        requireMs: row.requireMs,
        uptimeMs: row.uptimeMs,
        wallMs: row.wallMs,
        maxRssMiB: row.maxRssMiB,
      })),
    });
  } finally {
    await server.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
