package io.catena.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KeysTest {

  @Test
  void strinc_isTheFirstKeyAfterEveryKeyWithThePrefix() {
    assertArrayEquals(new byte[] {'a', 'c'}, Keys.strinc(new byte[] {'a', 'b'}));
    assertArrayEquals(new byte[] {'b'}, Keys.strinc(new byte[] {'a', (byte) 0xff, (byte) 0xff}));
    assertArrayEquals(new byte[] {1, (byte) 0x80}, Keys.strinc(new byte[] {1, 0x7f}));
    byte[] p = Keys.utf8("DENT");
    byte[] end = Keys.prefixEnd(p);
    assertTrue(Keys.compare(Keys.concat(p, new byte[] {(byte) 0xff, (byte) 0xff}), end) < 0);
    assertTrue(Keys.compare(Keys.utf8("DENU"), end) >= 0);
    assertEquals(Errno.EINVAL, assertThrows(CatenaException.class, () -> Keys.strinc(new byte[0])).errno());
    assertEquals(Errno.EINVAL,
        assertThrows(CatenaException.class, () -> Keys.strinc(new byte[] {(byte) 0xff})).errno());
  }

  @Test
  void compare_isUnsigned() {
    assertTrue(Keys.compare(new byte[] {(byte) 0x80}, new byte[] {0x7f}) > 0);
    assertTrue(Keys.compare(new byte[] {1}, new byte[] {1, 0}) < 0);
    assertTrue(Keys.compare(new byte[0], new byte[] {0}) < 0);
    assertTrue(Keys.compare(Keys.keyAfter(new byte[] {5}), new byte[] {5}) > 0);
  }

  @Test
  void bigEndianLongs_sortLikeNonNegativeNumbers() {
    SplittableRandom rnd = new SplittableRandom(1);
    for (int i = 0; i < 10_000; i++) {
      long a = rnd.nextLong(Long.MAX_VALUE);
      long b = rnd.nextLong(Long.MAX_VALUE);
      byte[] ka = Keys.builder("INOD").longBE(a).build();
      byte[] kb = Keys.builder("INOD").longBE(b).build();
      assertEquals(Long.signum(Long.compare(a, b)), Integer.signum(Keys.compare(ka, kb)));
      assertEquals(a, Keys.readLongBE(ka, 4));
    }
  }

  @Test
  void builder_encodesEachPartAsDocumented() {
    byte[] k = Keys.builder("CHNK").longBE(0x0102030405060708L).longLE(0x0102030405060708L).intBE(0x0a0b0c0d)
        .intLE(0x0a0b0c0d).u8(0xff).utf8("é").build();
    assertArrayEquals(new byte[] {'C', 'H', 'N', 'K', 1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1, 10, 11, 12, 13,
        13, 12, 11, 10, (byte) 0xff, (byte) 0xc3, (byte) 0xa9}, k);
    assertEquals(0x0102030405060708L, Keys.readLongLE(k, 12));
    assertEquals(0x0a0b0c0d, Keys.readIntBE(k, 20));
    assertEquals(0x0a0b0c0d, Keys.readIntLE(k, 24));
    assertEquals(-1L, Keys.readLongBE(Keys.builder().longBE(-1).build(), 0));
  }

  @Test
  void kind_mustBeFourPrintableAsciiCharacters() {
    assertArrayEquals(new byte[] {'I', 'N', 'O', 'D'}, Keys.kind("INOD"));
    assertEquals(Errno.EINVAL, assertThrows(CatenaException.class, () -> Keys.kind("INODE")).errno());
    assertEquals(Errno.EINVAL, assertThrows(CatenaException.class, () -> Keys.kind("IN D")).errno());
    assertEquals(Errno.EINVAL, assertThrows(CatenaException.class, () -> Keys.kind("INÖD")).errno());
  }

  @Test
  void startsWithAndPrintable() {
    assertTrue(Keys.startsWith(Keys.utf8("DENTabc"), Keys.utf8("DENT")));
    assertTrue(!Keys.startsWith(Keys.utf8("DEN"), Keys.utf8("DENT")));
    assertEquals("INOD\\x00\\xff\\x5c", Keys.printable(new byte[] {'I', 'N', 'O', 'D', 0, (byte) 0xff, '\\'}));
  }
}
