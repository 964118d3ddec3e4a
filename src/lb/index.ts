/** The load balancer data plane (see README.md): the engine the ELBv2 control plane programs. */
export type * from './config.js';
export { createLoadBalancerEngine, InProcessEngine } from './engine.js';
export type { Engine } from './engine.js';
export type { AccessLogEntry, EngineOptions } from './options.js';
