package io.catena.mgmtd.exports;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * The client addresses one export rule covers, written as in MooseFS's mfsexports.cfg: {@code *}, one IP, a CIDR
 * range ({@code 10.0.0.0/8}, or with a netmask {@code 10.0.0.0/255.0.0.0}) or an inclusive range
 * ({@code 192.168.1.10-192.168.1.20}). IPv4 and IPv6 literals only: a rule never waits on DNS. Immutable.
 *
 * @param text as written in the file
 * @param v6 the family of {@code low}/{@code high}; ignored when {@code any}
 */
public record AddressRange(String text, boolean any, boolean v6, BigInteger low, BigInteger high) {

  public static final AddressRange ANY = new AddressRange("*", true, false, BigInteger.ZERO, BigInteger.ZERO);

  /** Parses one ADDRESSES field; an {@link IllegalArgumentException} says what is wrong with it. */
  public static AddressRange parse(String text) {
    String t = text.strip();
    if (t.equals("*")) {
      return ANY;
    }
    int slash = t.indexOf('/');
    if (slash >= 0) {
      InetAddress base = literal(t.substring(0, slash));
      int bits = bits(base);
      String m = t.substring(slash + 1);
      int prefix = m.contains(".") || m.contains(":") ? prefixOfMask(literal(m), bits) : prefixLength(m, bits);
      BigInteger hostMask = BigInteger.ONE.shiftLeft(bits - prefix).subtract(BigInteger.ONE);
      BigInteger low = value(base).andNot(hostMask);
      return new AddressRange(t, false, bits == 128, low, low.or(hostMask));
    }
    int dash = t.indexOf('-');
    if (dash >= 0) {
      InetAddress from = literal(t.substring(0, dash));
      InetAddress to = literal(t.substring(dash + 1));
      if (bits(from) != bits(to)) {
        throw new IllegalArgumentException("range " + t + " mixes IPv4 and IPv6");
      }
      if (value(from).compareTo(value(to)) > 0) {
        throw new IllegalArgumentException("range " + t + " ends before it starts");
      }
      return new AddressRange(t, false, bits(from) == 128, value(from), value(to));
    }
    InetAddress one = literal(t);
    return new AddressRange(t, false, bits(one) == 128, value(one), value(one));
  }

  public boolean contains(InetAddress address) {
    if (any) {
      return true;
    }
    if ((bits(address) == 128) != v6) {
      return false;
    }
    BigInteger v = value(address);
    return v.compareTo(low) >= 0 && v.compareTo(high) <= 0;
  }

  private static InetAddress literal(String s) {
    try {
      return InetAddress.ofLiteral(s.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + s + "' is not an IP address (names are not resolved)");
    }
  }

  private static int bits(InetAddress a) {
    return a instanceof Inet4Address ? 32 : 128;
  }

  private static BigInteger value(InetAddress a) {
    return new BigInteger(1, a.getAddress());
  }

  private static int prefixLength(String s, int bits) {
    int p;
    try {
      p = Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'/" + s + "' is neither a prefix length nor a netmask");
    }
    if (p < 0 || p > bits) {
      throw new IllegalArgumentException("prefix length /" + p + " is outside 0.." + bits);
    }
    return p;
  }

  private static int prefixOfMask(InetAddress mask, int bits) {
    if (bits(mask) != bits) {
      throw new IllegalArgumentException("netmask " + mask.getHostAddress() + " is of the other address family");
    }
    BigInteger m = value(mask);
    int ones = m.bitCount();
    BigInteger expect = BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE)
        .xor(BigInteger.ONE.shiftLeft(bits - ones).subtract(BigInteger.ONE));
    if (!m.equals(expect)) {
      throw new IllegalArgumentException("netmask " + mask.getHostAddress() + " is not contiguous");
    }
    return ones;
  }

  @Override
  public String toString() {
    return text;
  }
}
