/**
 * Task stats rows for the producers' tests (not used at run time): one task of the `web` service
 * of cluster `prod`, reserving 256 CPU units and 512 MiB, using `cpuUnitsUsed` units and 64 MiB
 * at `at` (epoch ms), as the task agent's StatsSampler records them.
 */
import type { TaskStatsSample } from '../../agent/stats-sampler.js';

const MIB = 1024 * 1024;

export function webTaskSample(taskArn: string, at: number, cpuUnitsUsed: number): TaskStatsSample {
  return {
    taskArn,
    clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/prod',
    clusterName: 'prod',
    serviceName: 'web',
    at: new Date(at),
    cpuUnitsUsed,
    cpuUnitsReserved: 256,
    cpuUtilization: (cpuUnitsUsed / 256) * 100,
    memoryBytes: 64 * MIB,
    memoryReservedBytes: 512 * MIB,
    memoryUtilization: 12.5,
  };
}
