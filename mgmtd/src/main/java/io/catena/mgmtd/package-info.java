/**
 * The cluster manager's face: {@link io.catena.mgmtd.MgmtdService} (one method per RPC), its request and reply
 * records, {@link io.catena.mgmtd.MgmtdConfig} and {@link io.catena.mgmtd.ConfigApplier} for nodes applying
 * distributed config. The chain rules live in {@code io.catena.mgmtd.chain}; the implementation on the KV store in
 * {@code io.catena.mgmtd.server}, which nothing outside mgmtd (and its RPC wrapper) should import.
 */
package io.catena.mgmtd;
