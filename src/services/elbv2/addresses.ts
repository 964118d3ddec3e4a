/**
 * Where load balancers live on this host: each gets its own loopback address, so several can
 * listen on port 80, and a DNSName in AWS's shape under `elb.localhost`.
 *
 * Addresses are drawn at random from 127.1.0.1-127.254.255.254 (on Linux all of 127.0.0.0/8
 * reaches the loopback interface) and kept with the load balancer, so they survive restarts;
 * 127.0.0.0/16 (and so 127.0.0.1) is never used. Drawing at random keeps two Berths on one host
 * (separate data dirs) from picking the same address in practice.
 */
import { createHash, randomInt } from 'node:crypto';

/** A fresh loopback address that `inUse` does not know. */
export function allocateAddress(inUse: (address: string) => boolean): string {
  for (let i = 0; i < 1000; i++) {
    const a = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    if (!inUse(a)) return a;
  }
  throw new Error('no free loopback address found for the load balancer');
}

/** `NAME-DIGITS.REGION.elb.localhost`, `internal-` first for internal load balancers, as ELB names them. */
export function dnsNameFor(name: string, scheme: 'internet-facing' | 'internal', region: string): string {
  const digits = String(randomInt(1_000_000_000, 10_000_000_000));
  return `${scheme === 'internal' ? 'internal-' : ''}${name}-${digits}.${region}.elb.localhost`;
}

/** ELB's hosted zone ids for Application Load Balancers, by region (what Route 53 alias records use). */
const HOSTED_ZONES: Record<string, string> = {
  'us-east-1': 'Z35SXDOTRQ7X7K',
  'us-east-2': 'Z3AADJGX6KTTL2',
  'us-west-1': 'Z368ELLRRE2KJ0',
  'us-west-2': 'Z1H1FL5HABSF5',
  'ca-central-1': 'ZQSVJUPU6J1EY',
  'eu-west-1': 'Z32O12XQLNTSW2',
  'eu-west-2': 'ZHURV8PSTC4K8',
  'eu-west-3': 'Z3Q77PNBQS71R4',
  'eu-central-1': 'Z215JYRZR1TBD5',
  'eu-north-1': 'Z23TAZ7KEM7W3E',
  'ap-south-1': 'ZP97RAFLXTNZK',
  'ap-southeast-1': 'Z1LMS91P8CMLE5',
  'ap-southeast-2': 'Z1GM3OXH4ZPM65',
  'ap-northeast-1': 'Z14GRHDCWA56QT',
  'ap-northeast-2': 'ZWKZPGTI48KDX',
  'sa-east-1': 'Z2P70J7HTTTPLU',
};

/** The CanonicalHostedZoneId of load balancers in `region` (a stable made-up one outside AWS's table). */
export function canonicalHostedZoneId(region: string): string {
  return HOSTED_ZONES[region] ?? 'Z' + createHash('sha256').update(region).digest('hex').slice(0, 13).toUpperCase();
}

/** Berth's one pretend VPC in this account (load balancers report it as their VpcId). */
export function defaultVpcId(accountId: string): string {
  return 'vpc-' + createHash('sha256').update(`vpc/${accountId}`).digest('hex').slice(0, 17);
}

/** Berth's default security group (used when CreateLoadBalancer names none). */
export function defaultSecurityGroupId(accountId: string): string {
  return 'sg-' + createHash('sha256').update(`sg/${accountId}`).digest('hex').slice(0, 17);
}

/** Berth's default subnets, one per Availability Zone a and b (used when CreateLoadBalancer names none). */
export function defaultSubnets(accountId: string, region: string): { ZoneName: string; SubnetId: string }[] {
  return ['a', 'b'].map((z) => ({ ZoneName: `${region}${z}`, SubnetId: 'subnet-' + createHash('sha256').update(`subnet/${accountId}/${z}`).digest('hex').slice(0, 17) }));
}

/**
 * The instance id of Berth's host: the one EC2-style instance that `instance` targets may name
 * (targets are then reached at 127.0.0.1 on the target's port).
 */
export function hostInstanceId(accountId: string): string {
  return 'i-' + createHash('sha256').update(`instance/${accountId}`).digest('hex').slice(0, 17);
}
