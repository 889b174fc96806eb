/**
 * One spelling per IP address, so an address counts as the same rate-limit identity (and
 * matches the same override) however it was written: IPv6 compressed and in lower case
 * (RFC 5952, `0:0:0:0:0:0:0:1` → `::1`), and an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`,
 * what a dual-stack server reports for an IPv4 client) as the IPv4 address it maps.
 * WHATWG URL parsing does the IPv6 part, so this runs wherever `URL` does (browser included).
 */

const MAPPED_IPV4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/** The canonical form of an IPv4 or IPv6 address; any other text comes back as it is. */
export function canonicalIp(address: string): string {
  if (!address.includes(":")) return address;
  let host: string;
  try {
    host = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
  const mapped = MAPPED_IPV4.exec(host);
  if (!mapped) return host;
  const high = parseInt(mapped[1]!, 16);
  const low = parseInt(mapped[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}
