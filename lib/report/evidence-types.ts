import type { ReportedViolation } from '../compliance/validation-report';
import type { RunProvenance } from './provenance';
import type { KeyDescription } from './resolve';

/**
 * The evidence of one target, as written to `evidence-<Target>.json`. The
 * Markdown and the SVG are both rendered from this object only.
 */

export interface StackSummary {
  readonly stackName: string;
  /** Construct path, e.g. `GovWest/State`. */
  readonly path: string;
  readonly templateFile: string;
  /** SHA-256 of the template file (hex). */
  readonly templateSha256: string;
  readonly resourceCount: number;
  readonly dependsOn: string[];
}

export interface TargetSummary {
  readonly target: string;
  readonly region: string;
  /** Every region a stack of the target names (normally one). */
  readonly regions: string[];
  readonly partition?: { readonly id: string; readonly name: string };
  /** A literal account id, or `deploying account` for environment-agnostic accounts. */
  readonly account: string;
  readonly stacks: StackSummary[];
}

/** Where a resource lives in the templates. */
export interface Located {
  /** A readable name: the construct path inside its stack (`Agent/Orchestrator`). */
  readonly title: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly constructPath?: string;
}

export interface Encryption {
  /** `KMS (customer-managed key)`, `SSE-S3 (AES256)`, `none`... */
  readonly atRest: string;
  readonly key?: KeyDescription;
}

export interface AccessPolicy {
  /** A Deny on `aws:SecureTransport = false` covers the store. */
  readonly tlsOnly: boolean;
  /** A Deny on `aws:SourceVpce` other than the named endpoint. */
  readonly vpcEndpointOnly?: { readonly endpoint: string; readonly actions: string[] };
  readonly publicAccessBlocked?: boolean;
  /** Every statement of the resource policy, in words. */
  readonly statements: string[];
}

export interface DataStore extends Located {
  readonly kind: string;
  readonly type: string;
  readonly name?: string;
  readonly region: string;
  readonly encryption: Encryption;
  readonly access: AccessPolicy;
  /** Point-in-time recovery, where the service offers it. */
  readonly pitr?: boolean;
  /** Backups, versioning and other ways to recover. */
  readonly recovery: string[];
  readonly retention: string;
  readonly deletionProtection?: boolean;
  /** CloudFormation DeletionPolicy (`Delete` when the template sets none). */
  readonly deletionPolicy: string;
  /** SNS topics: where a message goes (`email` → address). */
  readonly subscriptions?: Array<{ readonly protocol: string; readonly endpoint: string }>;
  /** SNS topics: the functions and state machines whose roles may publish to it. */
  readonly publishers?: string[];
  readonly notes: string[];
}

export interface KeyEvidence extends Located {
  readonly alias?: string;
  readonly description?: string;
  readonly rotation: boolean;
  readonly deletionPolicy: string;
  /** Data stores and trails encrypted under the key (`stack/logicalId`). */
  readonly protects: string[];
}

export interface AuditTrailEvidence extends Located {
  readonly name?: string;
  readonly bucket: string;
  readonly logGroup?: string;
  readonly key?: KeyDescription;
  readonly multiRegion: boolean;
  readonly logFileValidation: boolean;
  readonly selectors: string[];
}

export interface DataStoreEvidence {
  readonly stores: DataStore[];
  readonly keys: KeyEvidence[];
  readonly trails: AuditTrailEvidence[];
}

export interface SubnetEvidence extends Located {
  readonly vpc: string;
  readonly availabilityZone?: string;
  readonly cidr?: string;
  readonly subnetType?: string;
  readonly mapPublicIpOnLaunch: boolean;
  readonly routeTable?: string;
  /** Routes of the subnet's route table (AWS::EC2::Route), in words. */
  readonly routes: string[];
  /** Gateway endpoints whose prefix-list routes the route table carries. */
  readonly gatewayEndpoints: string[];
  readonly isolated: boolean;
}

export interface VpcEvidence extends Located {
  readonly cidr?: string;
  readonly flowLogs: string[];
}

/** A VPC the templates place resources in but do not create (configuration `network.vpc`). */
export interface ImportedVpcEvidence {
  readonly vpcId: string;
  /** The templates' flow logs of the VPC, in words. */
  readonly flowLogs: string[];
  /** What the templates create in it: endpoints, security groups. */
  readonly resources: string[];
}

/** The proof that no template opens a path to the internet. */
export interface InternetRouteCheck {
  /** True when nothing below was found. */
  readonly noInternetRoute: boolean;
  /**
   * Imported VPCs: their route tables, gateways and peerings are not in the
   * templates, so the proof does not cover them.
   */
  readonly notCovered: string[];
  readonly templatesChecked: string[];
  /** Count per checked resource type (0 is the evidence). */
  readonly counts: Record<string, number>;
  readonly routesChecked: number;
  /** Every resource that opens a way out, with why. */
  readonly findings: Array<Located & { readonly type: string; readonly why: string }>;
}

export interface EndpointEvidence extends Located {
  /** `dynamodb`, `kms`, `execute-api`... */
  readonly service: string;
  readonly serviceName: string;
  readonly endpointType: string;
  readonly privateDns?: boolean;
  readonly subnets: string[];
  readonly securityGroups: string[];
  readonly routeTables: string[];
  readonly policy: string[];
}

export interface SecurityGroupRule {
  readonly direction: 'ingress' | 'egress';
  readonly protocol: string;
  readonly ports: string;
  readonly peer: string;
  readonly description?: string;
}

export interface SecurityGroupEvidence extends Located {
  readonly description?: string;
  readonly vpc?: string;
  readonly usedBy: string[];
  readonly rules: SecurityGroupRule[];
}

export interface ApiMethodEvidence {
  readonly method: string;
  readonly path: string;
  readonly authorization: string;
  readonly integration: string;
}

/** A VPC endpoint the API's resource policy admits (`aws:SourceVpce`). */
export interface AdmittedEndpointEvidence {
  /** The endpoint's label when these templates create it, else its id. */
  readonly endpoint: string;
  /**
   * `created`: an endpoint of these templates (the kit's own execute-api endpoint);
   * `existing`: an endpoint named by id that the templates do not create (the agency's, `api.allowedVpcEndpoints`).
   */
  readonly origin: 'created' | 'existing';
  /** Associated with the API (EndpointConfiguration.VpcEndpointIds): its `{api}-{vpce}` DNS name resolves. */
  readonly associated: boolean;
}

export interface ApiEvidence extends Located {
  readonly name?: string;
  readonly description?: string;
  readonly endpointTypes: string[];
  readonly vpcEndpoints: string[];
  /** `aws:SourceVpce` values the resource policy requires (Deny when not equal). */
  readonly sourceVpce: string[];
  /** Every endpoint the resource policy admits, and where it comes from. */
  readonly admittedEndpoints: AdmittedEndpointEvidence[];
  readonly policy: string[];
  readonly stages: string[];
  readonly methods: ApiMethodEvidence[];
}

export interface FunctionEvidence extends Located {
  readonly description?: string;
  readonly runtime?: string;
  readonly inVpc: boolean;
  readonly subnets: string[];
  readonly securityGroups: string[];
  readonly role?: string;
  /** `STATEHOUSE_FIPS_SERVICES`, split; undefined when the function does not set it. */
  readonly fipsServices?: string[];
}

export interface NetworkEvidence {
  readonly vpcs: VpcEvidence[];
  readonly importedVpcs: ImportedVpcEvidence[];
  readonly subnets: SubnetEvidence[];
  readonly internetRoute: InternetRouteCheck;
  readonly endpoints: EndpointEvidence[];
  readonly securityGroups: SecurityGroupEvidence[];
  readonly apis: ApiEvidence[];
  readonly functions: FunctionEvidence[];
}

export interface RoleGrant {
  readonly resource: string;
  readonly actions: string[];
  readonly effect: string;
  readonly conditions: string[];
}

export interface RoleEvidence extends Located {
  readonly description?: string;
  readonly trust: string[];
  /** The boundary policy's name, or undefined when the role has none. */
  readonly boundary?: string;
  readonly managedPolicies: string[];
  /** Grants of AWS::IAM::Policy resources and inline `Policies`, by resource. */
  readonly grants: RoleGrant[];
  readonly usedBy: string[];
}

export interface StatementEvidence {
  readonly sid?: string;
  readonly effect: string;
  readonly what: string;
}

export interface PolicyEvidence extends Located {
  readonly name: string;
  readonly statements: StatementEvidence[];
}

export interface KeyPolicyEvidence extends Located {
  readonly alias?: string;
  readonly statements: Array<StatementEvidence & { readonly viaService: string[]; readonly callerAccount: string[] }>;
}

/** An Allow to an AWS service principal in a resource policy (key, bucket, topic, queue, function). */
export interface ServiceGrantEvidence extends Located {
  /** The resource the policy applies to. */
  readonly policyOf: string;
  readonly sid?: string;
  readonly services: string[];
  readonly actions: string[];
  /** Conditions that tie the grant to this account's use of the service; empty: the grant is flagged. */
  readonly scopedBy: string[];
  readonly otherConditions: string[];
}

export interface ResidencyEvidence {
  readonly boundaries: PolicyEvidence[];
  readonly keyPolicies: KeyPolicyEvidence[];
  readonly scp?: { readonly file: string; readonly statements: StatementEvidence[] };
  readonly fips: Array<{ readonly function: string; readonly services?: string[] }>;
}

export interface ControlMapping {
  readonly controls: string[];
  /** Where the mapping comes from. */
  readonly source: string;
}

/** A finding from the validation report, with the NIST controls it maps to. */
export interface FindingEvidence extends ReportedViolation {
  readonly mapping: ControlMapping;
}

export interface AcknowledgmentEvidence {
  /** The id as acknowledged (`Annotation::AwsSolutions-IAM5[Action::logs:*]`). */
  readonly id: string;
  /** The rule without the annotation prefix and finding detail (`AwsSolutions-IAM5`). */
  readonly rule: string;
  /** The finding detail in brackets, if any (`Action::logs:*`). */
  readonly finding?: string;
  readonly path: string;
  readonly stack: string;
  readonly reason: string;
  readonly mapping: ControlMapping;
}

export interface ComplianceEvidence {
  readonly errors: FindingEvidence[];
  readonly warnings: FindingEvidence[];
  readonly acknowledgments: AcknowledgmentEvidence[];
  /** Every rule named above, once, with its controls. */
  readonly rules: Array<{ readonly rule: string } & ControlMapping>;
  readonly validationReportFound: boolean;
}

export type DataPathKind = 'invoke' | 'read-write' | 'stream' | 'model' | 'workflow' | 'dead-letter' | 'audit';

/** An arrow of the architecture: who calls or feeds whom, through which endpoint. */
export interface DataPath {
  readonly from: string;
  readonly to: string;
  readonly kind: DataPathKind;
  readonly label: string;
  /** The VPC endpoint the call goes through (logical id), if any. */
  readonly via?: string;
}

/** A node of the architecture that is not in the sections above (model, service). */
export interface ExternalNode {
  readonly id: string;
  readonly kind: 'model' | 'service';
  readonly label: string;
}

/** One Cedar policy a function enforces. */
export interface ToolPolicyStatement {
  /** Its id in ENV.TOOL_POLICY. */
  readonly id: string;
  /** The file it is written in, or the configuration entry it was made from. */
  readonly file: string;
  readonly line?: number;
  readonly effect: string;
  /** The policy as shipped (Cedar text). */
  readonly text: string;
}

/** The tool policy of one function (the orchestrator). */
export interface ToolPolicyEvidence extends Located {
  readonly function: string;
  readonly policies: ToolPolicyStatement[];
  /** Role (path-free ARN) → the attributes its callers have in the policies. */
  readonly actors: Array<{ readonly role: string; readonly attributes: Record<string, string> }>;
  /** Why the policy could not be read from the template. */
  readonly problem?: string;
}

export interface Evidence {
  /** The kit's commit and version, and when the report was generated; template hashes are in `summary.stacks`. */
  readonly provenance: RunProvenance;
  readonly summary: TargetSummary;
  readonly dataStores: DataStoreEvidence;
  readonly network: NetworkEvidence;
  readonly roles: RoleEvidence[];
  readonly residency: ResidencyEvidence;
  readonly compliance: ComplianceEvidence;
  readonly toolPolicies: ToolPolicyEvidence[];
  /** Every service-principal grant; those with no `scopedBy` are findings. */
  readonly serviceGrants: ServiceGrantEvidence[];
  readonly dataPaths: { readonly paths: DataPath[]; readonly externals: ExternalNode[] };
  /** Files the evidence was read from, relative to the cloud assembly. */
  readonly sources: string[];
}
