import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RUN_DIRECTORY_VARIABLE } from './shipped-package';

/**
 * Creates the directory that the end-to-end tests of one jest run share. Jest workers start
 * after this runs, so they inherit the variable. Nothing is packed here: the first end-to-end
 * test does that, so runs without them stay fast.
 */
export default function globalSetup(): void {
  process.env[RUN_DIRECTORY_VARIABLE] = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-codeartifact-token-secret-e2e-'));
}
