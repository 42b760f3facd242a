/**
 * The wire contract of the {@code meta} role shared by server and client: the method descriptors of RPC service 2
 * ({@link io.catena.meta.rpc.MetaMethods}) and the conversions between the API records and {@code meta.proto}
 * ({@link io.catena.meta.rpc.MetaWire}).
 */
package io.catena.meta.rpc;
