package io.catena.kv.etcd;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.catena.kv.Keys;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import java.nio.charset.StandardCharsets;

/**
 * Where one prefix's keys live in etcd ({@code p:d<key>} data, {@code p:c<key>} conflict markers, {@code p:v} the
 * probe a bare begin reads; see {@link EtcdKvEngine}) and the request pieces built from them. Immutable.
 */
final class EtcdKeys {
  private final String prefix;
  private final byte[] dataPrefix;
  private final byte[] markerPrefix;
  private final ByteString probeKey;
  private final ByteString spaceBegin;
  private final ByteString spaceEnd;
  private final ByteString dataBegin;

  EtcdKeys(String prefix) {
    this.prefix = prefix;
    byte[] base = (prefix + ":").getBytes(StandardCharsets.US_ASCII);
    this.dataPrefix = Keys.concat(base, new byte[] {'d'});
    this.markerPrefix = Keys.concat(base, new byte[] {'c'});
    this.probeKey = ByteString.copyFrom(Keys.concat(base, new byte[] {'v'}));
    this.spaceBegin = ByteString.copyFrom(base);
    this.spaceEnd = ByteString.copyFrom(Keys.strinc(base));
    this.dataBegin = ByteString.copyFrom(dataPrefix);
  }

  /** The first etcd key of the prefix's whole key space (data, markers and probe). */
  ByteString spaceBegin() {
    return spaceBegin;
  }

  /** The end (exclusive) of the prefix's whole key space. */
  ByteString spaceEnd() {
    return spaceEnd;
  }

  /** Whether an etcd key of the space holds user data (not a marker or the probe). */
  boolean isData(ByteString etcdKey) {
    return etcdKey.startsWith(dataBegin);
  }

  /** The etcd range of all user data, {@code [p:d, p:e)}, as {key, range_end}. */
  ByteString[] dataSpan() {
    return new ByteString[] {dataBegin, ByteString.copyFrom(Keys.strinc(dataPrefix))};
  }

  ByteString probe() {
    return probeKey;
  }

  ByteString data(byte[] userKey) {
    return UnsafeByteOperations.unsafeWrap(Keys.concat(dataPrefix, userKey));
  }

  ByteString marker(byte[] userKey) {
    return UnsafeByteOperations.unsafeWrap(Keys.concat(markerPrefix, userKey));
  }

  byte[] userKey(ByteString etcdKey) {
    if (!etcdKey.startsWith(UnsafeByteOperations.unsafeWrap(dataPrefix))) {
      throw new IllegalStateException("etcd returned a key outside " + prefix + ": " + etcdKey);
    }
    return etcdKey.substring(dataPrefix.length).toByteArray();
  }

  RequestOp deleteOp(byte[] from, byte[] to) {
    return RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(data(from))
        .setRangeEnd(data(to))).build();
  }

  static RangeRequest range(ByteString key, long revision, boolean keysOnly, ByteString rangeEnd, long limit) {
    RangeRequest.Builder r = RangeRequest.newBuilder().setKey(key).setRevision(revision).setKeysOnly(keysOnly)
        .setLimit(limit);
    if (rangeEnd != null) {
      r.setRangeEnd(rangeEnd);
    }
    return r.build();
  }

  static RequestOp get(ByteString key, long revision, boolean keysOnly, ByteString rangeEnd, long limit) {
    return RequestOp.newBuilder().setRequestRange(range(key, revision, keysOnly, rangeEnd, limit)).build();
  }

  static Compare modEquals(ByteString key, long mod) {
    return Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.MOD)
        .setResult(Compare.CompareResult.EQUAL).setModRevision(mod).build();
  }

  /** Every key in {@code [key, end)} was last modified at or before {@code revision}. */
  static Compare unchangedSince(ByteString key, ByteString end, long revision) {
    return Compare.newBuilder().setKey(key).setRangeEnd(end).setTarget(Compare.CompareTarget.MOD)
        .setResult(Compare.CompareResult.LESS).setModRevision(revision + 1).build();
  }
}
