/**
 * Helpers shared by the benchmark scripts: statistics, Markdown output, child processes with
 * an environment built from scratch, and a local HTTP server that rejects every request.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import * as esbuild from 'esbuild';

export const REPO_ROOT = path.resolve(__dirname, '..');

/** The bundle that the package ships, written by the projen `bundle` task. */
export const SHIPPED_BUNDLE = path.join(REPO_ROOT, 'assets', 'lambda', 'refresh-token', 'index', 'index.js');

/** Entry point of the refresher handler. */
export const HANDLER_ENTRY = path.join(REPO_ROOT, 'lambda', 'refresh-token', 'index.ts');

/** Results that one benchmark writes for another to read, such as the measured refresh time. */
export const RESULTS_DIR = path.join(REPO_ROOT, '.tmp', 'bench');

/** Account id, Region and secret ARN that the benchmarks hand to the handler; none of them exists. */
export const FAKE_ACCOUNT = '123456789012';
export const FAKE_REGION = 'us-east-1';
export const FAKE_SECRET_ARN = `arn:aws:secretsmanager:${FAKE_REGION}:${FAKE_ACCOUNT}:secret:bench-token-AbCdEf`;

export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  readonly min: number;
  readonly max: number;
}

/** Returns the q-quantile (0 to 1) of the values, interpolating between neighbours. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) {
    throw new Error('quantile of an empty list');
  }
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    median: quantile(values, 0.5),
    p25: quantile(values, 0.25),
    p75: quantile(values, 0.75),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/** Milliseconds since an arbitrary origin, with sub-millisecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function gzipSize(content: Buffer): number {
  return zlib.gzipSync(content, { level: 9 }).length;
}

export function formatMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

export function formatKiB(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

export function formatRatio(value: number, baseline: number): string {
  return `${(value / baseline).toFixed(2)}×`;
}

export function markdownTable(headers: string[], rows: string[][]): string {
  const lines = [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`];
  for (const row of rows) {
    lines.push(`| ${row.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Returns the installed version of a package in the repository's node_modules. */
export function packageVersion(name: string): string {
  const manifest = path.join(REPO_ROOT, 'node_modules', name, 'package.json');
  return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/**
 * Describes the machine and the tool versions, as Markdown lines. The load average and the
 * Linux CPU pressure show whether other processes competed for the cores during the run.
 */
export function machineReport(packages: string[]): string {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const pressure = fs.existsSync('/proc/pressure/cpu') ? fs.readFileSync('/proc/pressure/cpu', 'utf8') : '';
  const waiting = /^some avg10=\S+ avg60=(\S+) avg300=(\S+)/m.exec(pressure);
  const lines = [
    `- Date: ${new Date().toUTCString()}`,
    `- CPU: ${cpuModel}, ${os.availableParallelism()} cores available to Node.js`,
    `- Load average at the end of the run (1, 5, 15 min): ${os.loadavg().map((load) => load.toFixed(2)).join(', ')}` +
      (waiting ? `; share of time some task waited for a CPU: ${waiting[1]}% over 1 min, ${waiting[2]}% over 5 min` : ''),
    `- Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- OS: ${os.type()} ${os.release()} ${os.arch()}`,
    `- Node.js: ${process.version}`,
    ...packages.map((name) => `- ${name}: ${packageVersion(name)}`),
  ];
  return lines.join('\n');
}

/** Creates an empty directory under `.tmp/` in the repository, so Node.js finds node_modules from it. */
export function makeScratchDir(prefix: string): string {
  const parent = path.join(REPO_ROOT, '.tmp');
  fs.mkdirSync(parent, { recursive: true });
  return fs.mkdtempSync(path.join(parent, `${prefix}-`));
}

export function writeResult(name: string, result: unknown): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2));
  return file;
}

export function readResult<T>(name: string): T | undefined {
  const file = path.join(RESULTS_DIR, `${name}.json`);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : undefined;
}

/**
 * The esbuild settings of the projen `bundle` task, as `.projenrc.ts` sets them. With
 * `mainFields` module first, esbuild bundles the ES module builds that packages publish under
 * `module` and falls back to their CommonJS builds under `main`.
 */
export const SHIPPED_ESBUILD_OPTIONS: esbuild.BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  minify: true,
  mainFields: ['module', 'main'],
};

/**
 * The settings the bundle task used before it preferred ES module builds: esbuild's default
 * for platform node, `main` before `module`, so packages' CommonJS builds are bundled.
 */
export const COMMONJS_FIRST_ESBUILD_OPTIONS: esbuild.BuildOptions = {
  ...SHIPPED_ESBUILD_OPTIONS,
  mainFields: ['main', 'module'],
};

/** Bundles the handler with the given esbuild options into `outfile` and returns esbuild's metafile. */
export function buildHandler(outfile: string, options: esbuild.BuildOptions): esbuild.Metafile {
  const result = esbuild.buildSync({
    ...options,
    entryPoints: [HANDLER_ENTRY],
    outfile,
    absWorkingDir: REPO_ROOT,
    metafile: true,
    logLevel: 'error',
  });
  return result.metafile!;
}

/**
 * Transpiles a driver script from `bench/child/` to plain JavaScript in `outDir`, so child
 * processes run it without ts-node in the measured path.
 */
export function compileChildScript(name: string, outDir: string): string {
  const outfile = path.join(outDir, `${name}.js`);
  esbuild.buildSync({
    entryPoints: [path.join(__dirname, 'child', `${name}.ts`)],
    outfile,
    bundle: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * Builds the environment for a process that loads or runs the handler bundle. Only PATH and
 * HOME come from this process. Every AWS endpoint points at the local server, and the
 * credentials are fake. Instance metadata and shared config files are off, so the SDK can
 * neither reach AWS nor find real credentials.
 */
export function handlerEnvironment(endpointUrl: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  if (!/^http:\/\/127\.0\.0\.1:\d+\/?$/.test(endpointUrl)) {
    throw new Error(`Invalid endpoint ${endpointUrl}: the handler may only reach a server on 127.0.0.1.`);
  }
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.tmpdir(),
    AWS_ENDPOINT_URL: endpointUrl,
    AWS_ENDPOINT_URL_CODEARTIFACT: endpointUrl,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpointUrl,
    AWS_ENDPOINT_URL_STS: endpointUrl,
    AWS_ACCESS_KEY_ID: 'AKIDBENCHMARKFAKEKEY',
    AWS_SECRET_ACCESS_KEY: 'benchmark-fake-secret-access-key-not-valid',
    AWS_SESSION_TOKEN: 'benchmark-fake-session-token',
    AWS_REGION: FAKE_REGION,
    AWS_DEFAULT_REGION: FAKE_REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: path.join(os.tmpdir(), 'bench-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(os.tmpdir(), 'bench-no-aws-credentials'),
    ...extra,
  };
}

/** A local HTTP server that rejects every request with HTTP 503 and counts them. */
export interface RejectingServer {
  readonly url: string;
  requestCount(): number;
  close(): Promise<void>;
}

/**
 * Starts the server that processes loading the bundle point their AWS endpoints at. Loading
 * must send no request, so a count above zero means the measurement is wrong.
 */
export async function startRejectingServer(): Promise<RejectingServer> {
  let count = 0;
  const server = http.createServer((request, response) => {
    count += 1;
    request.resume();
    response.writeHead(503, { 'content-type': 'application/json' });
    response.end('{"message":"the benchmark server rejects every request"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requestCount: () => count,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

export interface ChildRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From spawn to exit, measured by the parent. */
  readonly wallMs: number;
}

/** Runs `node` with the given arguments and environment, and fails on a non-zero exit. */
export function runNode(args: string[], env: NodeJS.ProcessEnv, options: { cwd?: string; timeoutMs?: number } = {}): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = nowMs();
    const child = spawn(process.execPath, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const run = {
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        wallMs: nowMs() - started,
      };
      if (code !== 0) {
        reject(new Error(`node ${args.join(' ')} exited with ${code}:\n${run.stderr.slice(-4000)}`));
      } else {
        resolve(run);
      }
    });
  });
}

/** Reads and removes the JSON result file that a child driver wrote. */
export function takeJson<T>(file: string): T {
  const value = JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  fs.rmSync(file);
  return value;
}
