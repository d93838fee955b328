import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// The runtime script that runs the shipped bundle is itself checked here, with small handlers,
// because every end-to-end test relies on its deadline and on its network guard.

const RUNTIME_SCRIPT = path.join(__dirname, 'fixtures', 'lambda-runtime.js');
const RESULT_PREFIX = 'E2E_INVOCATION_RESULT ';

/** A handler that tries every way out of the process, towards a loopback address that is not 127.0.0.1. */
const CONNECTING_HANDLER = `
const http = require('http');
const net = require('net');
const outcome = (promise) => promise.then(() => 'connected', (error) => (error.cause ?? error).message);
exports.handler = async () => [
  await outcome(new Promise((resolve, reject) => http.get('http://127.0.0.2:9999/', resolve).on('error', reject))),
  await outcome(fetch('http://127.0.0.2:9999/')),
  await outcome(new Promise((resolve, reject) => net.connect(9999, '127.0.0.2', resolve).on('error', reject))),
];
`;

const HANGING_HANDLER = 'exports.handler = () => new Promise(() => {});';

let taskRoot: string;

beforeEach(() => {
  taskRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-runtime-test-'));
});

afterEach(() => {
  fs.rmSync(taskRoot, { recursive: true, force: true });
});

function runHandler(
  source: string,
  remainingMillis: number,
  endpoint = 'http://127.0.0.1:1',
  endpointVariables: Record<string, string | undefined> = {},
) {
  fs.writeFileSync(path.join(taskRoot, 'index.js'), source);
  const result = spawnSync(process.execPath, [RUNTIME_SCRIPT], {
    cwd: taskRoot,
    input: JSON.stringify({ context: {}, invocations: [{ event: {}, remainingMillis }] }),
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: taskRoot,
      _HANDLER: 'index.handler',
      LAMBDA_TASK_ROOT: taskRoot,
      AWS_ENDPOINT_URL: endpoint,
      AWS_ENDPOINT_URL_CODEARTIFACT: endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
      AWS_ENDPOINT_URL_STS: endpoint,
      ...endpointVariables,
      AWS_ACCESS_KEY_ID: 'ASIAFAKEFAKEFAKEFAKE',
      AWS_SECRET_ACCESS_KEY: 'fake',
      AWS_SESSION_TOKEN: 'fake',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    timeout: 20_000,
  });
  const resultLine = result.stdout.split('\n').find((line) => line.startsWith(RESULT_PREFIX));
  return {
    status: result.status,
    stderr: result.stderr,
    result: resultLine === undefined ? undefined : (JSON.parse(resultLine.slice(RESULT_PREFIX.length)) as Record<string, unknown>),
  };
}

describe('lambda runtime script', () => {
  test('blocks connections to other hosts', () => {
    const run = runHandler(CONNECTING_HANDLER, 5000);

    expect(run.status).toBe(0);
    expect(run.result?.value).toEqual([
      'lambda-runtime blocked a connection to 127.0.0.2',
      'lambda-runtime blocked a connection to 127.0.0.2',
      'lambda-runtime blocked a connection to 127.0.0.2',
    ]);
  });

  test('stops a handler at its deadline', () => {
    const run = runHandler(HANGING_HANDLER, 300);

    expect(run.status).toBe(0);
    expect(run.result?.outcome).toBe('timed-out');
  });

  test('rejects a non-local endpoint', () => {
    const run = runHandler(HANGING_HANDLER, 300, 'http://127.0.0.2:1');

    expect(run.status).toBe(2);
    expect(run.result).toBeUndefined();
    expect(run.stderr).toContain('AWS_ENDPOINT_URL must be http://127.0.0.1:PORT');
  });

  test('rejects a missing STS endpoint', () => {
    const run = runHandler(HANGING_HANDLER, 300, undefined, { AWS_ENDPOINT_URL_STS: undefined });

    expect(run.status).toBe(2);
    expect(run.result).toBeUndefined();
    expect(run.stderr).toContain('AWS_ENDPOINT_URL_STS must be http://127.0.0.1:PORT');
  });
});
