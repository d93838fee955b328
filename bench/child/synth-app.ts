/**
 * Synthesizes one stack with N token secrets in a fresh process and writes the time of each
 * phase to a JSON file. Runs under ts-node, because it loads the construct from src/.
 *
 * Usage: node -r ts-node/register/transpile-only bench/child/synth-app.ts <tokens> <outdir> <result file> [no-resource-limit]
 *
 * With `no-resource-limit`, the app turns off aws-cdk-lib's check of CloudFormation's limit of
 * 500 resources per stack, so synth time can be measured for stacks that could not be deployed.
 */
import { writeFileSync } from 'fs';

const [tokensText, outdir, resultFile, limitOption] = process.argv.slice(2);
const tokens = Number(tokensText);
if (!Number.isInteger(tokens) || tokens < 0 || !outdir || !resultFile) {
  throw new Error('Usage: synth-app.ts <tokens, a whole number> <outdir> <result file> [no-resource-limit]');
}

const ms = (): number => Number(process.hrtime.bigint()) / 1e6;

const started = ms();
// Loaded here rather than with import statements, so their load time is measured apart.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cdk = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CodeArtifactTokenSecret } = require('../../src') as typeof import('../../src');
const loaded = ms();

const context = limitOption === 'no-resource-limit' ? { '@aws-cdk/core:stackResourceLimit': 0 } : {};
const app = new cdk.App({ outdir, context });
const stack = new cdk.Stack(app, 'Bench');
for (let i = 1; i <= tokens; i++) {
  new CodeArtifactTokenSecret(stack, `T${i}`, { domain: `d${i}` });
}
const constructed = ms();

app.synth();
const synthesized = ms();

writeFileSync(
  resultFile,
  JSON.stringify({
    loadMs: loaded - started,
    constructMs: constructed - loaded,
    synthMs: synthesized - constructed,
    maxRssKiB: process.resourceUsage().maxRSS,
  }),
);
