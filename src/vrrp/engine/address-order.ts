// Numeric ordering of IP addresses, for the equal-priority tie-break (RFC 5798 6.4.3: the higher primary
// address wins). keepalived compares the raw network-order bytes, which is numeric order.
import { addressToBytes } from '../../common/inet.js';

/** -1, 0 or 1 as `a` is numerically below, equal to or above `b`. Unparsable or mixed families compare equal. */
export function compareAddresses(a: string, b: string): number {
  const x = addressToBytes(a);
  const y = addressToBytes(b);
  if (!x || !y || x.length !== y.length) return 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - y[i];
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
