import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildPackage } from '../../bin/build-package';
import { REPO_ROOT } from '../helpers/synth';

/**
 * The constructs as a library: the package is built (`npm run build:package`
 * with declarations), packed the way `npm pack` packs it (package.json
 * `files`), and installed into a scratch CDK app OUTSIDE the repo. The app is
 * TypeScript, type-checked against the package's own declarations, and
 * imports nothing but the package's entry point: a SessionStore synthesizes.
 */

const SCRATCH_APP = `
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { SessionAccess, SessionStore, type ISessionStore } from 'statehouse';

const app = new App({ outdir: process.argv[2], context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new Stack(app, 'Scratch', { env: { account: '111122223333', region: 'us-gov-west-1' } });
const dataKey = new kms.Key(stack, 'DataKey', { enableKeyRotation: true });
const vpc = new ec2.Vpc(stack, 'Vpc', {
  natGateways: 0,
  availabilityZones: ['us-gov-west-1a', 'us-gov-west-1b'],
  subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
});
const s3Endpoint = vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
const accessLogsBucket = new s3.Bucket(stack, 'AccessLogs', { enforceSSL: true });
const sessions: ISessionStore = new SessionStore(stack, 'Sessions', { namePrefix: 'scratch-data', dataKey, s3Endpoint, accessLogsBucket });
const access: SessionAccess = SessionAccess.READ;
console.log(JSON.stringify({ table: stack.resolve(sessions.tableName), access }));
app.synth();
`;

let workDir: string;
beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-package-'));
});
afterAll(() => {
  fs.rmSync(workDir, { recursive: true, force: true });
});

test('a scratch CDK app outside the repo installs the packed package and synthesizes a SessionStore', () => {
  // GIVEN the package built with declarations and packed by npm
  const pkg = path.join(workDir, 'pkg');
  fs.mkdirSync(pkg);
  buildPackage(path.join(pkg, 'dist'));
  for (const file of ['package.json', 'README.md']) fs.copyFileSync(path.join(REPO_ROOT, file), path.join(pkg, file));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', workDir], { cwd: pkg, encoding: 'utf8' }))[0];
  const files: string[] = packed.files.map((f: { path: string }) => f.path);
  expect(files).toContain('dist/lib/index.js');
  expect(files).toContain('dist/lib/index.d.ts');
  expect(files).toContain('dist/lambda/orchestrator/index.js');
  // What the code reads at synth besides JavaScript: the Cedar schema and the default tool policy.
  expect(files).toContain('dist/lib/policy/default.cedar');
  expect(files).toContain('dist/lib/policy/statehouse.cedarschema');
  // Sources, tests and the app are not part of the package.
  expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  expect(files.some((f) => f.startsWith('test/') || f.startsWith('bin/'))).toBe(false);

  // AND a scratch app that has the package and its dependencies in its own node_modules
  const app = path.join(workDir, 'app');
  const modules = path.join(app, 'node_modules');
  fs.mkdirSync(path.join(modules, 'statehouse'), { recursive: true });
  execFileSync('tar', ['-xzf', path.join(workDir, packed.filename), '-C', path.join(modules, 'statehouse'), '--strip-components=1']);
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const needed = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies), 'typescript', '@types/node'];
  for (const name of needed) {
    fs.mkdirSync(path.dirname(path.join(modules, name)), { recursive: true });
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', name), path.join(modules, name), 'dir');
  }
  fs.writeFileSync(path.join(app, 'app.ts'), SCRATCH_APP);
  fs.writeFileSync(
    path.join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, esModuleInterop: true, skipLibCheck: true, types: ['node'] }, files: ['app.ts'] }),
  );

  // WHEN the app is type-checked against the package's declarations, compiled and run
  execFileSync(process.execPath, [path.join(modules, 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app, stdio: 'pipe' });
  const out = path.join(app, 'cdk.out');
  const printed = execFileSync(process.execPath, [path.join(app, 'app.js'), out], { cwd: app, encoding: 'utf8' });

  // THEN the template holds the session table as the construct defines it, under the app's own key
  expect(JSON.parse(printed.trim().split('\n').pop()!)).toMatchObject({ access: 'read' });
  const template = JSON.parse(fs.readFileSync(path.join(out, 'Scratch.template.json'), 'utf8'));
  const tables = Object.values(template.Resources).filter((r: any) => r.Type === 'AWS::DynamoDB::Table') as any[];
  expect(tables).toHaveLength(1);
  expect(tables[0].Properties).toMatchObject({
    TableName: 'scratch-data-sessions',
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
    StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
  });
  // The package resolved from the scratch app's node_modules, not from the repo.
  expect(require.resolve('statehouse', { paths: [app] })).toBe(path.join(fs.realpathSync(modules), 'statehouse', 'dist', 'lib', 'index.js'));
});
