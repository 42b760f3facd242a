/** The meta server side: {@link io.catena.meta.server.MetaRpcService} serves a MetaService over the RPC layer. */
package io.catena.meta.server;
