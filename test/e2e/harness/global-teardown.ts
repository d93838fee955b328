import * as fs from 'fs';
import { RUN_DIRECTORY_VARIABLE } from './shipped-package';

/** Removes the directory that the global setup created. */
export default function globalTeardown(): void {
  const runDir = process.env[RUN_DIRECTORY_VARIABLE];
  if (runDir) {
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}
