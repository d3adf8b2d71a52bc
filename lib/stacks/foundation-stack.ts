import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { TargetConfig } from '../config/schema';
import { dataResourcePrefix, permissionsBoundaryName, targetPrefix, trailName } from '../config/naming';
import { AuditTrail } from '../constructs/audit-trail/audit-trail';
import { PlatformKeys } from '../constructs/platform-keys/platform-keys';
import { PrivateNetwork } from '../constructs/private-network/private-network';
import { ResidencyBoundary } from '../constructs/residency-boundary/residency-boundary';
import { requireCapability } from '../residency/capability-gate';
import { fipsHostServices } from '../residency/region-facts';

export interface FoundationStackProps extends StackProps {
  readonly targetName: string;
  readonly target: TargetConfig;
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
    const { target, targetName } = props;
    this.zones = target.availabilityZones ?? ['a', 'b', 'c'].slice(0, target.maxAzs).map((letter) => `${target.region}${letter}`);

    this.boundary = new ResidencyBoundary(this, 'Boundary', {
      residency: target.residency,
      managedPolicyName: permissionsBoundaryName(targetName),
    });
    this.keys = new PlatformKeys(this, 'Keys', { residency: target.residency, aliasPrefix: targetPrefix(targetName) });
    this.network = new PrivateNetwork(this, 'Network', {
      cidr: target.vpcCidr,
      maxAzs: this.zones.length,
      interfaceEndpoints: target.interfaceEndpoints,
      fipsServices: target.residency.fips ? fipsHostServices(target.region) : [],
      logsKey: this.keys.logs,
      logRetention: props.logRetention,
    });
    for (const capability of target.requiredCapabilities) {
      requireCapability(this, capability, 'the configuration (requiredCapabilities)');
    }
    this.audit = new AuditTrail(this, 'Audit', {
      trailName: trailName(targetName),
      auditKey: this.keys.audit,
      logsKey: this.keys.logs,
      logRetention: props.logRetention,
      retentionDays: target.auditRetentionDays,
      dataResourcePrefix: dataResourcePrefix(targetName),
    });
  }

  /**
   * Named zones instead of a context lookup: synth needs no credentials and
   * gives the same template for every account.
   */
  public get availabilityZones(): string[] {
    return this.zones;
  }
}
