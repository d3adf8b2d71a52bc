import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { PrivateNetwork } from '../../../../lib/constructs/private-network/private-network';
import * as regionFacts from '../../../../lib/residency/region-facts';
import { FactStatus, INTERFACE_ENDPOINT_SERVICES } from '../../../../lib/residency/region-facts';
import { COMMERCIAL, GOV_EAST, GOV_WEST, logicalIdOf, synthFailure, targetStack, TEST_ACCOUNT, type TargetStackFixture } from '../construct-test-stacks';

const CIDR = '10.40.0.0/16';

/** Interface endpoint services the region facts mark unverified in GovCloud. */
const UNVERIFIED_IN_GOVCLOUD = ['bedrock-runtime', 'bedrock-agent-runtime', 'sagemaker.runtime', 'execute-api', 'sync-states'];

interface NetworkFixture extends TargetStackFixture {
  readonly network: PrivateNetwork;
  readonly logsKey: kms.Key;
}

function networkIn(region: string, interfaceEndpoints: readonly string[] = INTERFACE_ENDPOINT_SERVICES): NetworkFixture {
  const fixture = targetStack(region);
  const logsKey = new kms.Key(fixture.stack, 'LogsKey');
  const network = new PrivateNetwork(fixture.stack, 'Network', {
    cidr: CIDR,
    maxAzs: 2,
    interfaceEndpoints,
    logsKey,
    logRetention: logs.RetentionDays.ONE_YEAR,
  });
  return { ...fixture, network, logsKey };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const interfaceServiceName = (region: string, service: string) => Match.stringLikeRegexp(`\\.${escape(region)}\\.${escape(service)}$`);

describe('PrivateNetwork', () => {
  let fixture: NetworkFixture;
  let template: Template;
  beforeAll(() => {
    // GIVEN an isolated network in us-east-1 with every interface endpoint the runtime may call
    fixture = networkIn(COMMERCIAL);
    template = Template.fromStack(fixture.stack);
  });

  test('has isolated subnets only, in two zones, and no internet path (no IGW, NAT, EIP or route)', () => {
    // THEN the VPC has only isolated subnets, one per zone, and nothing that routes to the internet
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: CIDR });
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    template.allResourcesProperties('AWS::EC2::Subnet', {
      MapPublicIpOnLaunch: false,
      Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Isolated' }]),
    });
    for (const type of [
      'AWS::EC2::InternetGateway',
      'AWS::EC2::EgressOnlyInternetGateway',
      'AWS::EC2::VPCGatewayAttachment',
      'AWS::EC2::NatGateway',
      'AWS::EC2::EIP',
      'AWS::EC2::Route',
    ]) {
      template.resourceCountIs(type, 0);
    }
  });

  test.each([
    ['DynamoDB', 'dynamodb'],
    ['S3', 's3'],
  ])('a %s gateway endpoint on the isolated route tables admits only this account\'s principals and resources', (_, service) => {
    // WHEN the gateway endpoint of the service is read
    // THEN it serves the isolated route tables and its policy admits only this account
    const routeTables = Object.keys(template.findResources('AWS::EC2::RouteTable')).map((id) => ({ Ref: id }));
    expect(routeTables).toHaveLength(2);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', [Match.anyValue(), { Ref: 'AWS::Region' }, `.${service}`]] },
      RouteTableIds: Match.arrayEquals(routeTables),
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: '*',
            Resource: '*',
            Condition: { StringEquals: { 'aws:PrincipalAccount': TEST_ACCOUNT, 'aws:ResourceAccount': TEST_ACCOUNT } },
          },
        ],
        Version: '2012-10-17',
      },
    });
  });

  test('exposes the gateway endpoints for bucket and table policies', () => {
    // THEN the construct hands out the endpoints it created
    expect(logicalIdOf(fixture.network.s3Endpoint)).toMatch(/^NetworkS3/);
    expect(logicalIdOf(fixture.network.dynamoDbEndpoint)).toMatch(/^NetworkDynamoDb/);
  });

  test('creates one interface endpoint per configured service, with private DNS, in the isolated subnets, own-account only', () => {
    // THEN each configured service has its endpoint, private DNS on, in the isolated subnets, for this account's principals only
    const subnets = Object.keys(template.findResources('AWS::EC2::Subnet')).map((id) => ({ Ref: id }));
    template.resourceCountIs('AWS::EC2::VPCEndpoint', INTERFACE_ENDPOINT_SERVICES.length + 2);
    for (const service of INTERFACE_ENDPOINT_SERVICES) {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Interface',
        ServiceName: interfaceServiceName(COMMERCIAL, service),
        PrivateDnsEnabled: true,
        SubnetIds: Match.arrayEquals(subnets),
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: '*' },
              Action: '*',
              Resource: '*',
              Condition: { StringEquals: { 'aws:PrincipalAccount': TEST_ACCOUNT } },
            },
          ],
          Version: '2012-10-17',
        },
      });
    }
  });

  test('interface endpoint construct ids are stable (renaming one would replace the endpoint)', () => {
    // THEN the ids are the service names in PascalCase
    const ids = Object.fromEntries(Object.entries(fixture.network.interfaceEndpoints).map(([service, endpoint]) => [service, endpoint.node.id]));
    expect(ids).toEqual({
      kms: 'Kms',
      logs: 'Logs',
      sts: 'Sts',
      monitoring: 'Monitoring',
      states: 'States',
      lambda: 'Lambda',
      xray: 'Xray',
      'bedrock-runtime': 'BedrockRuntime',
      'bedrock-agent-runtime': 'BedrockAgentRuntime',
      'sagemaker.runtime': 'SagemakerRuntime',
      'execute-api': 'ExecuteApi',
      'sync-states': 'SyncStates',
    });
  });

  test('each interface endpoint security group admits HTTPS from the VPC CIDR, and nothing else', () => {
    // WHEN each interface endpoint's security group is read
    // THEN its only ingress is HTTPS from the VPC CIDR
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }));
    const groups = template.toJSON().Resources;
    for (const endpoint of endpoints) {
      const [groupRef] = endpoint.Properties.SecurityGroupIds as Array<{ 'Fn::GetAtt': [string, string] }>;
      expect(endpoint.Properties.SecurityGroupIds).toHaveLength(1);
      const ingress = groups[groupRef['Fn::GetAtt'][0]].Properties.SecurityGroupIngress;
      expect(ingress).toEqual([{ CidrIp: CIDR, Description: 'HTTPS from the isolated VPC', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 }]);
    }
    // and no rule is added to them elsewhere
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('flow logs record all traffic of the VPC into a log group under the logs key, with retention, retained', () => {
    // THEN the VPC's flow log records all traffic into the encrypted, retained flow-log group (the only log group)
    const flowLogGroup = logicalIdOf(fixture.network.flowLogGroup);
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      ResourceId: { Ref: logicalIdOf(fixture.network.vpc) },
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: { Ref: flowLogGroup },
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(fixture.logsKey), 'Arn'] }, RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
    });
    expect(Object.keys(template.findResources('AWS::Logs::LogGroup'))).toEqual([flowLogGroup]);
  });

  test('every endpoint service is available in us-east-1: no capability warning', () => {
    // THEN the capability gate has nothing to say
    expect(Annotations.fromStack(fixture.stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('PrivateNetwork and the capability gate', () => {
  test('GovCloud: an unverified endpoint service is still created, with a warning that says how to verify it', () => {
    // GIVEN every interface endpoint in us-gov-west-1
    const { stack, network } = networkIn(GOV_WEST);
    // WHEN synthesized
    const template = Template.fromStack(stack);
    // THEN every endpoint exists
    expect(Object.keys(network.interfaceEndpoints).sort()).toEqual([...INTERFACE_ENDPOINT_SERVICES].sort());
    for (const service of UNVERIFIED_IN_GOVCLOUD) {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: interfaceServiceName(GOV_WEST, service) });
    }
    // AND the unverified ones (only they) carry a warning with the verify command
    const annotations = Annotations.fromStack(stack);
    const warned = annotations
      .findWarning('/Target/Test/Network', Match.stringLikeRegexp('is unverified'))
      .map((w) => /"vpce:([^"]+)"/.exec(String(w.entry.data))?.[1]);
    expect(warned.sort()).toEqual([...UNVERIFIED_IN_GOVCLOUD].sort());
    annotations.hasWarning(
      '/Target/Test/Network',
      Match.stringLikeRegexp(`aws ec2 describe-vpc-endpoint-services --region ${GOV_WEST}`),
    );
  });

  describe('an endpoint service the target does not offer', () => {
    // GIVEN a region-facts row that marks sagemaker.runtime unavailable in us-gov-east-1
    const realFindFact = regionFacts.findFact;
    const unavailable: regionFacts.CapabilityFact = {
      capability: 'vpce:sagemaker.runtime',
      regions: [GOV_EAST],
      status: FactStatus.UNAVAILABLE,
      source: 'test row',
      why: 'The endpoint service is not offered here.',
      alternative: 'Call the service from a region that offers it.',
    };
    let fixture: NetworkFixture;
    beforeAll(() => {
      const spy = jest
        .spyOn(regionFacts, 'findFact')
        .mockImplementation((capability, region) =>
          capability === unavailable.capability && unavailable.regions.includes(region) ? unavailable : realFindFact(capability, region),
        );
      try {
        // WHEN the network is built with every interface endpoint
        fixture = networkIn(GOV_EAST);
      } finally {
        spy.mockRestore();
      }
    });

    test('fails synth with what, why and what to do instead', () => {
      // THEN synth fails with the gate's message
      expect(synthFailure(fixture.app)).toMatch(
        /Target \(us-gov-east-1\) cannot run "vpce:sagemaker\.runtime", which the sagemaker\.runtime interface endpoint needs\. Why: The endpoint service is not offered here\. \(source: test row\)\. Instead: Call the service from a region that offers it\./,
      );
    });

    test('is not created; the other endpoints are', () => {
      // THEN the construct skips that endpoint
      // AND the template (validation skipped) holds every other endpoint and not that one
      expect(Object.keys(fixture.network.interfaceEndpoints).sort()).toEqual(INTERFACE_ENDPOINT_SERVICES.filter((s) => s !== 'sagemaker.runtime').sort());
      const assembly = fixture.stage.synth({ skipValidation: true, force: true });
      const template = Template.fromJSON(assembly.getStackArtifact(fixture.stack.artifactId).template);
      template.resourceCountIs('AWS::EC2::VPCEndpoint', INTERFACE_ENDPOINT_SERVICES.length - 1 + 2);
      expect(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { ServiceName: interfaceServiceName(GOV_EAST, 'sagemaker.runtime') } })).toEqual({});
    });
  });
});

describe('PrivateNetwork in an existing VPC', () => {
  const VPC_ID = 'vpc-0123456789abcdef0';
  const SUBNETS = ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'];
  const IMPORTED_CIDR = '10.30.0.0/16';

  /** The network built in a VPC imported by its attributes (no lookup), as FoundationStack does for `network.vpc`. */
  function importedNetworkIn(region: string, gateways: 'route tables' | 'existing'): NetworkFixture {
    const fixture = targetStack(region);
    const logsKey = new kms.Key(fixture.stack, 'LogsKey');
    const vpc = ec2.Vpc.fromVpcAttributes(fixture.stack, 'Imported', {
      vpcId: VPC_ID,
      availabilityZones: [`${region}a`, `${region}b`],
      privateSubnetIds: SUBNETS,
      privateSubnetRouteTableIds: gateways === 'route tables' ? ['rtb-0ccccccccccccccc3', 'rtb-0ccccccccccccccc3'] : undefined,
    });
    const existing = (id: string, endpointId: string) => ec2.GatewayVpcEndpoint.fromGatewayVpcEndpointId(fixture.stack, id, endpointId);
    const network = new PrivateNetwork(fixture.stack, 'Network', {
      cidr: IMPORTED_CIDR,
      maxAzs: 2,
      vpc,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      gatewayEndpoints: gateways === 'existing' ? { s3: existing('S3', 'vpce-0111111111111111a'), dynamoDb: existing('Ddb', 'vpce-0222222222222222b') } : undefined,
      interfaceEndpoints: ['kms', 'execute-api'],
      logsKey,
      logRetention: logs.RetentionDays.ONE_YEAR,
    });
    return { ...fixture, network, logsKey };
  }

  test('creates no VPC, subnet, route table or default-security-group handler: those stay the owner\'s', () => {
    // GIVEN the network in an imported VPC WHEN synthesized
    const { stack } = importedNetworkIn(COMMERCIAL, 'route tables');
    const template = Template.fromStack(stack);
    // THEN nothing of the VPC itself is in the template
    for (const type of ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::RouteTable', 'AWS::EC2::SubnetRouteTableAssociation', 'AWS::EC2::Route', 'Custom::VpcRestrictDefaultSG']) {
      template.resourceCountIs(type, 0);
    }
  });

  test('its interface endpoints, their security groups (HTTPS from the VPC CIDR) and the flow log are created in that VPC', () => {
    // GIVEN the network in an imported VPC
    const { stack, network, logsKey } = importedNetworkIn(GOV_WEST, 'route tables');
    const template = Template.fromStack(stack);
    // THEN each interface endpoint is in the VPC's subnets, private DNS on, own-account only
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 4);
    for (const service of ['kms', 'execute-api']) {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Interface',
        VpcId: VPC_ID,
        ServiceName: interfaceServiceName(GOV_WEST, service),
        SubnetIds: SUBNETS,
        PrivateDnsEnabled: true,
        PolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Condition: { StringEquals: { 'aws:PrincipalAccount': TEST_ACCOUNT } } })] }),
      });
    }
    // AND their security groups are in the VPC and admit HTTPS from its CIDR only
    template.resourceCountIs('AWS::EC2::SecurityGroup', 2);
    template.allResourcesProperties('AWS::EC2::SecurityGroup', {
      VpcId: VPC_ID,
      SecurityGroupIngress: [{ CidrIp: IMPORTED_CIDR, Description: 'HTTPS from the VPC', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 }],
    });
    // AND the kit's own flow log records all of the VPC's traffic into its encrypted, retained log group
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      ResourceId: VPC_ID,
      TrafficType: 'ALL',
      LogGroupName: { Ref: logicalIdOf(network.flowLogGroup) },
    });
    template.hasResource('AWS::Logs::LogGroup', { Properties: { KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(logsKey), 'Arn'] } }, DeletionPolicy: 'Retain' });
    // AND construct ids stay those of the kit's own VPC
    expect(Object.fromEntries(Object.entries(network.interfaceEndpoints).map(([service, e]) => [service, e.node.id]))).toEqual({ kms: 'Kms', 'execute-api': 'ExecuteApi' });
  });

  test('with route tables: its own S3 and DynamoDB gateway endpoints on them (each table once), own account only', () => {
    const { stack } = importedNetworkIn(COMMERCIAL, 'route tables');
    const template = Template.fromStack(stack);
    for (const service of ['s3', 'dynamodb']) {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        VpcId: VPC_ID,
        ServiceName: { 'Fn::Join': ['', [Match.anyValue(), { Ref: 'AWS::Region' }, `.${service}`]] },
        RouteTableIds: ['rtb-0ccccccccccccccc3'],
        PolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Condition: { StringEquals: { 'aws:PrincipalAccount': TEST_ACCOUNT, 'aws:ResourceAccount': TEST_ACCOUNT } } })] }),
      });
    }
  });

  test('with the VPC\'s own gateway endpoints: none created; bucket and table policies get those', () => {
    const { stack, network } = importedNetworkIn(COMMERCIAL, 'existing');
    Template.fromStack(stack).resourceCountIs('AWS::EC2::VPCEndpoint', 2);
    expect([network.s3Endpoint.vpcEndpointId, network.dynamoDbEndpoint.vpcEndpointId]).toEqual(['vpce-0111111111111111a', 'vpce-0222222222222222b']);
  });
});
