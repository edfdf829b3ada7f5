/**
 * An hourly cost ESTIMATE for a planned cluster (pure): On-Demand EC2 price + EMR uplift per node, from
 * the table below. Not a quote: prices differ by region and change; EBS, S3 and data transfer are not
 * included; billing is per second with a one-minute minimum.
 */

/** Where the table's prices come from: typed in by hand, not fetched (this tool never calls a pricing API). */
export const PRICES_AS_OF =
  '2025-01, us-east-1 On-Demand, typed in by hand from the public Amazon EC2 and Amazon EMR pricing pages (not fetched: check them before relying on it)';

/** USD per instance-hour: EC2 On-Demand (Linux) and the EMR uplift. */
export const HOURLY_PRICES_USD: Readonly<Record<string, { ec2: number; emr: number }>> = {
  'm5.large': { ec2: 0.096, emr: 0.024 },
  'm5.xlarge': { ec2: 0.192, emr: 0.048 },
  'm5.2xlarge': { ec2: 0.384, emr: 0.096 },
  'm5.4xlarge': { ec2: 0.768, emr: 0.192 },
};

export interface CostEstimate {
  /** USD per hour for the whole cluster, or null when an instance type is not in the table. */
  usdPerHour: number | null;
  nodes: Array<{ role: 'master' | 'core'; instanceType: string; count: number; usdPerHourEach: number | null }>;
  note: string;
}

export function estimateHourlyCost(cluster: {
  masterInstanceType: string;
  coreInstanceType: string;
  coreInstanceCount: number;
}): CostEstimate {
  const price = (type: string) => {
    const p = HOURLY_PRICES_USD[type];
    return p === undefined ? null : Math.round((p.ec2 + p.emr) * 1e6) / 1e6;
  };
  const nodes: CostEstimate['nodes'] = [
    { role: 'master', instanceType: cluster.masterInstanceType, count: 1, usdPerHourEach: price(cluster.masterInstanceType) },
  ];
  if (cluster.coreInstanceCount > 0) {
    nodes.push({ role: 'core', instanceType: cluster.coreInstanceType, count: cluster.coreInstanceCount, usdPerHourEach: price(cluster.coreInstanceType) });
  }
  const unknown = nodes.filter((n) => n.usdPerHourEach === null).map((n) => n.instanceType);
  const usdPerHour = unknown.length > 0
    ? null
    : Math.round(nodes.reduce((sum, n) => sum + n.count * (n.usdPerHourEach ?? 0), 0) * 1e6) / 1e6;
  const note = unknown.length > 0
    ? `an estimate is not possible: no price in the table for ${[...new Set(unknown)].join(', ')} (prices as of ${PRICES_AS_OF})`
    : `an ESTIMATE: EC2 On-Demand + EMR uplift per node, prices as of ${PRICES_AS_OF}; excludes EBS, S3 and data transfer; your region's prices may differ`;
  return { usdPerHour, nodes, note };
}

/**
 * EMR Serverless bills the resources its workers were given, per second (one-minute minimum), from a
 * worker's start to its end: vCPU-hours and GB-hours of memory, plus storage beyond 20 GB a worker.
 * USD, x86_64 (Graviton is cheaper but the Python environment is x86_64), us-east-1, typed in by hand
 * from the public Amazon EMR pricing page like HOURLY_PRICES_USD.
 */
export const SERVERLESS_PRICES_USD = { vcpuHour: 0.052624, gbHour: 0.0057785 } as const;

export interface ServerlessCostEstimate {
  /** What the job run holds while it runs: the driver and every executor. */
  workers: Array<{ role: 'driver' | 'executor'; count: number; vcpu: number; memoryGb: number }>;
  vcpu: number;
  memoryGb: number;
  /** USD per hour of the job run's wall time (all workers up for the whole run: an upper bound). */
  usdPerHour: number;
  note: string;
}

export function estimateServerlessCost(workers: ServerlessCostEstimate['workers']): ServerlessCostEstimate {
  const vcpu = workers.reduce((sum, w) => sum + w.count * w.vcpu, 0);
  const memoryGb = workers.reduce((sum, w) => sum + w.count * w.memoryGb, 0);
  const usdPerHour = Math.round((vcpu * SERVERLESS_PRICES_USD.vcpuHour + memoryGb * SERVERLESS_PRICES_USD.gbHour) * 1e6) / 1e6;
  return {
    workers,
    vcpu,
    memoryGb,
    usdPerHour,
    note: `an ESTIMATE: ${vcpu} vCPU x $${SERVERLESS_PRICES_USD.vcpuHour}/vCPU-hour + ${memoryGb} GB x $${SERVERLESS_PRICES_USD.gbHour}/GB-hour, every worker up for the whole run, prices as of ${PRICES_AS_OF}; excludes storage beyond 20 GB a worker, S3 and data transfer`,
  };
}
