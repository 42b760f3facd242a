/**
 * The cluster model every role shares: nodes, storage targets, chains, chain tables and the versioned routing
 * snapshot mgmtd hands out. Pure immutable data with validation and lookups; the rules that change it live in
 * mgmtd.
 *
 * <p>Identifiers are plain numbers rather than wrapper records, so they travel through maps, keys and wire
 * messages without boxing ceremony: node ids, target ids and chain ids are {@code long} (positive), chain table
 * ids are {@code int} (positive). Versions are {@code long} and start at 1; 0 means "none yet".
 */
package io.catena.common.cluster;
