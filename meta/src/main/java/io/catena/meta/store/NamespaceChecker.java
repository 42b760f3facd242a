package io.catena.meta.store;

import io.catena.kv.Keys;
import io.catena.kv.KeyValue;
import io.catena.kv.KvEngine;
import io.catena.kv.RangeResult;
import io.catena.kv.ReadTransaction;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Walks the namespace records of one KV snapshot and reports every broken invariant: entries pointing at missing
 * or dead inodes or with the wrong type/permission copy, link counts that differ from the entries (files) or from
 * 2 + subdirectories (directories), directories with other than one entry or a wrong parent link, inodes nobody
 * names outside the GC area, GC entries of live inodes, directories not reachable from the root, and sessions or
 * attributes of missing inodes. Directory quotas: every tag names an existing quota, each quota's usage counters
 * equal a recount of the inodes and file lengths its tags (and nested quotas) say it holds, unlinked files carry
 * no tag, and, when no quota is being counted or removed, every name's inode is tagged as its directory says.
 * Meant for tests and for fsck. Thread-safe: stateless per call.
 */
public final class NamespaceChecker {
  private static final int PAGE = 1024;

  private NamespaceChecker() {}

  /** What a check found: the violations in words, and how many inodes and entries it looked at. */
  public record Report(List<String> violations, int inodes, int entries) {
    public boolean ok() {
      return violations.isEmpty();
    }
  }

  public static Report check(KvEngine engine) {
    try (ReadTransaction txn = engine.beginRead()) {
      return check(txn);
    }
  }

  public static Report check(ReadTransaction txn) {
    List<String> bad = new ArrayList<>();
    Map<Long, Inode> inodes = new HashMap<>();
    for (KeyValue kv : scan(txn, MetaKeys.INOD)) {
      long id = MetaKeys.idOf(kv.key());
      try {
        inodes.put(id, Codec.decodeInode(id, kv.value()));
      } catch (RuntimeException e) {
        bad.add("inode " + id + " does not decode: " + e.getMessage());
      }
    }
    Inode root = inodes.get(MetaService.ROOT);
    if (root == null || !root.isDirectory()) {
      bad.add("root inode 0 is missing or not a directory");
    }
    Map<Long, Codec.Quota> quotas = new HashMap<>();
    for (KeyValue kv : scan(txn, MetaKeys.QUOT)) {
      long id = MetaKeys.idOf(kv.key());
      try {
        quotas.put(id, Codec.decodeQuota(kv.value()));
      } catch (RuntimeException e) {
        bad.add("quota " + id + " does not decode: " + e.getMessage());
      }
    }
    boolean settled = quotas.values().stream().allMatch(q -> q.state() == QuotaLedger.ACTIVE);
    checkQuotas(txn, inodes, quotas, bad);
    Map<Long, Integer> names = new HashMap<>();
    Map<Long, Integer> subdirs = new HashMap<>();
    Map<Long, List<Long>> children = new HashMap<>();
    int entries = 0;
    for (KeyValue kv : scan(txn, MetaKeys.DENT)) {
      entries++;
      Dent d;
      try {
        d = Tx.decodeDentPair(kv);
      } catch (RuntimeException e) {
        bad.add("entry " + MetaKeys.nameOf(kv.key()) + " does not decode: " + e.getMessage());
        continue;
      }
      String where = "entry '" + d.name() + "' in " + d.parent();
      Inode parent = inodes.get(d.parent());
      if (parent == null || !parent.isDirectory()) {
        bad.add(where + ": parent is missing or not a directory");
      }
      Inode child = inodes.get(d.ino());
      if (child == null) {
        bad.add(where + ": points at missing inode " + d.ino());
        continue;
      }
      if (child.nlink() <= 0) {
        bad.add(where + ": points at inode " + d.ino() + " with nlink " + child.nlink());
      }
      if (child.type() != d.type()) {
        bad.add(where + ": type " + d.type() + " but inode " + d.ino() + " is " + child.type());
      }
      names.merge(d.ino(), 1, Integer::sum);
      if (settled && parent != null) {
        long charged = child.quotaDomain() == child.id() && quotas.containsKey(child.id())
            ? quotas.get(child.id()).parentDomain() : child.quotaDomain();
        if (charged != parent.quotaDomain()) {
          bad.add(where + ": inode " + d.ino() + " counts toward quota " + charged + " but its directory is under "
              + parent.quotaDomain());
        }
      }
      if (child.isDirectory()) {
        subdirs.merge(d.parent(), 1, Integer::sum);
        children.computeIfAbsent(d.parent(), k -> new ArrayList<>()).add(d.ino());
        if (child.parent() != d.parent() || !d.name().equals(child.name())) {
          bad.add(where + ": directory " + d.ino() + " says it is '" + child.name() + "' in " + child.parent());
        }
        if (d.uid() != child.uid() || d.gid() != child.gid() || d.perm() != child.mode()) {
          bad.add(where + ": stale owner/permission copy of directory " + d.ino());
        }
      }
    }
    Set<Long> inGc = new HashSet<>();
    for (KeyValue kv : scan(txn, MetaKeys.GCQ)) {
      long id = MetaKeys.idOf(kv.key());
      inGc.add(id);
      Inode i = inodes.get(id);
      if (i == null) {
        bad.add("GC entry of missing inode " + id);
      } else if (i.nlink() != 0 || !i.isFile()) {
        bad.add("GC entry of live or non-file inode " + id);
      }
    }
    Set<Long> inTrash = new HashSet<>();
    for (KeyValue kv : scan(txn, TrashRecords.TRSH)) {
      long id = MetaKeys.idOf(kv.key());
      inTrash.add(id);
      Inode i = inodes.get(id);
      if (i == null || i.nlink() != 0 || !i.isFile() || inGc.contains(id)) {
        bad.add("trash entry of a missing, live, non-file or collected inode " + id);
      }
    }
    for (Inode i : inodes.values()) {
      int n = names.getOrDefault(i.id(), 0);
      if (i.isDirectory()) {
        if (i.id() != MetaService.ROOT && n != 1) {
          bad.add("directory " + i.id() + " has " + n + " entries naming it");
        }
        int expect = 2 + subdirs.getOrDefault(i.id(), 0);
        if (i.nlink() != expect) {
          bad.add("directory " + i.id() + " has nlink " + i.nlink() + ", expected " + expect);
        }
      } else if (i.nlink() == 0) {
        if (n != 0 || !(inGc.contains(i.id()) || inTrash.contains(i.id()))) {
          bad.add("unlinked inode " + i.id() + " is named " + n + " times / not in the GC or trash area");
        }
      } else if (i.nlink() != n) {
        bad.add("inode " + i.id() + " has nlink " + i.nlink() + " but " + n + " entries");
      }
    }
    Set<Long> reached = new HashSet<>();
    ArrayDeque<Long> todo = new ArrayDeque<>();
    todo.add(MetaService.ROOT);
    while (!todo.isEmpty()) {
      long d = todo.poll();
      if (reached.add(d)) {
        todo.addAll(children.getOrDefault(d, List.of()));
      }
    }
    for (Inode i : inodes.values()) {
      if (i.isDirectory() && !reached.contains(i.id())) {
        bad.add("directory " + i.id() + " is not reachable from the root");
      }
    }
    for (byte[] prefix : List.of(MetaKeys.INOS, MetaKeys.XATR, MetaKeys.LOCK, TrashRecords.TTIM)) {
      for (KeyValue kv : scan(txn, prefix)) {
        long id = MetaKeys.idOf(kv.key());
        if (!inodes.containsKey(id)) {
          bad.add(new String(prefix, java.nio.charset.StandardCharsets.US_ASCII) + " record of missing inode " + id);
        }
      }
    }
    checkDataRefs(txn, inodes, bad);
    return new Report(List.copyOf(bad), inodes.size(), entries);
  }

  /** Each shared data id's reference count equals the number of files naming it (docs/snapshots.md). */
  private static void checkDataRefs(ReadTransaction txn, Map<Long, Inode> inodes, List<String> bad) {
    Map<Long, Long> naming = new HashMap<>();
    for (Inode i : inodes.values()) {
      if (i.isFile() && i.layout() != null) {
        naming.merge(i.layout().dataOwner(i.id()), 1L, Long::sum);
      }
    }
    Map<Long, Long> recorded = new HashMap<>();
    for (KeyValue kv : scan(txn, MetaKeys.DREF)) {
      recorded.put(MetaKeys.idOf(kv.key()), Codec.decodeLong(kv.value()));
    }
    for (Map.Entry<Long, Long> e : naming.entrySet()) {
      long want = e.getValue() > 1 ? e.getValue() : 0;
      long got = recorded.getOrDefault(e.getKey(), 0L);
      if (want != got) {
        bad.add("data " + e.getKey() + " is named by " + e.getValue() + " files but its reference record says "
            + (got == 0 ? "none" : got));
      }
    }
    for (long data : recorded.keySet()) {
      if (!naming.containsKey(data)) {
        bad.add("reference record of data " + data + " that no file names");
      }
    }
  }

  private static void checkQuotas(ReadTransaction txn, Map<Long, Inode> inodes, Map<Long, Codec.Quota> quotas,
      List<String> bad) {
    Map<Long, long[]> expected = new HashMap<>();
    for (Map.Entry<Long, Codec.Quota> q : quotas.entrySet()) {
      expected.put(q.getKey(), new long[2]);
      Inode dir = inodes.get(q.getKey());
      if (dir == null || !dir.isDirectory()) {
        bad.add("quota " + q.getKey() + " of a missing or non-directory inode");
      } else if (q.getValue().state() != QuotaLedger.REMOVING && dir.quotaDomain() != dir.id()) {
        bad.add("quota directory " + dir.id() + " is tagged " + dir.quotaDomain() + " instead of itself");
      }
    }
    for (Inode i : inodes.values()) {
      long tag = i.quotaDomain();
      if (tag == Inode.NO_QUOTA) {
        continue;
      }
      if (i.isFile() && i.nlink() == 0) {
        bad.add("unlinked file " + i.id() + " still counts toward quota " + tag);
        continue;
      }
      if (!quotas.containsKey(tag)) {
        bad.add("inode " + i.id() + " is tagged with quota " + tag + ", which does not exist");
        continue;
      }
      long d = tag == i.id() ? quotas.get(tag).parentDomain() : tag;
      for (int depth = 0; d != Inode.NO_QUOTA; depth++) {
        Codec.Quota q = quotas.get(d);
        if (q == null || depth > 64) {
          bad.add("quota chain above inode " + i.id() + " is broken or cyclic at " + d);
          break;
        }
        long[] e = expected.get(d);
        e[0] += i.isFile() ? i.length() : 0;
        e[1] += 1;
        d = q.parentDomain();
      }
    }
    Map<Long, long[]> stored = new HashMap<>();
    for (KeyValue kv : scan(txn, MetaKeys.QUSE)) {
      long id = MetaKeys.idOf(kv.key());
      int kind = kv.key()[12];
      stored.computeIfAbsent(id, k -> new long[2])[kind == 'b' ? 0 : 1] = Keys.counterOf(kv.value());
      if (!quotas.containsKey(id)) {
        bad.add("usage counter of missing quota " + id);
      }
    }
    for (Map.Entry<Long, long[]> e : expected.entrySet()) {
      long[] s = stored.getOrDefault(e.getKey(), new long[2]);
      if (s[0] != e.getValue()[0] || s[1] != e.getValue()[1]) {
        bad.add("quota " + e.getKey() + " says " + s[0] + " bytes / " + s[1] + " inodes, a recount finds "
            + e.getValue()[0] + " / " + e.getValue()[1]);
      }
    }
  }

  private static List<KeyValue> scan(ReadTransaction txn, byte[] prefix) {
    List<KeyValue> all = new ArrayList<>();
    byte[] begin = prefix;
    byte[] end = Keys.strinc(prefix);
    while (true) {
      RangeResult r = txn.snapshotGetRange(begin, end, PAGE, false);
      all.addAll(r.pairs());
      if (!r.more() || r.pairs().isEmpty()) {
        return all;
      }
      begin = Keys.keyAfter(r.pairs().getLast().key());
    }
  }

}
