/**
 * The metadata service's API: {@link io.catena.meta.MetaService} (the POSIX namespace, inode-based like FUSE), the
 * records it returns, the layout and chunk-placement rules clients compute on their own, and the interfaces through
 * which meta reaches the rest of the cluster ({@link io.catena.meta.ChainTableSource},
 * {@link io.catena.meta.ChunkStorage}, {@link io.catena.meta.ClientSessionSource}). The RPC server and the meta client
 * wrap this API; the implementation lives in {@code io.catena.meta.store} and nobody imports it but the launcher.
 */
package io.catena.meta;
