// The Internet checksum (RFC 1071) and the pseudo-header sums VRRP needs: IPv4 for VRRPv3 as keepalived
// computes it (RFC 5798 5.2.8 read literally) and IPv6 (RFC 8200 8.1). Sums are kept unfolded (a plain
// number well below 2^53) so callers can chain pseudo-header, header and body without copying.

/** Adds the big-endian 16-bit words of bytes[start, end) to `sum`; an odd last byte is padded with zero. */
export function sumWords(bytes: Uint8Array, start: number, end: number, sum = 0): number {
  let i = start;
  const evenEnd = end - ((end - start) & 1);
  for (; i < evenEnd; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  return sum;
}

/** Folds a running sum to 16 bits and complements it: the value that goes in a checksum field. */
export function finishChecksum(sum: number): number {
  // A few folds suffice for any sum below 2^32; beyond that, reduce first with plain arithmetic.
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** The checksum of bytes[start, end) (with the checksum field inside it zero, when computing one). */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  return finishChecksum(sumWords(bytes, start, end, initial));
}

/** True when bytes[start, end), checksum field included, sums to the all-ones value (RFC 1071 verification). */
export function checksumVerifies(bytes: Uint8Array, start: number, end: number, initial = 0): boolean {
  return finishChecksum(sumWords(bytes, start, end, initial)) === 0;
}

/** Sum of the IPv4 pseudo-header: source, destination (4 bytes each at the given offsets), zero, protocol, length. */
export function ipv4PseudoHeaderSum(
  src: Uint8Array,
  srcOffset: number,
  dst: Uint8Array,
  dstOffset: number,
  protocol: number,
  length: number,
): number {
  return sumWords(src, srcOffset, srcOffset + 4, sumWords(dst, dstOffset, dstOffset + 4, protocol + length));
}

/** Sum of the IPv6 pseudo-header: source, destination (16 bytes each), upper-layer length (32 bits), next header. */
export function ipv6PseudoHeaderSum(
  src: Uint8Array,
  srcOffset: number,
  dst: Uint8Array,
  dstOffset: number,
  nextHeader: number,
  length: number,
): number {
  const lengthWords = Math.floor(length / 0x10000) + (length & 0xffff);
  return sumWords(
    src,
    srcOffset,
    srcOffset + 16,
    sumWords(dst, dstOffset, dstOffset + 16, nextHeader + lengthWords),
  );
}
