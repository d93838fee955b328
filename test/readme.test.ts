import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..');

/** Declarations every README snippet may use, as a CDK app's stack would have them. */
const PRELUDE = `
import { Stack } from 'aws-cdk-lib';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  CodeArtifactTokenSecret,
  EndpointType,
  PackageFormat,
  RepositoryField,
  SecretField,
} from 'cdk-codeartifact-token-secret';

declare const container: ecs.ContainerDefinition;
declare const topic: sns.ITopic;
declare const buildSpec: codebuild.BuildSpec;
declare let token: CodeArtifactTokenSecret;
`;

function readmeSnippets(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
}

/** Wraps a snippet in a stack constructor of its own, so `this` is a stack and names do not clash. */
function asStackBody(snippet: string, index: number): string {
  const body = snippet
    .split('\n')
    .filter((line) => !line.startsWith('import '))
    .join('\n');
  return `class Snippet${index} extends Stack {\n  constructor() {\n    super();\n${body}\n  }\n}\nvoid Snippet${index};\n`;
}

describe('README', () => {
  test('has TypeScript snippets', () => {
    expect(readmeSnippets().length).toBeGreaterThanOrEqual(8);
  });

  test('every snippet compiles', () => {
    // Inside the repository, so the snippets resolve aws-cdk-lib from its node_modules.
    fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(ROOT, '.tmp', 'readme-snippets-'));
    const file = path.join(dir, 'snippets.ts');
    fs.writeFileSync(file, PRELUDE + readmeSnippets().map(asStackBody).join('\n'));

    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [path.join(ROOT, 'node_modules', '@types')],
      paths: { 'cdk-codeartifact-token-secret': [path.join(ROOT, 'src', 'index.ts')] },
    });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));

    fs.rmSync(dir, { recursive: true, force: true });

    expect(diagnostics).toEqual([]);
  });
});
