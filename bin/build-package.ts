#!/usr/bin/env node
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Builds the package: tsc with the project's options (JavaScript and
 * declarations of lib/ and lambda/), then the files tsc does not copy that
 * the code reads at synth (the Cedar schema and default policies).
 *   npm run build:package                  into dist/
 *   npm run build:package -- --outDir <d>  elsewhere (the package test does)
 */
const ROOT = path.resolve(__dirname, '..');
const DATA_FILES = /\.(cedar|cedarschema)$/;

/**
 * The project's compiler options, emitting JavaScript and declarations of
 * lib/ and lambda/ only (no tests, no benchmarks). Written next to the output
 * rather than kept as a second tsconfig at the top of the repo.
 */
function packageTsconfig(outDir: string): string {
  const file = path.join(path.dirname(outDir), `tsconfig.${path.basename(outDir)}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    JSON.stringify({
      extends: path.join(ROOT, 'tsconfig.json'),
      compilerOptions: { noEmit: false, declaration: true, inlineSourceMap: false, inlineSources: false, sourceMap: true, outDir, rootDir: ROOT, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules', '@types')] },
      include: [path.join(ROOT, 'lib/**/*.ts'), path.join(ROOT, 'lambda/**/*.ts')],
      exclude: [path.join(ROOT, 'node_modules')],
    }),
  );
  return file;
}

export function buildPackage(outDir: string): void {
  const tsconfig = packageTsconfig(outDir);
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', tsconfig], { cwd: ROOT, stdio: 'pipe' });
  } finally {
    fs.rmSync(tsconfig, { force: true });
  }
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
