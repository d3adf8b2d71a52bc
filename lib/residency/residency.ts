/**
 * Where a target's data may be stored and processed: what the residency
 * controls (boundary, key policies, guard, SCP) are built from. A plain
 * shape, so constructs and policy builders never depend on the configuration.
 */

/** Where a Bedrock request may be routed. */
export const CROSS_REGION_INFERENCE = ['deny', 'within-partition'] as const;
export type CrossRegionInference = (typeof CROSS_REGION_INFERENCE)[number];

export interface Residency {
  /** Regions where data may be stored and processed; all in one partition. */
  readonly regions: readonly string[];
  /**
   * `deny`: Bedrock inference profiles are refused; every model call stays in the target region.
   * `within-partition`: a profile is allowed when every region it routes to is in `regions`.
   */
  readonly crossRegionInference: CrossRegionInference;
  /** SDK clients use FIPS 140 endpoints where the partition offers them. */
  readonly fips: boolean;
}
