/**
 * The cluster manager's face: {@link io.catena.mgmtd.MgmtdService} (one method per RPC), its request and reply
 * records, {@link io.catena.mgmtd.MgmtdConfig} and {@link io.catena.mgmtd.ConfigApplier} for nodes applying
 * distributed config. The chain rules live in {@code io.catena.mgmtd.chain}; the implementation on the KV store in
 * {@code io.catena.mgmtd.server}, which nothing outside mgmtd (and its RPC wrapper) should import.
 *
 * <p>Every other role talks to mgmtd through {@code io.catena.mgmtd.client}: {@code MgmtdClient} (every method over
 * RPC, with redirects, failover and retries), {@code NodeAgent} (register + heartbeat loop + live config) and
 * {@code RoutingCache} (a {@code RoutingSource}). The wire format is {@code catena/mgmtd.proto}, service id 1
 * ({@code io.catena.mgmtd.rpc}); {@code server.MgmtdRpcService} serves it and {@code server.MgmtdProcess} is the
 * standalone {@code catena mgmtd} role.
 */
package io.catena.mgmtd;
