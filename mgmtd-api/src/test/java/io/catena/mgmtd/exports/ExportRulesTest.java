package io.catena.mgmtd.exports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.Errno;
import io.catena.common.cluster.UserAccount;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ExportRulesTest {

  private static InetAddress ip(String s) {
    return InetAddress.ofLiteral(s);
  }

  private static int lineOf(ExportRules rules, String address) {
    return rules.match(ip(address)).map(ExportRule::line).orElse(-1);
  }

  @Test
  void firstMatchingRuleWins_inFileOrder() {
    ExportRules rules = ExportRules.parse("""
        # comment line
        127.0.0.2          /   ro
        127.0.0.0/8        /   rw,maproot=1234:1234   # trailing comment

        192.168.1.10-192.168.1.20 /data rw,alldirs
        *                  /   ro
        """);
    assertEquals(4, rules.rules().size());
    assertEquals(2, lineOf(rules, "127.0.0.2"));
    assertEquals(3, lineOf(rules, "127.0.0.3"));
    assertEquals(5, lineOf(rules, "192.168.1.10"));
    assertEquals(5, lineOf(rules, "192.168.1.20"));
    assertEquals(6, lineOf(rules, "192.168.1.21"));
    assertEquals(6, lineOf(rules, "::1"));
    ExportRule squash = rules.match(ip("127.0.0.9")).orElseThrow();
    assertFalse(squash.readOnly());
    assertEquals(Optional.of(new IdMapping(1234, 1234)), squash.mapRoot());
    assertTrue(rules.match(ip("127.0.0.2")).orElseThrow().readOnly());
    assertEquals("/data", rules.match(ip("192.168.1.15")).orElseThrow().path());
  }

  @Test
  void anAddressOutsideEveryRangeMatchesNothing() {
    ExportRules rules = ExportRules.parse("10.0.0.0/255.255.0.0 / rw\n127.0.0.1 / rw\n");
    assertTrue(rules.match(ip("10.0.200.1")).isPresent());
    assertTrue(rules.match(ip("10.1.0.1")).isEmpty());
    assertTrue(rules.match(ip("127.0.0.2")).isEmpty());
  }

  @Test
  void rangesCidrAndIpv6() {
    AddressRange r = AddressRange.parse("10.1.2.3/24");
    assertTrue(r.contains(ip("10.1.2.0")));
    assertTrue(r.contains(ip("10.1.2.255")));
    assertFalse(r.contains(ip("10.1.3.0")));
    assertFalse(r.contains(ip("::ffff:10.1.3.0")));
    AddressRange six = AddressRange.parse("fd00::/16");
    assertTrue(six.contains(ip("fd00::1")));
    assertFalse(six.contains(ip("fd01::1")));
    assertFalse(six.contains(ip("10.1.2.3")));
    assertTrue(AddressRange.parse("0.0.0.0/0").contains(ip("8.8.8.8")));
    assertTrue(AddressRange.parse("*").contains(ip("fe80::1")));
  }

  @Test
  void optionsAreParsedAndCarried() {
    ExportRule r = ExportRules.parse("* /proj/a/ rw,mapall=1000,users=alice,1001,bob,alldirs,mingoal=2,maxgoal=3,"
        + "mintrashtime=1h,maxtrashtime=1w2d\n").rules().getFirst();
    assertEquals("/proj/a", r.path());
    assertFalse(r.readOnly());
    assertTrue(r.allDirs());
    assertEquals(Optional.of(new IdMapping(1000, 1000)), r.mapAll());
    assertEquals(List.of("alice", "1001", "bob"), r.users());
    assertEquals(OptionalInt.of(2), r.minGoal());
    assertEquals(OptionalInt.of(3), r.maxGoal());
    assertEquals(Optional.of(Duration.ofHours(1)), r.minTrashTime());
    assertEquals(Optional.of(Duration.ofDays(9)), r.maxTrashTime());
    assertTrue(r.admits(Optional.of(new UserAccount(1001, "carol", 1, List.of(), false))));
    assertTrue(r.admits(Optional.of(new UserAccount(7, "bob", 1, List.of(), false))));
    assertFalse(r.admits(Optional.of(new UserAccount(7, "eve", 1, List.of(), false))));
    assertEquals(Optional.of(new IdMapping(1000, 1000)), r.mappingFor(55));
  }

  @Test
  void defaultIsReadOnlyAndMaprootOnlyTouchesRoot() {
    ExportRule r = ExportRules.parse("* / maproot=99:98").rules().getFirst();
    assertTrue(r.readOnly(), "MooseFS's default: read-only unless rw");
    assertEquals(Optional.of(new IdMapping(99, 98)), r.mappingFor(0));
    assertEquals(Optional.empty(), r.mappingFor(1000));
    assertTrue(ExportRules.parse("* /").rules().getFirst().readOnly());
  }

  @Test
  void everyBadLineIsReportedWithItsNumber() {
    ExportRulesException e = assertThrows(ExportRulesException.class, () -> ExportRules.parse("""
        * / rw
        10.0.0.300 / rw
        * relative rw
        * / rw,bogus
        # fine
        10.0.0.9-10.0.0.1 / rw
        * / maproot=root
        * / mingoal=3,maxgoal=2
        * / rw extra
        10.0.0.0/33 / ro
        * / password=x
        """));
    assertEquals(Errno.EINVAL, e.status().code());
    List<String> errors = e.errors();
    assertEquals(9, errors.size(), String.join("\n", errors));
    assertTrue(errors.get(0).startsWith("line 2: '10.0.0.300' is not an IP address"), errors.get(0));
    assertTrue(errors.get(1).startsWith("line 3: path 'relative' is not absolute"), errors.get(1));
    assertTrue(errors.get(2).startsWith("line 4: unknown option 'bogus'"), errors.get(2));
    assertTrue(errors.get(3).startsWith("line 6: range 10.0.0.9-10.0.0.1 ends before it starts"), errors.get(3));
    assertTrue(errors.get(4).startsWith("line 7: 'root' is not UID[:GID]"), errors.get(4));
    assertTrue(errors.get(5).startsWith("line 8: mingoal 3 is above maxgoal 2"), errors.get(5));
    assertTrue(errors.get(6).startsWith("line 9: expected 'ADDRESSES PATH [OPTIONS]', found 4 fields"),
        errors.get(6));
    assertTrue(errors.get(7).startsWith("line 10: prefix length /33 is outside 0..32"), errors.get(7));
    assertTrue(errors.get(8).startsWith("line 11: option 'password' is not supported"), errors.get(8));
  }

  @Test
  void pathsWithDotsAndBadDurationsAreRefused() {
    assertThrows(ExportRulesException.class, () -> ExportRules.parse("* /a/../b rw"));
    assertThrows(ExportRulesException.class, () -> ExportRules.parse("* / mintrashtime=5x"));
    assertThrows(ExportRulesException.class, () -> ExportRules.parse("* / maxgoal=10"));
    assertThrows(ExportRulesException.class, () -> ExportRules.parse("* / ro=1"));
    assertThrows(ExportRulesException.class, () -> ExportRules.parse("* / rw,,alldirs"));
  }

  @Test
  void versionFollowsTheText() {
    ExportRules a = ExportRules.parse("* / rw\n");
    assertEquals(a.version(), ExportRules.parse("* / rw\n").version());
    assertNotEquals(a.version(), ExportRules.parse("* / ro\n").version());
    assertTrue(a.version() > 0);
    assertTrue(ExportRules.parse("").rules().isEmpty());
  }
}
