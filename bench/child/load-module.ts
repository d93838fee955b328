/**
 * Loads one CommonJS module in a fresh Node.js process and writes how long `require` took and
 * the process's peak memory to a JSON file. It never calls anything the module exports.
 *
 * Usage: node load-module.js <module path, or "none" for the Node.js baseline> <result file> [list-files]
 */
import { writeFileSync } from 'fs';

const [modulePath, resultFile, listFiles] = process.argv.slice(2);
if (!modulePath || !resultFile) {
  throw new Error('Usage: node load-module.js <module path or "none"> <result file> [list-files]');
}

const started = process.hrtime.bigint();
if (modulePath !== 'none') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(modulePath);
}
const requireMs = Number(process.hrtime.bigint() - started) / 1e6;
const usage = process.resourceUsage();

writeFileSync(
  resultFile,
  JSON.stringify({
    requireMs,
    // Time since the process started, including Node.js's own startup.
    uptimeMs: process.uptime() * 1000,
    // resourceUsage() reports maxRSS in kibibytes.
    maxRssKiB: usage.maxRSS,
    heapUsedBytes: process.memoryUsage().heapUsed,
    loadedFiles: listFiles === 'list-files' ? Object.keys(require.cache) : undefined,
  }),
);
