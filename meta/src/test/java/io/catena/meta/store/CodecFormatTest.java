package io.catena.meta.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.Inode;
import io.catena.meta.InodeType;
import io.catena.meta.Layout;
import io.catena.meta.OpenResult;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The stored record format is persisted: the ByteBuffer encoder must write exactly what the first (DataOutputStream)
 * encoder wrote, so namespaces written before keep decoding. The reference encoder below is that first version.
 */
class CodecFormatTest {
  static final Inode FILE = new Inode(77, InodeType.FILE, 04755, -2, 1000, 3, 1L << 40, 5, 1, 2, 3, 0,
      new Layout(1, 3, 1 << 20, 4, 2, -99), null, -1, null);
  static final Inode DIR = new Inode(16, InodeType.DIRECTORY, 02775, 0, 0, 2, 0, 0, 4, 5, 6, 0, null, null, 0,
      "naïve dir");
  static final Inode LINK = new Inode(18, InodeType.SYMLINK, 0777, 1, 1, 1, 9, 0, 7, 8, 9, 0, null, "target/ü", -1,
      null);

  @Test
  void inodeRecords_areByteForByteTheFirstFormat() throws IOException {
    for (Inode i : new Inode[] {FILE, DIR, LINK}) {
      byte[] expected = reference(out -> {
        out.writeByte(1);
        body(out, i);
      });
      assertArrayEquals(expected, Codec.encodeInode(i));
      assertEquals(i, Codec.decodeInode(i.id(), expected));
    }
  }

  @Test
  void entriesAndAnswers_areByteForByteTheFirstFormat() throws IOException {
    Dent d = new Dent(16, "x", 77, InodeType.DIRECTORY, 1000, 1001, 0755);
    byte[] dent = reference(out -> {
      out.writeByte(1);
      out.writeLong(77);
      out.writeByte(InodeType.DIRECTORY.ordinal());
      out.writeInt(1000);
      out.writeInt(1001);
      out.writeShort(0755);
    });
    assertArrayEquals(dent, Codec.encodeDent(d));
    assertEquals(d, Codec.decodeDent(16, "x", dent));
    OpenResult r = new OpenResult(FILE, 1234);
    byte[] answer = reference(out -> {
      out.writeByte(1);
      out.writeLong(555);
      out.writeByte(2);
      body(out, FILE);
      out.writeLong(1234);
    });
    assertArrayEquals(answer, Codec.encodeAnswer(r, 555));
    assertEquals(r, Codec.decodeAnswer(answer));
    assertEquals(555, Codec.answerExpiry(answer));
    assertEquals(DIR, Codec.decodeAnswer(Codec.encodeAnswer(DIR, 1)));
    assertEquals(42L, Codec.decodeAnswer(Codec.encodeAnswer(42L, 1)));
    assertEquals(null, Codec.decodeAnswer(Codec.encodeAnswer(null, 1)));
  }

  @Test
  void lockKeys_areByteForByteTheFirstLayout() {
    // "LOCK", the inode id little-endian, the kind, the client id, 0, the owner big-endian.
    byte[] expected = {'L', 'O', 'C', 'K', 0x22, 0x11, 0, 0, 0, 0, 0, 0, 1, 'c', 'l', 0, 0, 0, 0, 0, 0, 0, 0x01, 0x02};
    byte[] key = MetaKeys.lock(0x1122, 1, "cl", 0x0102);
    assertArrayEquals(expected, key);
    assertArrayEquals(Arrays.copyOf(expected, 12), MetaKeys.lockPrefix(0x1122));
    assertEquals("cl", MetaKeys.lockClientOf(key));
  }

  @Test
  void inodesUnderAQuota_carryTheirTagInAVersionTwoRecord_andAnswersToo() {
    Inode tagged = FILE.withQuotaDomain(16);
    byte[] rec = Codec.encodeInode(tagged);
    assertEquals(2, rec[0]);
    assertEquals(Codec.encodeInode(FILE).length + 8, rec.length);
    assertEquals(tagged, Codec.decodeInode(77, rec));
    assertEquals(tagged, Codec.decodeAnswer(Codec.encodeAnswer(tagged, 9)));
    OpenResult r = new OpenResult(DIR.withQuotaDomain(16), 5);
    assertEquals(r, Codec.decodeAnswer(Codec.encodeAnswer(r, 9)));
    assertEquals(9, Codec.answerExpiry(Codec.encodeAnswer(r, 9)));
    assertEquals(1, Codec.encodeInode(FILE)[0]); // untagged inodes keep the first format
  }

  @Test
  void truncatedOrUnknownRecords_failWithEio() {
    byte[] ok = Codec.encodeInode(DIR);
    for (int cut : new int[] {0, 1, 9, 40, ok.length - 1}) {
      CatenaException e = assertThrows(CatenaException.class,
          () -> Codec.decodeInode(DIR.id(), Arrays.copyOf(ok, cut)));
      assertEquals(Errno.EIO, e.errno());
    }
    byte[] v2 = ok.clone();
    v2[0] = 2;
    assertEquals(Errno.EIO, assertThrows(CatenaException.class, () -> Codec.decodeInode(DIR.id(), v2)).errno());
    assertEquals(Errno.EIO, assertThrows(CatenaException.class, () -> Codec.decodeInode(17, ok)).errno());
  }

  private interface Body {
    void write(DataOutputStream out) throws IOException;
  }

  private static byte[] reference(Body b) throws IOException {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bos)) {
      b.write(out);
    }
    return bos.toByteArray();
  }

  private static void body(DataOutputStream out, Inode i) throws IOException {
    out.writeLong(i.id());
    out.writeByte(i.type().ordinal());
    out.writeShort(i.mode());
    out.writeInt(i.uid());
    out.writeInt(i.gid());
    out.writeInt(i.nlink());
    out.writeLong(i.length());
    out.writeLong(i.truncateVersion());
    out.writeLong(i.atime());
    out.writeLong(i.mtime());
    out.writeLong(i.ctime());
    out.writeLong(i.rdev());
    out.writeLong(i.parent());
    Layout l = i.layout();
    out.writeBoolean(l != null);
    if (l != null) {
      out.writeInt(l.chainTableId());
      out.writeInt(l.chainTableVersion());
      out.writeInt(l.chunkSize());
      out.writeInt(l.stripeSize());
      out.writeInt(l.baseChainIndex());
      out.writeLong(l.shuffleSeed());
    }
    str(out, i.symlinkTarget());
    str(out, i.name());
  }

  private static void str(DataOutputStream out, String s) throws IOException {
    if (s == null) {
      out.writeInt(-1);
      return;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }
}
