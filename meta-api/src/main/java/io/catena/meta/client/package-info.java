/**
 * {@link io.catena.meta.client.MetaClient}: MetaService over RPC with failover between stateless meta servers and
 * idempotent retries.
 */
package io.catena.meta.client;
