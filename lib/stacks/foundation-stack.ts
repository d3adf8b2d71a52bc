import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AuditTrail } from '../constructs/audit-trail/audit-trail';
import { PlatformKeys } from '../constructs/platform-keys/platform-keys';
import { PrivateNetwork } from '../constructs/private-network/private-network';
import { ResidencyBoundary } from '../constructs/residency-boundary/residency-boundary';
import { requireCapability } from '../residency/capability-gate';
import type { Residency } from '../residency/residency';
import type { FoundationSettings } from './target-props';

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
    this.network = new PrivateNetwork(this, 'Network', {
      cidr: settings.vpcCidr,
      maxAzs: this.zones.length,
      interfaceEndpoints: settings.interfaceEndpoints,
      fipsServices: props.fipsServices,
      logsKey: this.keys.logs,
      logRetention: props.logRetention,
    });
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

  /**
   * Named zones instead of a context lookup: synth needs no credentials and
   * gives the same template for every account.
   */
  public get availabilityZones(): string[] {
    return this.zones;
  }
}
