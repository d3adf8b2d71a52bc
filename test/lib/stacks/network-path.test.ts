import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { readValidationReport } from '../../../lib/compliance/validation-report';
import { writeEvidenceReport } from '../../../lib/report/write-report';
import type { StatehouseStage } from '../../../lib/stacks/statehouse-stage';
import { cfnLint, cfnLintReady } from '../../helpers/cfn-lint';
import { readTemplate, stacksOf, synthStatehouse, templatePath, type Synthesized } from '../../helpers/synth';

/**
 * A network path for callers: the agency's own execute-api endpoints admitted
 * by the API (`api.allowedVpcEndpoints`) and an existing VPC instead of the
 * kit's (`network.vpc`), synthesized as `cdk synth` does for a commercial and
 * a GovCloud target, with the compliance gates, the outputs callers read and
 * the evidence report. The default configuration's Foundation and State
 * templates are pinned by the snapshots (test/lib/targets.test.ts).
 */
const TARGETS = ['Commercial', 'GovWest'] as const;
const REGION = { Commercial: 'us-east-1', GovWest: 'us-gov-west-1' } as const;
const AGENCY_ENDPOINTS = ['vpce-0a1b2c3d4e5f60718', 'vpce-0fedcba9876543210'];
const VPC_ID = 'vpc-0123456789abcdef0';
const SUBNETS = ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'];
/** GovWest uses the VPC's own gateway endpoints; Commercial gets the kit's on the route table. */
const EXISTING_GATEWAYS = { s3: 'vpce-0111111111111111a', dynamodb: 'vpce-0222222222222222b' };

const BOTH_OPTIONS = {
  targets: {
    Commercial: {
      api: { allowedVpcEndpoints: AGENCY_ENDPOINTS },
      network: { vpc: { vpcId: VPC_ID, cidr: '10.30.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], isolatedSubnetIds: SUBNETS, routeTableIds: ['rtb-0ccccccccccccccc3', 'rtb-0ccccccccccccccc3'] } },
    },
    GovWest: {
      api: { allowedVpcEndpoints: AGENCY_ENDPOINTS },
      network: { vpc: { vpcId: VPC_ID, cidr: '10.30.0.0/16', availabilityZones: ['us-gov-west-1a', 'us-gov-west-1b'], privateSubnetIds: SUBNETS, gatewayEndpoints: EXISTING_GATEWAYS } },
    },
  },
};

let both: Synthesized;
let defaults: Synthesized;
let admittedOnly: Synthesized;
beforeAll(() => {
  // GIVEN the two targets with both options, with the defaults, and with admitted endpoints only
  both = synthStatehouse({ targets: TARGETS.join(','), overrides: BOTH_OPTIONS, cfnValidation: true });
  // The default configuration's templates of every target are pinned by the snapshots (targets.test.ts); here GovWest, the longer ARNs.
  defaults = synthStatehouse({ targets: 'GovWest' });
  admittedOnly = synthStatehouse({ targets: 'GovWest', overrides: { targets: { GovWest: { api: { allowedVpcEndpoints: AGENCY_ENDPOINTS } } } } });
});

const stageOf = (synth: Synthesized, target: string): StatehouseStage => synth.stages.find((s) => s.stageName === target)!;
const stackOf = (synth: Synthesized, target: string, id: string): Stack => stacksOf(stageOf(synth, target)).find((s) => s.node.id === id)!;
const templateOf = (synth: Synthesized, target: string, id: string) => readTemplate(stackOf(synth, target, id));
const resourcesOf = (template: Record<string, any>, type: string): Array<Record<string, any>> => Object.values<any>(template.Resources).filter((r) => r.Type === type);

describe.each(TARGETS)('%s with admitted endpoints and an imported VPC', (target) => {
  const region = REGION[target];

  test('cdk-nag (AwsSolutions, NIST 800-53 R5) and the residency guard report zero unacknowledged findings', () => {
    const { errors } = readValidationReport(both.assembly.directory);
    expect(errors.filter((e) => e.paths.some((p) => p.startsWith(`${target}/`)))).toEqual([]);
  });

  test('cfn-lint reports zero errors for the target region', () => {
    if (!cfnLintReady()) return;
    const templates = stacksOf(stageOf(both, target)).map(templatePath);
    expect(cfnLint(templates, region).filter((f) => f.Level === 'Error')).toEqual([]);
  });

  test('the imported VPC: no VPC, subnet, route or gateway created; the kit\'s endpoints, security groups and flow log are in it', () => {
    const foundation = templateOf(both, target, 'Foundation');
    for (const type of ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::RouteTable', 'AWS::EC2::Route', 'AWS::EC2::InternetGateway', 'AWS::EC2::NatGateway']) {
      expect(resourcesOf(foundation, type)).toEqual([]);
    }
    expect(resourcesOf(foundation, 'AWS::EC2::FlowLog').map((f) => f.Properties)).toEqual([expect.objectContaining({ ResourceType: 'VPC', ResourceId: VPC_ID, TrafficType: 'ALL' })]);
    const interfaces = resourcesOf(foundation, 'AWS::EC2::VPCEndpoint').filter((e) => e.Properties.VpcEndpointType === 'Interface');
    expect(interfaces.length).toBeGreaterThan(0);
    for (const endpoint of interfaces) expect(endpoint.Properties).toMatchObject({ VpcId: VPC_ID, SubnetIds: SUBNETS, PrivateDnsEnabled: true });
    for (const group of resourcesOf(foundation, 'AWS::EC2::SecurityGroup')) expect(group.Properties.VpcId).toBe(VPC_ID);
    // The functions run in the VPC's subnets.
    const functions = resourcesOf(templateOf(both, target, 'Runtime'), 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) expect(fn.Properties.VpcConfig.SubnetIds).toEqual(SUBNETS);
  });

  test('S3 and DynamoDB: the kit\'s gateway endpoints on the given route tables, or the VPC\'s own, which the payload bucket policy then names', () => {
    const gateways = resourcesOf(templateOf(both, target, 'Foundation'), 'AWS::EC2::VPCEndpoint').filter((e) => e.Properties.VpcEndpointType === 'Gateway');
    const bucketPolicies = JSON.stringify(resourcesOf(templateOf(both, target, 'State'), 'AWS::S3::BucketPolicy'));
    if (target === 'Commercial') {
      expect(gateways.map((g) => g.Properties.RouteTableIds)).toEqual([['rtb-0ccccccccccccccc3'], ['rtb-0ccccccccccccccc3']]);
      expect(bucketPolicies).toMatch(/"aws:SourceVpce":\{"Fn::ImportValue":"Commercial-Foundation:ExportsOutputRefNetworkS3/);
    } else {
      expect(gateways).toEqual([]);
      expect(bucketPolicies).toContain(`"aws:SourceVpce":"${EXISTING_GATEWAYS.s3}"`);
    }
  });

  test('the API\'s resource policy admits the kit\'s endpoint and every configured one, and denies every other source', () => {
    const [api] = resourcesOf(templateOf(both, target, 'Runtime'), 'AWS::ApiGateway::RestApi');
    const kitEndpoint = { 'Fn::ImportValue': expect.stringMatching(new RegExp(`^${target}-Foundation:ExportsOutputRefNetworkExecuteApi`)) };
    expect(api.Properties.Policy.Statement).toEqual([
      { Effect: 'Allow', Principal: { AWS: expect.anything() }, Action: 'execute-api:Invoke', Resource: 'execute-api:/*' },
      { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'execute-api:Invoke', Resource: 'execute-api:/*', Condition: { StringNotEquals: { 'aws:SourceVpce': [kitEndpoint, ...AGENCY_ENDPOINTS] } } },
    ]);
    expect(api.Properties.EndpointConfiguration).toEqual({ Types: ['PRIVATE'], VpcEndpointIds: [kitEndpoint, ...AGENCY_ENDPOINTS] });
  });

  test('outputs: the invoke URL (private DNS and through every admitted endpoint), the admitted endpoints, the kit endpoint\'s DNS names; partition-correct', () => {
    const runtime = templateOf(both, target, 'Runtime');
    const outputs = runtime.Outputs as Record<string, { Value: unknown }>;
    const restApi = Object.keys(runtime.Resources).find((id) => runtime.Resources[id].Type === 'AWS::ApiGateway::RestApi')!;
    const stage = { Ref: expect.stringMatching(/^ApiDeploymentStagev1/) };
    const domain = `.execute-api.${region}.`;
    const url = (...host: unknown[]) => ({ 'Fn::Join': ['', ['https://', { Ref: restApi }, ...host, { Ref: 'AWS::URLSuffix' }, '/', stage, '/']] });
    // The RestApi's own output is the private DNS form.
    const [privateDns] = Object.entries(outputs).filter(([id]) => id.startsWith('ApiEndpoint'));
    expect(privateDns[1].Value).toEqual(url(domain));
    expect(outputs.ApiUrlViaKitEndpoint.Value).toEqual(url('-', { 'Fn::ImportValue': expect.stringMatching(/ExportsOutputRefNetworkExecuteApi/) }, domain));
    expect(outputs.ApiUrlViaVpce0a1b2c3d4e5f60718.Value).toEqual(url(`-${AGENCY_ENDPOINTS[0]}${domain}`));
    expect(outputs.ApiUrlViaVpce0fedcba9876543210.Value).toEqual(url(`-${AGENCY_ENDPOINTS[1]}${domain}`));
    expect(outputs.ApiVpcEndpoints.Value).toEqual({ 'Fn::Join': [',', [{ 'Fn::ImportValue': expect.any(String) }, AGENCY_ENDPOINTS.join(',')]] });
    // The kit endpoint's DNS names, for callers in networks connected to the imported VPC.
    const foundation = templateOf(both, target, 'Foundation');
    expect(foundation.Outputs.ExecuteApiEndpointDnsEntries.Value).toEqual({ 'Fn::Join': [',', { 'Fn::GetAtt': [expect.stringMatching(/^NetworkExecuteApi/), 'DnsEntries'] }] });
    // No domain literal in the network outputs: CloudFormation's URL suffix, and the stack's own region only.
    const network = JSON.stringify([...Object.entries(outputs), ...Object.entries(foundation.Outputs)].filter(([id]) => /^(Api|ExecuteApi)/.test(id)));
    expect(network).not.toContain('amazonaws');
    expect(network.match(/\b[a-z]{2}(-gov)?-[a-z]+-\d\b/g)?.every((r) => r === region)).toBe(true);
  });

  test('the evidence report lists every endpoint admitted to the API, in JSON and Markdown, and says what the internet-route proof does not cover', () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-network-path-'));
    const written = writeEvidenceReport({ cdkOut: both.outdir, outDir }).find((w) => w.target === target)!;
    const json = JSON.parse(fs.readFileSync(written.json, 'utf8'));
    const markdown = fs.readFileSync(written.markdown, 'utf8');
    const [api] = json.network.apis;
    expect(api.admittedEndpoints).toEqual([
      { endpoint: expect.stringMatching(new RegExp(`^execute-api interface endpoint \\(${target}/Foundation/NetworkExecuteApi`)), origin: 'created', associated: true },
      ...AGENCY_ENDPOINTS.map((endpoint) => ({ endpoint, origin: 'existing', associated: true })),
    ]);
    for (const endpoint of AGENCY_ENDPOINTS) {
      expect(markdown).toContain(`| ${endpoint} | existing endpoint outside these templates (\`api.allowedVpcEndpoints\`) | yes:`);
    }
    expect(markdown).toMatch(/\| execute-api interface endpoint \(.+\) \| created by these templates \(the kit's own\) \| yes:/);
    expect(json.network.importedVpcs).toEqual([expect.objectContaining({ vpcId: VPC_ID, flowLogs: [expect.stringMatching(/^ALL traffic to cloud-watch-logs/)] })]);
    expect(json.network.internetRoute).toMatchObject({ noInternetRoute: true, notCovered: [VPC_ID] });
    expect(markdown).toContain(`**Not covered: the imported VPC \`${VPC_ID}\`.**`);
  });
});

describe.each(['GovWest'] as const)('%s with the default configuration', (target) => {
  test('the Runtime outputs the URL through the kit\'s endpoint and the one admitted endpoint; no DNS-names output in Foundation', () => {
    const outputs = templateOf(defaults, target, 'Runtime').Outputs;
    expect(outputs.ApiUrlViaKitEndpoint.Value['Fn::Join'][1]).toEqual(expect.arrayContaining([`.execute-api.${REGION[target]}.`, { Ref: 'AWS::URLSuffix' }]));
    expect(outputs.ApiVpcEndpoints.Value).toEqual({ 'Fn::ImportValue': expect.stringMatching(/ExportsOutputRefNetworkExecuteApi/) });
    expect(Object.keys(outputs).filter((id) => id.startsWith('ApiUrlViaVpce'))).toEqual([]);
    // The kit's own VPC connects to no other network, so only its private DNS is ever used there.
    expect(templateOf(defaults, target, 'Foundation').Outputs.ExecuteApiEndpointDnsEntries).toBeUndefined();
  });

  test('admitting endpoints changes only the Runtime stack: Foundation and State stay as they are', () => {
    for (const id of ['Foundation', 'State']) expect(templateOf(admittedOnly, target, id)).toEqual(templateOf(defaults, target, id));
    expect(templateOf(admittedOnly, target, 'Runtime')).not.toEqual(templateOf(defaults, target, 'Runtime'));
  });
});
