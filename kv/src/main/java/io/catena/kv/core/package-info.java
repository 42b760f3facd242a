/**
 * Implementation shared by the local engines: the buffered read-your-writes {@link io.catena.kv.core.Transaction},
 * the conflict {@link io.catena.kv.core.Resolver} and the small engine-side interfaces they talk through. Not an
 * API: only the kv module uses it.
 */
package io.catena.kv.core;
