import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listAcknowledgments } from '../../../lib/compliance/acknowledgments';
import type { DataStore, Evidence, FunctionEvidence } from '../../../lib/report/evidence-types';
import { mdCode, mdText } from '../../../lib/report/render-markdown';
import { writeEvidenceReport, type WrittenTarget } from '../../../lib/report/write-report';
import { REPO_ROOT, synthStatehouse, type Synthesized } from '../../helpers/synth';

/**
 * The auditor's evidence report, run on the real app synthesized for GovWest:
 * every assertion is a fact read back from the templates that a regression
 * in the kit (or in the report) would break.
 */
const TARGET = 'GovWest';

let synth: Synthesized;
let outDir: string;
let written: WrittenTarget;
let evidence: Evidence;
let markdown: string;
let svg: string;

beforeAll(() => {
  // GIVEN the app synthesized for GovWest
  synth = synthStatehouse({ targets: TARGET, cfnValidation: true });
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-evidence-'));
  // WHEN the report runs over its cloud assembly
  const all = writeEvidenceReport({ cdkOut: synth.outdir, outDir });
  written = all.find((w) => w.target === TARGET)!;
  evidence = written.evidence;
  markdown = fs.readFileSync(written.markdown, 'utf8');
  svg = fs.readFileSync(written.svg, 'utf8');
});

/** A template of the synthesized target, by stack construct path suffix. */
function templateFile(dir: string, stack: string): string {
  const assembly = path.join(dir, `assembly-${TARGET}`);
  const manifest = JSON.parse(fs.readFileSync(path.join(assembly, 'manifest.json'), 'utf8'));
  const [, artifact] = Object.entries<any>(manifest.artifacts).find(([, a]) => a.displayName === `${TARGET}/${stack}`)!;
  return path.join(assembly, artifact.properties.templateFile);
}

/** The function the private API integrates: the orchestrator. */
function orchestrator(): FunctionEvidence {
  const api = evidence.network.apis[0];
  const target = evidence.dataPaths.paths.find((p) => p.from === `${api.stack}/${api.logicalId}` && p.kind === 'invoke')!.to;
  return evidence.network.functions.find((f) => `${f.stack}/${f.logicalId}` === target)!;
}

function store(type: string, nameIncludes: string): DataStore {
  const found = evidence.dataStores.stores.find((s) => s.type === type && (s.name ?? '').includes(nameIncludes));
  if (!found) throw new Error(`no ${type} named *${nameIncludes}* in ${evidence.dataStores.stores.map((s) => s.name ?? s.title).join(', ')}`);
  return found;
}

test('writes Markdown, JSON and SVG for the target; the JSON is the evidence', () => {
  expect(written.markdown).toBe(path.join(outDir, `evidence-${TARGET}.md`));
  expect(JSON.parse(fs.readFileSync(written.json, 'utf8'))).toEqual(JSON.parse(JSON.stringify(evidence)));
  expect(evidence.summary).toMatchObject({ target: TARGET, region: 'us-gov-west-1', partition: { id: 'aws-us-gov' }, account: 'deploying account' });
  expect(evidence.summary.stacks.map((s) => s.path)).toEqual(expect.arrayContaining([`${TARGET}/Foundation`, `${TARGET}/State`, `${TARGET}/Runtime`]));
});

test('the session table shows its KMS key, resolved across stacks to the alias and description', () => {
  const table = store('AWS::DynamoDB::Table', 'sessions');
  // The table is in State; its key is imported from Foundation.
  expect(table.stack).toBe(`${TARGET}/State`);
  expect(table.encryption.key).toMatchObject({ alias: 'alias/statehouse-govwest-data', stack: `${TARGET}/Foundation`, rotation: true });
  expect(table.encryption.key?.description).toMatch(/Session state/);
  expect(table).toMatchObject({ pitr: true, deletionProtection: true, deletionPolicy: 'Retain' });
  const row = markdown.split('\n').find((l) => l.startsWith('| DynamoDB table |'))!;
  expect(row).toContain(mdCode(table.name));
  expect(row).toContain(mdCode('alias/statehouse-govwest-data'));
});

test('the payload bucket is TLS-only and VPC-endpoint-only; the audit bucket is not VPCE-only', () => {
  const payloads = store('AWS::S3::Bucket', 'payloads');
  expect(payloads.access.tlsOnly).toBe(true);
  expect(payloads.access.vpcEndpointOnly?.endpoint).toMatch(/^s3 gateway endpoint \(GovWest\/Foundation\//);
  expect(payloads.access.vpcEndpointOnly?.actions).toEqual(expect.arrayContaining(['s3:GetObject*', 's3:PutObject*']));
  const trail = evidence.dataStores.trails[0];
  const trailWrites = evidence.dataPaths.paths.filter((p) => p.from === `${trail.stack}/${trail.logicalId}`).map((p) => p.to);
  const audit = evidence.dataStores.stores.find((s) => s.type === 'AWS::S3::Bucket' && trailWrites.includes(`${s.stack}/${s.logicalId}`))!;
  expect(audit.access.tlsOnly).toBe(true);
  expect(audit.access.vpcEndpointOnly).toBeUndefined();
  const row = markdown.split('\n').find((l) => l.includes(mdCode(payloads.name)) && l.startsWith('| S3 bucket |'))!;
  expect(row).toContain('**VPC endpoint only**');
  expect(row).toContain('**TLS only**');
});

test('proves there is no route to the internet', () => {
  const check = evidence.network.internetRoute;
  expect(check.noInternetRoute).toBe(true);
  expect(check.counts).toMatchObject({
    'AWS::EC2::InternetGateway': 0,
    'AWS::EC2::NatGateway': 0,
    'AWS::EC2::EgressOnlyInternetGateway': 0,
    'AWS::EC2::Route with GatewayId': 0,
    'AWS::EC2::Route with NatGatewayId': 0,
  });
  expect(check.templatesChecked).toHaveLength(evidence.summary.stacks.length);
  // The kit creates its VPC: nothing outside the templates to leave uncovered.
  expect([check.notCovered, evidence.network.importedVpcs]).toEqual([[], []]);
  expect(evidence.network.subnets.length).toBeGreaterThan(0);
  expect(evidence.network.subnets.every((s) => s.isolated)).toBe(true);
  expect(markdown).toContain('**No route to the internet.**');
});

test('every network path is listed: endpoints, private API with aws:SourceVpce and IAM auth, functions in the VPC', () => {
  const services = evidence.network.endpoints.map((e) => `${e.service}/${e.endpointType}`);
  expect(services).toEqual(expect.arrayContaining(['dynamodb/Gateway', 's3/Gateway', 'kms-fips/Interface', 'execute-api/Interface']));
  const [api] = evidence.network.apis;
  expect(api.endpointTypes).toEqual(['PRIVATE']);
  expect(api.sourceVpce).toEqual([expect.stringMatching(/^execute-api interface endpoint/)]);
  // The default configuration admits the kit's own endpoint only, created by these templates and associated with the API.
  expect(api.admittedEndpoints).toEqual([{ endpoint: api.sourceVpce[0], origin: 'created', associated: true }]);
  expect(markdown).toMatch(/\| execute-api interface endpoint \(GovWest\/Foundation\/NetworkExecuteApi\w+\) \| created by these templates \(the kit's own\) \| yes:/);
  expect(api.methods.length).toBeGreaterThan(0);
  expect(api.methods.every((m) => m.authorization === 'AWS_IAM')).toBe(true);
  expect(orchestrator().description).toMatch(/orchestrator/i);
  expect(orchestrator()).toMatchObject({ inVpc: true, title: 'Agent/Orchestrator' });
  expect(orchestrator().subnets).toHaveLength(evidence.network.subnets.length);
  // Functions are in the VPC, except CDK's deploy-time custom-resource handler (acknowledged).
  expect(evidence.network.functions.filter((f) => !f.inVpc).map((f) => f.title)).toEqual([expect.stringMatching(/^Custom::VpcRestrictDefaultSG/)]);
});

test('every role has the permissions boundary, resolved to the boundary policy name', () => {
  const foundation = JSON.parse(fs.readFileSync(templateFile(synth.outdir, 'Foundation'), 'utf8'));
  const [boundary] = Object.values<any>(foundation.Resources).filter((r) => r.Type === 'AWS::IAM::ManagedPolicy');
  const boundaryName = boundary.Properties.ManagedPolicyName;
  const assemblyDir = path.join(synth.outdir, `assembly-${TARGET}`);
  const roleCount = fs
    .readdirSync(assemblyDir)
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => Object.values<any>(JSON.parse(fs.readFileSync(path.join(assemblyDir, f), 'utf8')).Resources).filter((r) => r.Type === 'AWS::IAM::Role').length)
    .reduce((a, b) => a + b, 0);
  expect(evidence.roles).toHaveLength(roleCount);
  for (const role of evidence.roles) expect({ role: role.title, boundary: role.boundary }).toEqual({ role: role.title, boundary: boundaryName });
  expect(markdown).toContain(`Every one of the ${roleCount} roles has a permissions boundary.`);
  // The orchestrator's grants are listed by resource.
  const orchestratorRole = evidence.roles.find((r) => r.usedBy.includes(`Lambda function ${orchestrator().title}`))!;
  expect(orchestratorRole.grants.find((g) => g.resource.startsWith('DynamoDB table'))?.actions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem']));
});

test('every acknowledgment in the construct metadata appears with its reason', () => {
  const acknowledged = listAcknowledgments(synth.app).filter((a) => a.path.startsWith(`${TARGET}/`));
  expect(acknowledged.length).toBeGreaterThan(10);
  expect(evidence.compliance.acknowledgments).toHaveLength(acknowledged.length);
  for (const ack of acknowledged) {
    expect(evidence.compliance.acknowledgments).toContainEqual(expect.objectContaining({ id: ack.rule, path: ack.path, reason: ack.reason }));
    expect(markdown).toContain(mdText(ack.reason));
  }
  for (const ack of evidence.compliance.acknowledgments) {
    expect(markdown).toContain(mdCode(ack.rule));
    if (ack.finding) expect(markdown).toContain(mdCode(ack.finding));
  }
  expect(evidence.compliance.errors).toEqual([]);
});

test('NIST 800-53 controls of a NIST rule are the ones cdk-nag RULES.md lists', () => {
  const rulesMd = fs.readFileSync(path.join(REPO_ROOT, 'node_modules', 'cdk-nag', 'RULES.md'), 'utf8');
  const row = rulesMd.split('\n').find((l) => l.includes('[NIST.800.53.R5-S3BucketReplicationEnabled]'))!;
  const cells = row.split('|').map((c) => c.trim());
  const expected = cells[cells.length - 2].split(',').map((c) => c.trim());
  const mapped = evidence.compliance.rules.find((r) => r.rule === 'NIST.800.53.R5-S3BucketReplicationEnabled')!;
  expect(mapped.controls).toEqual(expected);
  expect(mapped.source).toMatch(/RULES\.md/);
  // AwsSolutions and residency rules come from the documented table; cfn-lint rules are unmapped.
  expect(evidence.compliance.rules.find((r) => r.rule === 'AwsSolutions-IAM5')).toMatchObject({ controls: ['AC-6', 'AC-3'], source: expect.stringMatching(/our reasoning/) });
  expect(evidence.compliance.rules.find((r) => r.rule === 'StatehouseResidency::LambdaOutsideVpc')?.controls).toEqual(['SC-7']);
  expect(evidence.compliance.rules.find((r) => r.rule.startsWith('CloudFormation-Validate::'))?.source).toBe('unmapped');
  expect(markdown).toContain(`| ${mdCode('NIST.800.53.R5-S3BucketReplicationEnabled')} | ${expected.join(', ')} |`);
});

test('residency controls: boundary statements, key policy conditions, SCP, FIPS settings', () => {
  const r = evidence.residency;
  expect(r.boundaries[0].statements.map((s) => s.sid)).toEqual(expect.arrayContaining(['DenyOutsideAllowedRegions']));
  expect(r.boundaries[0].statements.find((s) => s.sid === 'DenyOutsideAllowedRegions')?.what).toContain('aws:RequestedRegion StringNotEquals us-gov-west-1');
  const data = r.keyPolicies.find((k) => k.alias === 'alias/statehouse-govwest-data')!;
  const use = data.statements.find((s) => s.viaService.length > 0)!;
  expect(use.viaService.every((v) => v.includes('.us-gov-west-1.'))).toBe(true);
  expect(use.callerAccount).toEqual(['${AWS::AccountId}']);
  expect(r.scp?.statements.map((s) => s.sid)).toContain('DenyOutsideAllowedRegions');
  expect(r.fips.find((f) => f.function === `Lambda function ${orchestrator().title}`)?.services).toEqual(expect.arrayContaining(['dynamodb', 's3']));
});

test('the architecture SVG is well-formed XML and names the orchestrator, the table and the endpoints', () => {
  // expat (Python's xml parser) is strict XML; python3 is on every machine that runs cfn-lint.
  execFileSync('python3', ['-c', 'import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])', written.svg], { stdio: 'pipe' });
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg).toContain(`λ ${orchestrator().title}`);
  expect(svg).toContain(store('AWS::DynamoDB::Table', 'sessions').name);
  expect(svg).toContain('>dynamodb (gateway)<');
  expect(svg).toContain('no IGW · no NAT · no internet route');
  // Deterministic: the same evidence renders the same picture.
  expect(writeEvidenceReport({ cdkOut: synth.outdir, outDir }).find((w) => w.target === TARGET)!.svg).toBe(written.svg);
  expect(fs.readFileSync(written.svg, 'utf8')).toBe(svg);
});

describe('on a copied assembly with an internet gateway injected and a boundary removed', () => {
  let changed: Evidence;
  let changedMd: string;

  beforeAll(() => {
    // GIVEN a copy of the assembly whose Foundation template gains an IGW and a default route to it
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-evidence-igw-'));
    fs.cpSync(synth.outdir, copy, { recursive: true });
    const foundationFile = templateFile(copy, 'Foundation');
    const foundation = JSON.parse(fs.readFileSync(foundationFile, 'utf8'));
    const [vpcId] = Object.entries<any>(foundation.Resources).find(([, r]) => r.Type === 'AWS::EC2::VPC')!;
    const [routeTableId] = Object.entries<any>(foundation.Resources).find(([, r]) => r.Type === 'AWS::EC2::RouteTable')!;
    foundation.Resources.InjectedIgw = { Type: 'AWS::EC2::InternetGateway' };
    foundation.Resources.InjectedAttachment = { Type: 'AWS::EC2::VPCGatewayAttachment', Properties: { VpcId: { Ref: vpcId }, InternetGatewayId: { Ref: 'InjectedIgw' } } };
    foundation.Resources.InjectedRoute = { Type: 'AWS::EC2::Route', Properties: { RouteTableId: { Ref: routeTableId }, DestinationCidrBlock: '0.0.0.0/0', GatewayId: { Ref: 'InjectedIgw' } } };
    // ... and whose flow-log role loses its permissions boundary
    const [, role] = Object.entries<any>(foundation.Resources).find(([, r]) => r.Type === 'AWS::IAM::Role')!;
    delete role.Properties.PermissionsBoundary;
    fs.writeFileSync(foundationFile, JSON.stringify(foundation));
    // WHEN the report runs over the copy
    const [w] = writeEvidenceReport({ cdkOut: copy, outDir: path.join(copy, 'evidence') });
    changed = w.evidence;
    changedMd = fs.readFileSync(w.markdown, 'utf8');
  });

  test('the network section says there is a path out, and names it', () => {
    expect(changed.network.internetRoute.noInternetRoute).toBe(false);
    expect(changed.network.internetRoute.counts['AWS::EC2::InternetGateway']).toBe(1);
    expect(changed.network.internetRoute.findings.map((f) => f.logicalId)).toEqual(expect.arrayContaining(['InjectedIgw', 'InjectedAttachment', 'InjectedRoute']));
    expect(changed.network.subnets.some((s) => !s.isolated)).toBe(true);
    expect(changedMd).toContain('**A PATH OUT OF THE VPC EXISTS.**');
    expect(changedMd).not.toContain('**No route to the internet.**');
    expect(changedMd).toContain(mdCode('InjectedIgw'));
  });

  test('the IAM section names the role without a boundary', () => {
    const missing = changed.roles.filter((r) => r.boundary === undefined);
    expect(missing).toHaveLength(1);
    expect(changedMd).toContain(`**1 of ${changed.roles.length} roles have NO permissions boundary:** ${mdCode(missing[0].title)}`);
  });
});

test('the report code holds no partition or domain literal (region-facts is the only place for them)', () => {
  const files = [path.join(REPO_ROOT, 'bin', 'report.ts'), ...listTs(path.join(REPO_ROOT, 'lib', 'report'))];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    expect({ file, arn: text.includes('arn:aws:'), domain: text.includes('amazonaws.com') }).toEqual({ file, arn: false, domain: false });
  }
});

function listTs(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? listTs(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []));
}

test('provenance: the kit commit and version, the generation time, and the SHA-256 of each template as written', () => {
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  expect(evidence.provenance.kitVersion).toBe(pkg.version);
  expect(evidence.provenance.commit).toMatch(/^([0-9a-f]{40}|unknown \(not a git checkout\))$/);
  expect(Number.isNaN(Date.parse(evidence.provenance.generatedAt))).toBe(false);
  for (const st of evidence.summary.stacks) {
    const file = path.join(synth.outdir, `assembly-${TARGET}`, st.templateFile);
    expect(st.templateSha256).toBe(createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
    expect(markdown).toContain(`| ${mdCode(st.stackName)} | ${mdCode(st.templateFile)} | ${mdCode(st.templateSha256)} |`);
  }
});

test('every service-principal grant names whom the service acts for: the data key, the access-log and audit buckets included', () => {
  expect(evidence.serviceGrants.filter((g) => g.scopedBy.length === 0)).toEqual([]);
  const scoped = (service: string, action: string) =>
    evidence.serviceGrants.filter((g) => g.services.some((s) => s.startsWith(`${service}.`)) && g.actions.includes(action)).map((g) => g.scopedBy.join(' and '));
  // Log delivery's Decrypt on the data key, S3's access-log delivery, CloudTrail's audit-bucket grants.
  expect(scoped('delivery.logs', 'kms:Decrypt*')).toEqual([expect.stringMatching(/aws:SourceAccount.*aws:SourceArn ArnLike arn:aws-us-gov:logs:us-gov-west-1:/)]);
  expect(scoped('logging.s3', 's3:PutObject').length).toBeGreaterThanOrEqual(2);
  expect(scoped('cloudtrail', 's3:GetBucketAcl')).toEqual([expect.stringContaining(':trail/statehouse-govwest-audit')]);
  expect(scoped('cloudtrail', 's3:PutObject')).toEqual([expect.stringContaining(':trail/statehouse-govwest-audit')]);
  expect(markdown).toContain(`Every one of the ${evidence.serviceGrants.length} service-principal grants is scoped`);
});

test('the data paths are a table in the Markdown: model calls through their VPC endpoint, approval notices to their topic', () => {
  const section = markdown.slice(markdown.indexOf('## 8. Data paths'), markdown.indexOf('## 9. Architecture'));
  const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| From') && !l.startsWith('| ---'));
  expect(rows).toHaveLength(evidence.dataPaths.paths.length);
  const model = evidence.dataPaths.paths.filter((p) => p.kind === 'model');
  expect(model.length).toBeGreaterThan(0);
  for (const p of model) expect(p.via).toMatch(/NetworkBedrockRuntime/);
  expect(rows.some((r) => r.includes('model inference') && r.includes('bedrock-runtime-fips interface endpoint'))).toBe(true);
  expect(rows.filter((r) => r.includes('approval-notices') && r.includes('publish'))).toHaveLength(2);
});

test('the approval notices topic: under the data key, TLS only, published by the approval workflow and the agent loop', () => {
  const topic = store('AWS::SNS::Topic', 'approval-notices');
  expect(topic).toMatchObject({ region: 'us-gov-west-1', encryption: { key: { alias: 'alias/statehouse-govwest-data' } }, access: { tlsOnly: true } });
  expect(topic.publishers).toEqual(expect.arrayContaining([expect.stringContaining('tools-slow'), expect.stringContaining('agent-loop')]));
  // tools.approvalEmails is empty in the default configuration: no subscription.
  expect(topic.subscriptions).toEqual([]);
  expect(store('AWS::DynamoDB::Table', 'sessions').notes).toContainEqual(expect.stringMatching(/^index `Lists` \(global secondary\)/));
});

test('text in code spans is not HTML-escaped (no literal &lt; in a rendered command)', () => {
  expect(markdown).not.toContain('&lt;target&gt;');
  // The synth warnings no longer carry the preflight command (it is said once, after them), so the span is checked where the report renders text.
  expect(mdText('run `npm run preflight -- -c targets=<target>` for <each> target')).toBe('run `npm run preflight -- -c targets=<target>` for &lt;each&gt; target');
});

test('the diagram never cuts a name: buckets, tables, functions and models are drawn whole (smaller if need be)', () => {
  const payloads = store('AWS::S3::Bucket', 'payloads');
  expect(svg).toContain(`>S3 bucket: ${payloads.name!.replace(/&/g, '&amp;')}<`);
  for (const f of evidence.network.functions) expect(svg).toContain(`>λ ${f.title}<`);
  for (const m of evidence.dataPaths.externals.filter((x) => x.kind === 'model')) expect(svg).toContain(`>${m.label.slice(m.label.lastIndexOf(' ') + 1)}<`);
});
