import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { parseConfig } from '../../../lib/config/load';
import { targetStacksProps } from '../../../lib/stacks/target-props';
import { problemsOf } from '../../helpers/config-problems';

/**
 * `api.allowedVpcEndpoints` (the agency's own execute-api endpoints, admitted
 * by the API's resource policy) and `network.vpc` (an existing VPC imported
 * by its attributes instead of the kit's own): what parseConfig accepts, what
 * it refuses and how it says so, and the props the stacks get.
 */
const ENDPOINT_A = 'vpce-0a1b2c3d4e5f60718';
const ENDPOINT_B = 'vpce-0fedcba9';

/** An imported VPC in us-gov-west-1 with isolated subnets and their route tables. */
const GOV_WEST_VPC = {
  vpcId: 'vpc-0123456789abcdef0',
  cidr: '10.30.0.0/16',
  availabilityZones: ['us-gov-west-1a', 'us-gov-west-1b'],
  isolatedSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
  routeTableIds: ['rtb-0ccccccccccccccc3', 'rtb-0ccccccccccccccc3'],
};

const withVpc = (vpc: Record<string, unknown>, target: Record<string, unknown> = {}) => ({ targets: { GovWest: { ...target, network: { vpc } } } });

describe('api.allowedVpcEndpoints', () => {
  test('is unset by default: the kit\'s own endpoint is the only way in', () => {
    // GIVEN the defaults WHEN parsed and turned into props
    const config = parseConfig();
    // THEN no target admits another endpoint
    for (const [name, target] of Object.entries(config.targets)) {
      expect(target.api).toBeUndefined();
      expect(targetStacksProps(name, target).runtime.allowedVpcEndpoints).toEqual([]);
    }
  });

  test('takes endpoint ids with 17 or 8 hexadecimal digits, in order, to the Runtime props', () => {
    // GIVEN two endpoints WHEN parsed
    const config = parseConfig({ targets: { GovWest: { api: { allowedVpcEndpoints: [ENDPOINT_A, ENDPOINT_B] } } } });
    // THEN the Runtime stack gets them as written
    expect(targetStacksProps('GovWest', config.targets.GovWest).runtime.allowedVpcEndpoints).toEqual([ENDPOINT_A, ENDPOINT_B]);
  });

  test.each([
    ['an ARN', 'arn:aws:ec2:us-east-1:123456789012:vpc-endpoint/vpce-0a1b2c3d4e5f60718'],
    ['a VPC id', 'vpc-0123456789abcdef0'],
    ['upper-case digits', 'vpce-0A1B2C3D4E5F60718'],
    ['a wrong length', 'vpce-0a1b2c3d4e'],
  ])('refuses %s, naming the field, the form and an example', (_case, id) => {
    expect(problemsOf({ targets: { Commercial: { api: { allowedVpcEndpoints: [id] } } } })).toEqual([
      'targets.Commercial.api.allowedVpcEndpoints.0: must be a VPC endpoint id such as "vpce-0123456789abcdef0" ("vpce-" and 8 or 17 hexadecimal digits)',
    ]);
  });

  test('refuses an endpoint listed twice, at its second place', () => {
    expect(problemsOf({ targets: { Commercial: { api: { allowedVpcEndpoints: [ENDPOINT_A, ENDPOINT_B, ENDPOINT_A] } } } })).toEqual([
      `targets.Commercial.api.allowedVpcEndpoints[2]: "${ENDPOINT_A}" is listed twice; list each endpoint once.`,
    ]);
  });

  test('refuses an unknown api field', () => {
    expect(problemsOf({ targets: { Commercial: { api: { allowedVpcs: ['vpc-0123456789abcdef0'] } } } })).toEqual([
      expect.stringMatching(/^targets\.Commercial\.api: unknown field "allowedVpcs"; remove it or check the spelling/),
    ]);
  });
});

describe('network.vpc', () => {
  test('is unset by default: the kit creates its isolated VPC', () => {
    const props = targetStacksProps('GovWest', parseConfig().targets.GovWest);
    expect(props.foundation).toMatchObject({ vpcCidr: '10.20.0.0/16', availabilityZones: ['us-gov-west-1a', 'us-gov-west-1b'] });
    expect(props.foundation.importedVpc).toBeUndefined();
  });

  test('isolated subnets with route tables: the Foundation props name the VPC, its zones and CIDR', () => {
    // GIVEN an imported VPC WHEN parsed and turned into props
    const props = targetStacksProps('GovWest', parseConfig(withVpc(GOV_WEST_VPC)).targets.GovWest);
    // THEN the network is built in it: its CIDR and zones replace the kit VPC's
    expect(props.foundation).toMatchObject({ vpcCidr: '10.30.0.0/16', availabilityZones: GOV_WEST_VPC.availabilityZones });
    expect(props.foundation.importedVpc).toEqual({
      vpcId: GOV_WEST_VPC.vpcId,
      subnetType: ec2.SubnetType.PRIVATE_ISOLATED,
      subnetIds: GOV_WEST_VPC.isolatedSubnetIds,
      routeTableIds: GOV_WEST_VPC.routeTableIds,
      gatewayEndpointIds: undefined,
    });
  });

  test('private subnets with the VPC\'s own gateway endpoints', () => {
    const { isolatedSubnetIds, routeTableIds, ...rest } = GOV_WEST_VPC;
    const vpc = { ...rest, privateSubnetIds: isolatedSubnetIds, gatewayEndpoints: { s3: 'vpce-0111111111111111a', dynamodb: 'vpce-0222222222222222b' } };
    const props = targetStacksProps('GovWest', parseConfig(withVpc(vpc)).targets.GovWest);
    expect(props.foundation.importedVpc).toMatchObject({
      subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS,
      subnetIds: isolatedSubnetIds,
      routeTableIds: undefined,
      gatewayEndpointIds: { s3: 'vpce-0111111111111111a', dynamoDb: 'vpce-0222222222222222b' },
    });
  });

  test('two subnets per zone are accepted (CDK reads them in zone order)', () => {
    const vpc = {
      ...GOV_WEST_VPC,
      isolatedSubnetIds: ['subnet-0aaaaaaa', 'subnet-0bbbbbbb', 'subnet-0ccccccc', 'subnet-0ddddddd'],
      routeTableIds: ['rtb-0aaaaaaa', 'rtb-0aaaaaaa', 'rtb-0bbbbbbb', 'rtb-0bbbbbbb'],
    };
    expect(targetStacksProps('GovWest', parseConfig(withVpc(vpc)).targets.GovWest).foundation.importedVpc?.subnetIds).toHaveLength(4);
  });

  test('malformed ids, a missing CIDR and one zone are each named, with the form expected', () => {
    const problems = problemsOf(
      withVpc({
        vpcId: 'vpc-123',
        availabilityZones: ['us-gov-west-1a'],
        isolatedSubnetIds: ['sn-0aaaaaaaaaaaaaaa1'],
        routeTableIds: ['rtb-XYZ'],
      }),
    );
    expect(problems).toEqual([
      'targets.GovWest.network.vpc.vpcId: must be a VPC id such as "vpc-0123456789abcdef0" ("vpc-" and 8 or 17 hexadecimal digits)',
      'targets.GovWest.network.vpc.cidr: must be the VPC\'s IPv4 CIDR, /16 to /28, e.g. "10.30.0.0/16"',
      'targets.GovWest.network.vpc.availabilityZones: must name at least 2 zones (CP-10: survive the loss of one zone)',
      'targets.GovWest.network.vpc.isolatedSubnetIds.0: must be a subnet id such as "subnet-0123456789abcdef0" ("subnet-" and 8 or 17 hexadecimal digits)',
      'targets.GovWest.network.vpc.routeTableIds.0: must be a route table id such as "rtb-0123456789abcdef0" ("rtb-" and 8 or 17 hexadecimal digits)',
    ]);
  });

  test('the rules across fields: zones of the region, one subnet kind, subnets filling the zones, a way to S3 and DynamoDB', () => {
    const { routeTableIds: _routeTables, ...noGateway } = GOV_WEST_VPC;
    const at = 'targets.GovWest';
    expect(problemsOf(withVpc({ ...GOV_WEST_VPC, availabilityZones: ['us-gov-west-1a', 'us-east-1b'] }))).toEqual([
      `${at}.network.vpc.availabilityZones[1]: "us-east-1b" is not a zone of the target region us-gov-west-1; the VPC must be in us-gov-west-1 (e.g. "us-gov-west-1a").`,
    ]);
    expect(problemsOf(withVpc({ ...GOV_WEST_VPC, privateSubnetIds: GOV_WEST_VPC.isolatedSubnetIds }))).toEqual([
      `${at}.network.vpc: sets both isolatedSubnetIds and privateSubnetIds; the kit places its functions and endpoints in one kind of subnet: keep one list.`,
    ]);
    expect(problemsOf(withVpc({ ...noGateway, isolatedSubnetIds: undefined, gatewayEndpoints: { s3: ENDPOINT_A, dynamodb: ENDPOINT_B } }))).toEqual([
      expect.stringMatching(new RegExp(`^${at}\\.network\\.vpc: names no subnets for the kit's functions and endpoints; list them in isolatedSubnetIds \\(no route out of the VPC\\) or privateSubnetIds`)),
    ]);
    expect(problemsOf(withVpc({ ...GOV_WEST_VPC, isolatedSubnetIds: ['subnet-0aaaaaaa', 'subnet-0bbbbbbb', 'subnet-0ccccccc'], routeTableIds: undefined, gatewayEndpoints: { s3: ENDPOINT_A, dynamodb: ENDPOINT_B } }))).toEqual([
      `${at}.network.vpc.isolatedSubnetIds: lists 3 subnets for 2 zones; list one subnet per zone (or the same number in each), in the order of availabilityZones.`,
    ]);
    expect(problemsOf(withVpc({ ...GOV_WEST_VPC, isolatedSubnetIds: ['subnet-0aaaaaaa', 'subnet-0aaaaaaa'] }))).toEqual([
      `${at}.network.vpc.isolatedSubnetIds[1]: "subnet-0aaaaaaa" is listed twice; list each subnet once.`,
    ]);
    expect(problemsOf(withVpc({ ...GOV_WEST_VPC, routeTableIds: ['rtb-0ccccccccccccccc3'] }))).toEqual([
      `${at}.network.vpc.routeTableIds: lists 1 route tables for 2 subnets; give each subnet's route table, in the order of isolatedSubnetIds (repeat one that several subnets share).`,
    ]);
    expect(problemsOf(withVpc(noGateway))).toEqual([
      expect.stringMatching(
        new RegExp(`^${at}\\.network\\.vpc: does not say how the functions reach S3 and DynamoDB \\(the payload bucket admits only requests through an S3 gateway endpoint\\); set routeTableIds .* or gatewayEndpoints`),
      ),
    ]);
    expect(problemsOf(withVpc({ ...GOV_WEST_VPC, gatewayEndpoints: { s3: ENDPOINT_A, dynamodb: ENDPOINT_B } }))).toEqual([
      expect.stringMatching(new RegExp(`^${at}\\.network\\.vpc: sets both routeTableIds .* and gatewayEndpoints .*; a route table holds one gateway endpoint per service, so keep one\\.$`)),
    ]);
  });

  test('the top-level availabilityZones (of the kit\'s own VPC) is refused next to an imported VPC', () => {
    expect(problemsOf(withVpc(GOV_WEST_VPC, { availabilityZones: ['us-gov-west-1a', 'us-gov-west-1c'] }))).toEqual([
      expect.stringMatching(/^targets\.GovWest\.availabilityZones: names the zones of the VPC the kit creates, but network\.vpc imports an existing VPC; remove availabilityZones and list that VPC's zones in network\.vpc\.availabilityZones\.$/),
    ]);
  });

  test('the execute-api endpoint stays required: the kit creates its own in the imported VPC', () => {
    expect(problemsOf(withVpc(GOV_WEST_VPC, { interfaceEndpoints: ['kms', 'logs'] }))).toEqual([expect.stringMatching(/^targets\.GovWest\.interfaceEndpoints: must include "execute-api"/)]);
  });
});
