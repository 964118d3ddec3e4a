/** The oci driver: containers under runc from Berth's image store, with task networks on a Berth bridge. */
export { DEFAULT_BRIDGE, OciDriver, type OciDriverOptions } from './oci-driver.js';
export type { BridgeConfig } from './network.js';
