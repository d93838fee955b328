/**
 * Synth time and template size for 0 (the baseline), 1, 10, 33 and 50 token secrets in one stack.
 *
 * Every synth runs in a fresh process, once with aws-cdk-lib's built-in CloudFormation
 * validation at its default (on) and once with `CDK_VALIDATION=false`. The cloud assembly is
 * read afterwards for the template size, the resources and the file assets. 50 tokens exceed
 * CloudFormation's maximum of 500 resources per stack, so aws-cdk-lib rejects them at synth.
 * The script records that error, then times 50 tokens with the check turned off. 33 tokens is
 * the maximum that fits.
 *
 * Run: npx ts-node --project bench/tsconfig.json bench/synth.ts [runs per case, default 3]
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  formatKiB,
  formatMs,
  machineReport,
  makeScratchDir,
  markdownTable,
  REPO_ROOT,
  runNode,
  SHIPPED_BUNDLE,
  summarize,
  takeJson,
  writeResult,
} from './support';

const TOKEN_COUNTS = [0, 1, 10, 33, 50];

/** Token counts over CloudFormation's resource limit, synthesized with aws-cdk-lib's check off. */
const OVER_LIMIT = new Set([50]);
const STACK_NAME = 'Bench';

interface SynthSample {
  readonly loadMs: number;
  readonly constructMs: number;
  readonly synthMs: number;
  readonly maxRssKiB: number;
  readonly wallMs: number;
}

interface AssemblyFacts {
  readonly templateBytes: number;
  readonly resources: number;
  readonly resourcesByType: Record<string, number>;
  /** Entries under `files` in the asset manifest, the template itself included. */
  readonly fileAssets: number;
  /** File assets other than the template: the code that `cdk deploy` zips and uploads. */
  readonly codeAssets: number;
  readonly dockerImageAssets: number;
  readonly stagedAssetDirectories: number;
  readonly validationReport: boolean;
}

interface AssetManifest {
  files?: Record<string, { source: { path: string; packaging?: string } }>;
  dockerImages?: Record<string, unknown>;
}

function readAssembly(outdir: string): AssemblyFacts {
  const templateFile = path.join(outdir, `${STACK_NAME}.template.json`);
  const template = JSON.parse(fs.readFileSync(templateFile, 'utf8')) as { Resources?: Record<string, { Type: string }> };
  const resources = Object.values(template.Resources ?? {});
  const resourcesByType: Record<string, number> = {};
  for (const resource of resources) {
    resourcesByType[resource.Type] = (resourcesByType[resource.Type] ?? 0) + 1;
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, `${STACK_NAME}.assets.json`), 'utf8')) as AssetManifest;
  const files = Object.values(manifest.files ?? {});
  return {
    templateBytes: fs.statSync(templateFile).size,
    resources: resources.length,
    resourcesByType,
    fileAssets: files.length,
    codeAssets: files.filter((file) => file.source.path !== `${STACK_NAME}.template.json`).length,
    dockerImageAssets: Object.keys(manifest.dockerImages ?? {}).length,
    stagedAssetDirectories: fs.readdirSync(outdir).filter((name) => name.startsWith('asset.')).length,
    validationReport: fs.existsSync(path.join(outdir, 'validation-report.json')),
  };
}

/** Copies the parent's environment without the CDK and Node.js settings that change how synth runs. */
function synthEnvironment(validation: 'default' | 'off'): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('CDK_') && key !== 'NODE_ENV' && !key.startsWith('TS_NODE_')) {
      env[key] = value;
    }
  }
  env.TS_NODE_PROJECT = path.join(REPO_ROOT, 'bench', 'tsconfig.json');
  env.TS_NODE_TRANSPILE_ONLY = 'true';
  if (validation === 'off') {
    env.CDK_VALIDATION = 'false';
  }
  return env;
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`Invalid runs per case: received "${process.argv[2]}". Allowed: a whole number of 1 or more.`);
  }
  if (!fs.existsSync(SHIPPED_BUNDLE)) {
    throw new Error(`Missing ${path.relative(REPO_ROOT, SHIPPED_BUNDLE)}: run "npx projen bundle" first.`);
  }

  const scratch = makeScratchDir('bench-synth');
  try {
    const resultFile = path.join(scratch, 'result.json');
    const driver = path.join(__dirname, 'child', 'synth-app.ts');
    const cases = TOKEN_COUNTS.flatMap((tokens) => (['default', 'off'] as const).map((validation) => ({ tokens, validation })));
    const samples = new Map<string, SynthSample[]>(cases.map((c) => [`${c.tokens}/${c.validation}`, []]));
    const facts = new Map<number, AssemblyFacts>();

    // 50 tokens with aws-cdk-lib's defaults: the synth error is the result.
    const overLimitOutdir = path.join(scratch, 'out-over-limit');
    const overLimitError = await runNode(['-r', 'ts-node/register/transpile-only', driver, '50', overLimitOutdir, resultFile], synthEnvironment('default'), {
      timeoutMs: 300_000,
    }).then(
      () => 'none: synth succeeded',
      (error: Error) => /«TooManyResourcesInStack»[^\n]*/.exec(error.message)?.[0] ?? error.message.split('\n')[1],
    );

    for (let round = 0; round < runs; round++) {
      for (const { tokens, validation } of cases) {
        const outdir = path.join(scratch, `out-${tokens}-${validation}-${round}`);
        const limitOption = OVER_LIMIT.has(tokens) ? 'no-resource-limit' : '';
        const run = await runNode(
          ['-r', 'ts-node/register/transpile-only', driver, String(tokens), outdir, resultFile, limitOption],
          synthEnvironment(validation),
          { timeoutMs: 300_000 },
        );
        samples.get(`${tokens}/${validation}`)!.push({ ...takeJson<Omit<SynthSample, 'wallMs'>>(resultFile), wallMs: run.wallMs });
        if (validation === 'default' && !facts.has(tokens)) {
          facts.set(tokens, readAssembly(outdir));
        }
        fs.rmSync(outdir, { recursive: true, force: true });
      }
    }

    const median = (tokens: number, validation: 'default' | 'off', pick: (s: SynthSample) => number) =>
      summarize(samples.get(`${tokens}/${validation}`)!.map(pick)).median;

    const timeTable = markdownTable(
      [
        'tokens',
        'constructs ms',
        'app.synth() ms, validation on (default)',
        'app.synth() ms, CDK_VALIDATION=false',
        'load aws-cdk-lib + src ms',
        'spawn to exit ms (validation on)',
        'maxRSS MiB (validation on)',
      ],
      TOKEN_COUNTS.map((tokens) => [
        OVER_LIMIT.has(tokens) ? `${tokens} (resource limit check off)` : String(tokens),
        formatMs(median(tokens, 'default', (s) => s.constructMs)),
        formatMs(median(tokens, 'default', (s) => s.synthMs)),
        formatMs(median(tokens, 'off', (s) => s.synthMs)),
        formatMs(median(tokens, 'default', (s) => s.loadMs)),
        formatMs(median(tokens, 'default', (s) => s.wallMs)),
        (median(tokens, 'default', (s) => s.maxRssKiB) / 1024).toFixed(0),
      ]),
    );
    const sizeTable = markdownTable(
      ['tokens', 'template bytes', 'resources', 'file assets (template included)', 'code assets', 'staged asset.* directories', 'Docker image assets'],
      TOKEN_COUNTS.map((tokens) => {
        const f = facts.get(tokens)!;
        return [
          OVER_LIMIT.has(tokens) ? `${tokens} (resource limit check off)` : String(tokens),
          `${f.templateBytes} (${formatKiB(f.templateBytes)})`,
          String(f.resources),
          String(f.fileAssets),
          String(f.codeAssets),
          String(f.stagedAssetDirectories),
          String(f.dockerImageAssets),
        ];
      }),
    );

    // Per-token figures come from 1 and 33 tokens, the maximum that CloudFormation accepts in one stack.
    const singleToken = facts.get(1)!;
    const largestAccepted = facts.get(33)!;
    const span = 33 - 1;
    const perTokenBytes = (largestAccepted.templateBytes - singleToken.templateBytes) / span;
    const perTokenResources = (largestAccepted.resources - singleToken.resources) / span;
    const constructAndSynth = (tokens: number, validation: 'default' | 'off') => median(tokens, validation, (s) => s.synthMs + s.constructMs);
    const perTokenSynthMs = (constructAndSynth(33, 'default') - constructAndSynth(1, 'default')) / span;
    const perTokenSynthMsOff = (constructAndSynth(33, 'off') - constructAndSynth(1, 'off')) / span;
    const maxTokens = Math.floor((500 - facts.get(0)!.resources) / perTokenResources);
    const typesOfOne = Object.entries(singleToken.resourcesByType)
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([type, count]) => `${type} ×${count}`)
      .join(', ');

    console.log('## Synth scaling\n');
    console.log(machineReport(['aws-cdk-lib', 'constructs', 'ts-node']));
    console.log(`\n${runs} runs per case, each in a fresh process; medians. The stack has no env (account and Region unresolved).`);
    console.log('Validation "on" is aws-cdk-lib\'s default: its CloudFormation validator runs at every synth and reports warnings.\n');
    console.log(timeTable);
    console.log('');
    console.log(sizeTable);
    console.log(`\nPer token (from 1 to 33 tokens): ${perTokenResources.toFixed(1)} resources, ${perTokenBytes.toFixed(0)} template bytes, ` +
      `${formatMs(perTokenSynthMs)} ms of construct + synth time with validation on, ${formatMs(perTokenSynthMsOff)} ms with it off.`);
    console.log(`Resources of one token: ${typesOfOne}.`);
    console.log(`Maximum tokens in one stack under CloudFormation's limit of 500 resources: ${maxTokens}.`);
    console.log(`50 tokens with aws-cdk-lib's defaults fail at synth: ${overLimitError}`);
    console.log(`Validation report written to the assembly: ${singleToken.validationReport ? 'yes' : 'no'}.`);

    writeResult('synth', {
      runs,
      facts: Object.fromEntries(facts),
      samples: Object.fromEntries(samples),
      overLimitError,
      maxTokens,
      perToken: { resources: perTokenResources, templateBytes: perTokenBytes, synthMs: perTokenSynthMs, synthMsValidationOff: perTokenSynthMsOff },
    });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
