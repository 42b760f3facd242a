package io.catena.meta.store;

import io.catena.kv.Keys;
import io.catena.kv.KeyValue;
import io.catena.kv.RangeResult;
import io.catena.meta.ClientSessionSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Removes write sessions and advisory locks whose client's mgmtd session has ended (so their files can be collected
 * and others may lock), and idempotency records past their expiry. Call {@link #runOnce()} from a scheduler. Thread-safe: stateless apart from the context;
 * each removal is its own small transaction that re-reads the record.
 */
public final class SessionPruner {
  private static final int PAGE = 512;

  private final MetaContext ctx;
  private final ClientSessionSource clients;

  public SessionPruner(MetaContext ctx, ClientSessionSource clients) {
    this.ctx = ctx;
    this.clients = clients;
  }

  /** The result of one pass. */
  public record Pruned(int sessions, int idempotencyRecords, int locks) {}

  public Pruned runOnce() {
    Set<String> live = clients.liveClients();
    int sessions = 0;
    for (KeyValue kv : scan(MetaKeys.INOS)) {
      Codec.Session s = Codec.decodeSession(kv.value());
      if (!live.contains(s.clientId())) {
        byte[] key = kv.key();
        boolean removed = ctx.runner().run(txn -> {
          var v = txn.get(key);
          if (v.isEmpty() || live.contains(Codec.decodeSession(v.get()).clientId())) {
            return false;
          }
          txn.clear(key);
          return true;
        });
        sessions += removed ? 1 : 0;
      }
    }
    int locks = 0;
    for (KeyValue kv : scan(MetaKeys.LOCK)) {
      if (!live.contains(MetaKeys.lockClientOf(kv.key()))) {
        byte[] key = kv.key();
        ctx.runner().run(txn -> {
          txn.clear(key);
          return null;
        });
        locks++;
      }
    }
    long now = ctx.nowNanos();
    int idem = 0;
    for (KeyValue kv : scan(MetaKeys.IDEM)) {
      if (Codec.answerExpiry(kv.value()) <= now) {
        byte[] key = kv.key();
        ctx.runner().run(txn -> {
          var v = txn.get(key);
          if (v.isPresent() && Codec.answerExpiry(v.get()) <= now) {
            txn.clear(key);
          }
          return null;
        });
        idem++;
      }
    }
    return new Pruned(sessions, idem, locks);
  }

  private List<KeyValue> scan(byte[] prefix) {
    List<KeyValue> all = new ArrayList<>();
    byte[] begin = prefix;
    byte[] end = Keys.strinc(prefix);
    while (true) {
      byte[] b = begin;
      RangeResult r = ctx.runner().read(txn -> txn.snapshotGetRange(b, end, PAGE, false));
      all.addAll(r.pairs());
      if (!r.more() || r.pairs().isEmpty()) {
        return all;
      }
      begin = Keys.keyAfter(r.pairs().getLast().key());
    }
  }
}
