import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../../compliance/acknowledge';
import { requireCapability } from '../../residency/capability-gate';
import { FactStatus } from '../../residency/region-facts';
import {
  FLOW_LOG_TRAFFIC,
  INTERFACE_ENDPOINT_PRIVATE_DNS,
  SUBNET_CIDR_MASK,
  SUBNET_TYPE,
} from './private-network-defaults';

export interface PrivateNetworkProps {
  /** CIDR of the VPC (the one created, or `vpc`'s): the interface endpoints admit HTTPS from it. */
  readonly cidr: string;
  /** Zones of the VPC created (not used with `vpc`). */
  readonly maxAzs: number;
  /**
   * An existing VPC to build the network in instead of creating one, imported
   * with explicit attributes (`ec2.Vpc.fromVpcAttributes`, no lookup). The
   * interface endpoints, their security groups and a flow log are then
   * created in it; its subnets, route tables, gateways, DNS settings and
   * default security group stay its owner's.
   * @default a new isolated VPC of `cidr` over `maxAzs` zones
   */
  readonly vpc?: ec2.IVpc;
  /** The subnets of `vpc` the endpoints (and the runtime's functions) use. @default the isolated subnets */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * S3 and DynamoDB gateway endpoints `vpc` already has, used instead of new
   * ones (a route table holds one gateway endpoint per service). Their
   * policies are their owner's.
   * @default new gateway endpoints on the subnets' route tables, for this account only
   */
  readonly gatewayEndpoints?: { readonly s3: ec2.IGatewayVpcEndpoint; readonly dynamoDb: ec2.IGatewayVpcEndpoint };
  /** Interface endpoint services (suffix after `com.amazonaws.{region}.`), checked by the capability gate. */
  readonly interfaceEndpoints: readonly string[];
  /**
   * Services whose SDK clients use a separate `-fips` host here (residency.fips).
   * Their interface endpoint is the `<service>-fips` endpoint service, so the
   * private DNS answers for the host the functions call.
   * @default none
   */
  readonly fipsServices?: readonly string[];
  /** Key of the flow-log group. */
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
}

/**
 * An isolated VPC (SC-7): isolated subnets only, no internet or NAT gateway.
 * AWS services are reached through gateway endpoints (DynamoDB, S3) and
 * interface endpoints, each with a policy that admits only this account's
 * principals, and, for gateway endpoints, only this account's resources.
 * Flow logs go to an encrypted log group. Given an existing `vpc`, the same
 * endpoints and flow log are built in that VPC instead.
 */
export class PrivateNetwork extends Construct {
  public readonly vpc: ec2.IVpc;
  public readonly subnets: ec2.SubnetSelection;
  /** Interface endpoints created, by service name. */
  public readonly interfaceEndpoints: Readonly<Record<string, ec2.InterfaceVpcEndpoint>>;
  public readonly flowLogGroup: logs.ILogGroup;
  /** Gateway endpoints: bucket and table policies can require traffic to come through them. */
  public readonly s3Endpoint: ec2.IGatewayVpcEndpoint;
  public readonly dynamoDbEndpoint: ec2.IGatewayVpcEndpoint;

  constructor(scope: Construct, id: string, props: PrivateNetworkProps) {
    super(scope, id);
    const account = Stack.of(this).account;

    const created = props.vpc ? undefined : this.createVpc(props);
    const vpc = props.vpc ?? created!;
    this.vpc = vpc;
    this.subnets = props.subnets ?? { subnetType: SUBNET_TYPE };
    // What the construct adds to its own VPC keeps the ids it always had (renaming one replaces it); in an imported VPC it lives here.
    const owner: Construct = created ?? this;

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      encryptionKey: props.logsKey,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // AU-12: in an imported VPC too, the kit keeps its own record of the traffic, next to any flow log the owner has.
    const flowLog = new ec2.FlowLog(owner, 'FlowLog', {
      resourceType: ec2.FlowLogResourceType.fromVpc(vpc),
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: FLOW_LOG_TRAFFIC,
    });
    acknowledge(
      flowLog.node.findChild('IAMRole'),
      'NIST.800.53.R5-IAMNoInlinePolicy',
      'CDK-generated AWS::IAM::Policy for the flow-log role, scoped to its one log group; it carries the permissions boundary.',
    );
    this.acknowledgeDefaultSecurityGroupProvider();

    const ownAccountOnly = (resourceToo: boolean) =>
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: ['*'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'aws:PrincipalAccount': account,
            ...(resourceToo ? { 'aws:ResourceAccount': account } : {}),
          },
        },
      });

    const gateway = (name: string, service: ec2.IGatewayVpcEndpointService) => {
      const endpoint = new ec2.GatewayVpcEndpoint(owner, name, { vpc, service, subnets: [this.subnets] });
      endpoint.addToPolicy(ownAccountOnly(true));
      return endpoint;
    };
    this.dynamoDbEndpoint = props.gatewayEndpoints?.dynamoDb ?? gateway('DynamoDb', ec2.GatewayVpcEndpointAwsService.DYNAMODB);
    this.s3Endpoint = props.gatewayEndpoints?.s3 ?? gateway('S3', ec2.GatewayVpcEndpointAwsService.S3);
    const fips = new Set(props.fipsServices ?? []);
    for (const service of ['dynamodb', 's3'].filter((s) => fips.has(s))) {
      requireCapability(this, `vpce-gateway:${service}-fips`, `the ${service} gateway endpoint (FIPS host)`);
    }

    const endpoints: Record<string, ec2.InterfaceVpcEndpoint> = {};
    for (const service of props.interfaceEndpoints) {
      // SC-13: with FIPS on, the endpoint must answer for the -fips host the SDK calls.
      const endpointService = fips.has(service) ? `${service}-fips` : service;
      const check = requireCapability(this, `vpce:${endpointService}`, `the ${endpointService} interface endpoint`);
      if (check.status === FactStatus.UNAVAILABLE) continue;
      const endpoint = new ec2.InterfaceVpcEndpoint(owner, endpointId(endpointService), {
        vpc,
        service: new ec2.InterfaceVpcEndpointAwsService(endpointService),
        subnets: this.subnets,
        privateDnsEnabled: INTERFACE_ENDPOINT_PRIVATE_DNS,
        open: false,
      });
      // SC-7: HTTPS from inside this VPC only (a literal CIDR, so reviewers and cdk-nag can read it).
      endpoint.connections.allowFrom(ec2.Peer.ipv4(props.cidr), ec2.Port.tcp(443), created ? 'HTTPS from the isolated VPC' : 'HTTPS from the VPC');
      endpoint.addToPolicy(ownAccountOnly(false));
      endpoints[service] = endpoint;
    }
    this.interfaceEndpoints = endpoints;
  }

  /** The isolated VPC (SC-7): isolated subnets only, no internet or NAT gateway, the default security group closed. */
  private createVpc(props: PrivateNetworkProps): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Resource', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      maxAzs: props.maxAzs,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: SUBNET_TYPE, cidrMask: SUBNET_CIDR_MASK }],
      restrictDefaultSecurityGroup: true,
    });
    acknowledge(
      vpc,
      'CloudFormation-Validate::W3010',
      'Zones are named in the configuration (availabilityZones) so synth needs no credentials or lookups; set them to the zone names of your account.',
    );
    return vpc;
  }

  /**
   * `restrictDefaultSecurityGroup` (SC-7: the default security group allows
   * nothing) is enforced by a CDK-managed custom resource whose function calls
   * the EC2 API once at deploy time; it runs outside the VPC by design.
   */
  private acknowledgeDefaultSecurityGroupProvider(): void {
    const provider = Stack.of(this).node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
    if (!provider) return;
    acknowledge(
      provider,
      'StatehouseResidency::LambdaOutsideVpc',
      'CDK-managed deploy-time function that removes the default security group rules; it handles no session data and the isolated VPC has no EC2 API route for it.',
    );
  }
}

/** `bedrock-agent-runtime` → `BedrockAgentRuntime`: stable construct ids (renaming one replaces the endpoint). */
function endpointId(service: string): string {
  return service
    .split(/[-.]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
