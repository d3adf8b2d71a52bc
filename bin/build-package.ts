#!/usr/bin/env node
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Builds the package: `tsc -p tsconfig.package.json` (JavaScript and
 * declarations of lib/ and lambda/), then the files tsc does not copy that
 * the code reads at synth (the Cedar schema and default policies).
 *   npm run build:package                  into dist/
 *   npm run build:package -- --outDir <d>  elsewhere (the package test does)
 */
const ROOT = path.resolve(__dirname, '..');
const DATA_FILES = /\.(cedar|cedarschema)$/;

export function buildPackage(outDir: string): void {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.package.json'), '--outDir', outDir], { cwd: ROOT, stdio: 'pipe' });
  for (const dir of ['lib', 'lambda']) copyData(path.join(ROOT, dir), path.join(outDir, dir));
}

function copyData(from: string, to: string): void {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) copyData(source, path.join(to, entry.name));
    else if (DATA_FILES.test(entry.name)) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(source, path.join(to, entry.name));
    }
  }
}

if (require.main === module) {
  const i = process.argv.indexOf('--outDir');
  buildPackage(path.resolve(i >= 0 ? process.argv[i + 1] : path.join(ROOT, 'dist')));
}
