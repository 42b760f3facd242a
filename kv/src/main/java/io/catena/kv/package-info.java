/**
 * The transactional key-value layer's face: the SPI ({@link io.catena.kv.KvEngine},
 * {@link io.catena.kv.ReadTransaction}, {@link io.catena.kv.ReadWriteTransaction}), the one retry runner
 * ({@link io.catena.kv.TransactionRunner}), key encoding ({@link io.catena.kv.Keys}), configuration
 * ({@link io.catena.kv.KvConfig}), fault injection ({@link io.catena.kv.KvFaults}) and the factory
 * ({@link io.catena.kv.KvEngines}). Other modules import only this package; {@code core}, {@code mem} and
 * {@code rocksdb} are implementation.
 */
package io.catena.kv;
