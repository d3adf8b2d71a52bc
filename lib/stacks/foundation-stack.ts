import { Annotations, CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AuditTrail } from '../constructs/audit-trail/audit-trail';
import { PlatformKeys } from '../constructs/platform-keys/platform-keys';
import { PrivateNetwork, type PrivateNetworkProps } from '../constructs/private-network/private-network';
import { ResidencyBoundary } from '../constructs/residency-boundary/residency-boundary';
import { requireCapability } from '../residency/capability-gate';
import type { Residency } from '../residency/residency';
import type { FoundationSettings, ImportedVpc } from './target-props';

export interface FoundationStackProps extends StackProps {
  readonly settings: FoundationSettings;
  readonly residency: Residency;
  /** Services whose interface endpoints are the `-fips` endpoint services (the SDK clients call -fips hosts). */
  readonly fipsServices: readonly string[];
  readonly logRetention: logs.RetentionDays;
}

/**
 * Stateful ground of one target: keys, the isolated network, the audit trail
 * and the permissions boundary. Every resource here is RETAIN.
 */
export class FoundationStack extends Stack {
  public readonly keys: PlatformKeys;
  public readonly network: PrivateNetwork;
  public readonly audit: AuditTrail;
  public readonly boundary: ResidencyBoundary;
  private readonly zones: string[];

  constructor(scope: Construct, id: string, props: FoundationStackProps) {
    super(scope, id, props);
    const { settings } = props;
    this.zones = [...settings.availabilityZones];

    this.boundary = new ResidencyBoundary(this, 'Boundary', {
      residency: props.residency,
      managedPolicyName: settings.permissionsBoundaryName,
    });
    this.keys = new PlatformKeys(this, 'Keys', { residency: props.residency, aliasPrefix: settings.keyAliasPrefix });
    const imported = settings.importedVpc && this.importVpc(settings.importedVpc);
    this.network = new PrivateNetwork(this, 'Network', {
      cidr: settings.vpcCidr,
      maxAzs: this.zones.length,
      ...imported,
      interfaceEndpoints: settings.interfaceEndpoints,
      fipsServices: props.fipsServices,
      logsKey: this.keys.logs,
      logRetention: props.logRetention,
    });
    const executeApi = this.network.interfaceEndpoints['execute-api'];
    if (imported && executeApi) {
      // Callers in networks connected to an imported VPC (peering, transit gateway, Direct Connect) reach the API through
      // these names; the kit's own VPC connects to nothing, so there only its private DNS is ever used.
      new CfnOutput(this, 'ExecuteApiEndpointDnsEntries', {
        value: Fn.join(',', executeApi.vpcEndpointDnsEntries),
        description: 'DNS entries of the kit\'s execute-api endpoint ("hosted zone id:DNS name", regional first, then one per zone), for callers in networks connected to the VPC',
      });
    }
    for (const capability of settings.requiredCapabilities) {
      requireCapability(this, capability, 'the configuration (requiredCapabilities)');
    }
    this.audit = new AuditTrail(this, 'Audit', {
      trailName: settings.trailName,
      auditKey: this.keys.audit,
      logsKey: this.keys.logs,
      logRetention: props.logRetention,
      retentionDays: settings.auditRetentionDays,
      dataResourcePrefix: settings.dataResourcePrefix,
    });
  }

  /** The existing VPC of `network.vpc`, its subnets and gateway endpoints, from explicit attributes: no lookup, so synth needs no credentials. */
  private importVpc(vpc: ImportedVpc): Pick<PrivateNetworkProps, 'vpc' | 'subnets' | 'gatewayEndpoints'> {
    const subnetIds = [...vpc.subnetIds];
    const routeTableIds = vpc.routeTableIds && [...vpc.routeTableIds];
    const imported = ec2.Vpc.fromVpcAttributes(this, 'ImportedVpc', {
      vpcId: vpc.vpcId,
      availabilityZones: this.zones,
      ...(vpc.subnetType === ec2.SubnetType.PRIVATE_ISOLATED
        ? { isolatedSubnetIds: subnetIds, isolatedSubnetRouteTableIds: routeTableIds }
        : { privateSubnetIds: subnetIds, privateSubnetRouteTableIds: routeTableIds }),
    });
    if (routeTableIds === undefined) {
      // parseConfig requires the VPC's own gateway endpoints then, so nothing reads a route table.
      Annotations.of(imported).acknowledgeWarning('@aws-cdk/aws-ec2:noSubnetRouteTableId', 'The VPC\'s own gateway endpoints serve its route tables; the kit reads none.');
    }
    const gateway = (id: string, endpointId: string) => ec2.GatewayVpcEndpoint.fromGatewayVpcEndpointId(this, id, endpointId);
    return {
      vpc: imported,
      subnets: { subnetType: vpc.subnetType },
      gatewayEndpoints: vpc.gatewayEndpointIds && { s3: gateway('ImportedS3Endpoint', vpc.gatewayEndpointIds.s3), dynamoDb: gateway('ImportedDynamoDbEndpoint', vpc.gatewayEndpointIds.dynamoDb) },
    };
  }

  /**
   * Named zones instead of a context lookup: synth needs no credentials and
   * gives the same template for every account.
   */
  public get availabilityZones(): string[] {
    return this.zones;
  }
}
