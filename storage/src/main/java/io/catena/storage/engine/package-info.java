/**
 * The chunk engine: {@link io.catena.storage.engine.CowChunkStore}, the local store of one disk.
 *
 * <h2>On-disk layout</h2>
 * <pre>
 * &lt;dir&gt;/meta/                 RocksDB: "L" layout, "C"+chunkId committed version, "P"+chunkId pending version
 * &lt;dir&gt;/data/&lt;size&gt;KiB/&lt;k&gt;.dat  blocks of one size class (64KiB ... 64MiB), k = 0 .. files_per_class-1
 * </pre>
 * A version record (49 bytes) holds chain id, version, chain version, length, CRC32C of the whole content, block
 * address ({@code class << 56 | index}) and mtime. Block {@code i} of a class lives in file
 * {@code i % files_per_class} at byte {@code (i / files_per_class) * blockSize}. A chunk's block is the smallest
 * class holding its current length; it moves to a larger class by copy when it grows past it.
 *
 * <h2>Crash consistency</h2>
 * Committed content is never modified in place below its committed length, and a record never points at a block
 * another live record may reuse: new content goes to a fresh block (or past the committed length of the same
 * block), is forced, and only then does one RocksDB WriteBatch publish it; the block it replaces is freed after
 * that batch is durable. Which blocks are free is not stored but derived from the records at open, so a crash
 * cannot leak or double-book a block. After kill -9 every record is either the old or the new one, each pointing
 * at complete, forced content; {@code storage.verify_on_start = full} proves it by recomputing every CRC32C.
 */
package io.catena.storage.engine;
