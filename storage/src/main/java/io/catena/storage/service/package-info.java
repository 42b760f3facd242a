/**
 * The storage service (ARCHITECTURE §4): {@link io.catena.storage.service.StorageServer} wires a
 * {@link io.catena.storage.service.TargetManager} (targets = chunk stores in {@code <disk>/targets/<id>}), the
 * {@link io.catena.storage.service.StorageService} (the RPC surface, mapping each request onto the chain replicator
 * for CRAQ writes, the range remover, the chunk reads, the two sides of resync and the target states) and a routing
 * source; {@link io.catena.storage.service.StorageProcess} is the {@code catena storage} role (routing cache + node
 * agent); {@link io.catena.storage.service.LocalCluster} runs several nodes in one JVM with hand-driven routing
 * (tests, benchmarks).
 *
 * <h2>Status codes</h2>
 * <pre>
 * ESTALE  (retryable)  the sender's chain version is older than ours: refresh routing and retry
 * EAGAIN  (retryable)  ours is older, the target is not serving/receiving writes in the chain, or it was fenced
 * ENXIO                no such target on this node, or it is not in that chain / not the chain's head
 * EBADMSG              payload CRC32C mismatch        EINVAL  bad offset or chunk size
 * EFBIG                write past the chunk size      EALREADY  a superseded retry (older sequence number)
 * </pre>
 */
package io.catena.storage.service;
