/**
 * The namespace as transactions on the KV SPI. {@link io.catena.meta.store.KvMetaService} is the facade; one class per
 * family of operations holds the transaction bodies ({@code EntryOps}, {@code RenameOp}, {@code FileOps},
 * {@code AttrOps}, {@code XattrOps}, {@code LockOps}, {@code DirReader}, {@code PathResolver}); {@code Tx},
 * {@code MetaKeys} and {@code Codec} are the record layer; {@code GarbageCollector}, {@code SessionPruner} and
 * {@code NamespaceChecker} are the background workers and the fsck walk.
 *
 * <p>Conflict discipline (ARCHITECTURE 3.3): steering reads are snapshot reads; a body reads with a conflict exactly
 * the keys whose change would make its decision wrong (the parent inode, the entry, the inode it updates, a
 * directory's first entry for emptiness, a rename's ancestors), and every change of a directory's contents writes the
 * directory inode (mtime/ctime), so racing creates, removes and renames in one directory conflict and one retries.
 */
package io.catena.meta.store;
