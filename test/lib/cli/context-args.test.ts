import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadKitContext, readContext, UsageError, type ContextFiles } from '../../../lib/cli/context-args';
import { ConfigError } from '../../../lib/config/load';
import { cdkJsonContext, REPO_ROOT } from '../../helpers/synth';

/**
 * The kit's one context loader (every kit command reads its context through
 * it) against the real CDK CLI: in a project with context in ~/.cdk.json,
 * cdk.context.json, cdk.json and on the command line, it must hand the
 * command exactly what `cdk synth` hands the app.
 */

interface Project extends Required<ContextFiles> {
  write(file: 'cdk.json' | 'cdk.context.json' | 'home', json: unknown): void;
}

/** A project directory and a home directory of its own, so no test reads the developer's ~/.cdk.json. */
function project(): Project {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-context-'));
  const projectDir = path.join(root, 'project');
  const homeDir = path.join(root, 'home');
  fs.mkdirSync(projectDir);
  fs.mkdirSync(homeDir);
  return {
    projectDir,
    homeDir,
    write: (file, json) => fs.writeFileSync(file === 'home' ? path.join(homeDir, '.cdk.json') : path.join(projectDir, file), JSON.stringify(json)),
  };
}

/** What the real `cdk synth` hands the app: an app that writes its whole context to a file. */
function contextSeenBySynth(p: Project, args: string[]): Record<string, unknown> {
  const dump = path.join(p.projectDir, 'context-seen.json');
  fs.writeFileSync(
    path.join(p.projectDir, 'app.js'),
    `const { App, Stack } = require(${JSON.stringify(path.join(REPO_ROOT, 'node_modules', 'aws-cdk-lib'))});\n` +
      'const app = new App();\n' +
      `require('fs').writeFileSync(${JSON.stringify(dump)}, JSON.stringify(app.node.getAllContext()));\n` +
      "new Stack(app, 'Empty');\n" +
      'app.synth();\n',
  );
  const cdk = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--no-notices', '--quiet', '-o', path.join(p.projectDir, 'cdk.out'), ...args], {
    cwd: p.projectDir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: p.homeDir },
  });
  // The CLI's stderr in the failure message, should it fail.
  expect({ status: cdk.status, stderr: cdk.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
  const seen = JSON.parse(fs.readFileSync(dump, 'utf8')) as Record<string, unknown>;
  // The CLI's own settings for the app (metadata, bundling, its validation switch), not context from any source.
  const own = new Set(['@aws-cdk/core:failSynthOnValidationErrors']);
  return Object.fromEntries(Object.entries(seen).filter(([key]) => !key.startsWith('aws:cdk:') && !own.has(key)));
}

describe('readContext assembles context as cdk synth does', () => {
  test('every source, their precedence (command line, cdk.json, cdk.context.json, ~/.cdk.json) and the deep merge of objects, against the real CLI', () => {
    // GIVEN a key in each source alone, keys in several, objects and lists in several
    const p = project();
    p.write('home', { context: { fromHome: 'home', everywhere: 'home', nested: { home: 1, shared: 'home' } } });
    p.write('cdk.context.json', { fromContextFile: 'context-file', everywhere: 'context-file', filesOnly: 'context-file', nested: { contextFile: 1, shared: 'context-file' }, list: [3] });
    p.write('cdk.json', { app: 'node app.js', context: { fromCdkJson: 'cdk.json', everywhere: 'cdk.json', filesOnly: 'cdk.json', nested: { cdkJson: 1 }, list: [1, 2] } });
    const args = ['-c', 'everywhere=command line', '--context', 'fromCommandLine=a=b'];
    // WHEN the kit reads it and the CDK CLI synthesizes the same project
    const ours = readContext(args, p).context;
    const synth = contextSeenBySynth(p, args);
    // THEN both are the same, and that is what the CLI documents
    expect(ours).toEqual(synth);
    expect(ours).toEqual({
      fromHome: 'home',
      fromContextFile: 'context-file',
      fromCdkJson: 'cdk.json',
      fromCommandLine: 'a=b',
      everywhere: 'command line',
      filesOnly: 'cdk.json',
      nested: { home: 1, contextFile: 1, cdkJson: 1, shared: 'context-file' },
      list: [1, 2],
    });
  });

  test('a command-line string replaces an object from the files, as the CLI does', () => {
    const p = project();
    p.write('cdk.context.json', { statehouse: { targets: { GovWest: { account: '123456789012' } } } });
    p.write('cdk.json', { app: 'node app.js', context: {} });
    const args = ['-c', 'statehouse={"targets":{}}'];
    expect(readContext(args, p).context).toEqual(contextSeenBySynth(p, args));
    expect(readContext(args, p).context.statehouse).toBe('{"targets":{}}');
  });

  test('what is not context is left for the command; a malformed -c, a reserved key, a missing cdk.json or a broken file is a UsageError saying what to do', () => {
    const p = project();
    p.write('cdk.json', { context: {} });
    expect(readContext(['--allow-unknown', '-c', 'targets=GovWest', '-o', 'x'], p).rest).toEqual(['--allow-unknown', '-o', 'x']);
    expect(() => readContext(['-c', 'GovWest'], p)).toThrow(new UsageError('context argument "GovWest" must look like key=value, e.g. -c targets=GovWest'));
    expect(() => readContext(['-c'], p)).toThrow(UsageError);
    expect(() => readContext(['-c', 'aws:cdk:bundling-stacks=x'], p)).toThrow(/keys starting "aws:" are reserved for the CDK/);
    fs.writeFileSync(path.join(p.projectDir, 'cdk.context.json'), '{ not json');
    expect(() => readContext([], p)).toThrow(/cdk\.context\.json is not valid JSON/);
    const empty = project();
    expect(() => readContext([], empty)).toThrow(/^no cdk\.json in .*: run the kit's commands from the project directory \(npm run does\)/);
  });
});

describe('loadKitContext: the configuration and targets of every kit command', () => {
  /** A project with the repository's cdk.json (its feature flags) plus the given context files. */
  function kitProject(context: { cdkContextJson?: unknown; cdkJsonExtra?: Record<string, unknown> } = {}): Project {
    const p = project();
    p.write('cdk.json', { app: 'node app.js', context: { ...cdkJsonContext(), ...context.cdkJsonExtra } });
    if (context.cdkContextJson !== undefined) p.write('cdk.context.json', context.cdkContextJson);
    return p;
  }

  test('-c targets=GovWest limits the targets to GovWest; without it, the default targets', () => {
    const p = kitProject();
    expect(loadKitContext(['-c', 'targets=GovWest'], p).selected.map(([name]) => name)).toEqual(['GovWest']);
    expect(loadKitContext([], p).selected.map(([name]) => name)).toEqual(['Commercial', 'GovWest']);
    // The feature flags of cdk.json are in the context handed on (preflight builds the app with them).
    expect(loadKitContext([], p).context['@aws-cdk/core:target-partitions']).toEqual(['aws', 'aws-us-gov']);
  });

  test('targets and statehouse from cdk.context.json count, and the command line wins over them', () => {
    // GIVEN cdk.context.json selects GovEast and gives it an account, as a list of names
    const p = kitProject({ cdkContextJson: { targets: ['GovEast'], statehouse: { targets: { GovEast: { account: '123456789012' } } } } });
    // WHEN nothing is given on the command line THEN the file decides
    const fromFile = loadKitContext([], p);
    expect(fromFile.selected.map(([name]) => name)).toEqual(['GovEast']);
    expect(fromFile.config.targets.GovEast.account).toBe('123456789012');
    // WHEN -c targets and -c statehouse are given THEN they replace the file's values
    const fromCommandLine = loadKitContext(['-c', 'targets=GovWest,Commercial', '-c', 'statehouse={"targets":{"GovWest":{"account":"210987654321"}}}'], p);
    expect(fromCommandLine.selected.map(([name]) => name)).toEqual(['GovWest', 'Commercial']);
    expect(fromCommandLine.config.targets.GovWest.account).toBe('210987654321');
    expect(fromCommandLine.config.targets.GovEast.account).toBeUndefined();
  });

  test('cdk.json\'s statehouse wins over cdk.context.json\'s, key by key', () => {
    const p = kitProject({
      cdkContextJson: { statehouse: { targets: { GovWest: { account: '111111111111', logRetentionDays: 731 } } } },
      cdkJsonExtra: { statehouse: { targets: { GovWest: { account: '222222222222' } } } },
    });
    const { config } = loadKitContext([], p);
    expect(config.targets.GovWest).toMatchObject({ account: '222222222222', logRetentionDays: 731 });
  });

  test('an unknown target name is a ConfigError naming the declared targets', () => {
    const p = kitProject({ cdkContextJson: { statehouse: { targets: { Lab: { region: 'us-west-2', residency: { regions: ['us-west-2'] } } } } } });
    expect(() => loadKitContext(['-c', 'targets=GovWest,Moon'], p)).toThrow(ConfigError);
    expect(() => loadKitContext(['-c', 'targets=GovWest,Moon'], p)).toThrow(/targets \(context\): no target named "Moon"; declared targets are Lab, Commercial, GovWest, GovEast\./);
    // A target declared in cdk.context.json is known.
    expect(loadKitContext(['-c', 'targets=Lab'], p).selected.map(([name]) => name)).toEqual(['Lab']);
    // A targets value that is not names says what it must be.
    expect(() => loadKitContext([], kitProject({ cdkContextJson: { targets: { GovWest: true } } }))).toThrow(/targets \(context\): must be target names, "GovWest,GovEast" or \["GovWest", "GovEast"\]/);
  });
});
