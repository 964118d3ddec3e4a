/** Runtime: the driver contract, the drivers, host port reservations and runtime options. */
export * from './driver.js';
export { PortAllocator, probeHostPort, portEnvironment, type PortRange, type PortProbe } from './ports.js';
export { compileRuntimeOptions, DEFAULT_PORT_RANGE, type RuntimeOptions, type ResolvedRuntimeOptions } from './options.js';
export { ProcessDriver, type ProcessDriverOptions } from './process/process-driver.js';
export { formatLogLine, parseLogLine, readLogFile, LineSplitter, MAX_LOG_LINE_CHARS } from './logs.js';
