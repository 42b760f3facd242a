/** The storage client: chunk I/O against chains with routing-aware retries. */
package io.catena.storage.client;
