package io.catena.meta.store;

import io.catena.meta.Layout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Keys and values of the goal mover's work in the KV store, so the work survives restarts of every meta server.
 *
 * <pre>
 * GOAL ino(LE8)                       a file whose goal changed: target table, target goal, goal it had (BE4 each)
 * GOLD ino(LE8) table(BE4) ver(BE4)   the old copy of a moved file: its old layout and the switch time
 * </pre>
 * Stateless and thread-safe.
 */
final class GoalKeys {
  static final byte[] GOAL = MetaKeys.ascii("GOAL");
  static final byte[] GOLD = MetaKeys.ascii("GOLD");

  /** A pending move of one file. */
  record Pending(int table, int goal, int fromGoal) {
    byte[] encode() {
      return ByteBuffer.allocate(12).putInt(table).putInt(goal).putInt(fromGoal).array();
    }

    static Pending decode(byte[] v) {
      ByteBuffer b = ByteBuffer.wrap(v);
      return new Pending(b.getInt(), b.getInt(), b.getInt());
    }
  }

  /** Old chunks of a moved file, removable once {@code switchedAt} (ns) is older than the delay. */
  record OldCopy(long ino, Layout layout, long switchedAt) {
    byte[] encode() {
      // The data id is part of what names the old chunks (docs/snapshots.md): without it a removal would hit the
      // chunks named by the inode id, which a snapshot may still use.
      return ByteBuffer.allocate(5 * 4 + 8 + 8 + 8).putInt(layout.chainTableId()).putInt(layout.chainTableVersion())
          .putInt(layout.chunkSize()).putInt(layout.stripeSize()).putInt(layout.baseChainIndex())
          .putLong(layout.shuffleSeed()).putLong(switchedAt).putLong(layout.dataId()).array();
    }

    static OldCopy decode(long ino, byte[] v) {
      ByteBuffer b = ByteBuffer.wrap(v);
      Layout l = new Layout(b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getLong());
      long switchedAt = b.getLong();
      return new OldCopy(ino, b.remaining() >= 8 ? l.withDataId(b.getLong()) : l, switchedAt);
    }
  }

  private GoalKeys() {}

  static byte[] pending(long ino) {
    return withId(GOAL, ino, 0).array();
  }

  static byte[] oldCopyPrefix(long ino) {
    return withId(GOLD, ino, 0).array();
  }

  static byte[] oldCopy(long ino, Layout old) {
    return withId(GOLD, ino, 8).order(ByteOrder.BIG_ENDIAN).putInt(old.chainTableId())
        .putInt(old.chainTableVersion()).array();
  }

  /** Every record under {@code prefix}, page by page from snapshots (never conflicts with operations). */
  static void scan(MetaContext ctx, byte[] prefix, java.util.function.Consumer<io.catena.kv.KeyValue> each) {
    byte[] begin = prefix;
    byte[] end = io.catena.kv.Keys.strinc(prefix);
    while (true) {
      byte[] from = begin;
      io.catena.kv.RangeResult page = ctx.runner().read(txn -> txn.snapshotGetRange(from, end, 1024, false));
      page.pairs().forEach(each);
      if (!page.more() || page.pairs().isEmpty()) {
        return;
      }
      begin = io.catena.kv.Keys.keyAfter(page.pairs().getLast().key());
    }
  }

  private static ByteBuffer withId(byte[] prefix, long id, int extra) {
    return ByteBuffer.allocate(4 + 8 + extra).put(prefix).order(ByteOrder.LITTLE_ENDIAN).putLong(id);
  }
}
