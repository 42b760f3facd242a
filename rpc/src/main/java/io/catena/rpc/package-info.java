/**
 * Catena's RPC layer: the API every service and client uses. The implementation (Netty, wire format) lives in
 * {@code io.catena.rpc.netty}; nothing outside this module should import it.
 *
 * <pre>{@code
 * var m = MethodDescriptor.of(10, 1, "catena.storage.Storage/Read", ReadReq.getDefaultInstance(),
 *     ReadResp.getDefaultInstance());
 * var svc = ServiceDefinition.builder("storage", 10)
 *     .method(m, call -> CompletableFuture.completedFuture(
 *         RpcReply.of(ReadResp.getDefaultInstance(), Attachment.ofFile(chunkFile, offset, length))))
 *     .build();
 * Config config = Config.defaults(ConfigSchema.fromHolders(RpcConfig.class));
 * try (RpcServer server = Rpc.server(config, Address.parse("tcp://127.0.0.1:0"), List.of(svc));
 *      RpcClient client = Rpc.client(config)) {
 *   try (RpcResponse<ReadResp> r = client.call(server.boundAddress(), m, req, null, CallOptions.timeout(
 *       Duration.ofSeconds(2))).join()) {
 *     ByteBuf data = r.attachment().orElseThrow();   // a slice of the socket buffer, released by close()
 *   }
 * }
 * }</pre>
 *
 * <p>Errors are {@link io.catena.common.CatenaException}s carrying a {@link io.catena.common.Status}; see
 * {@link io.catena.rpc.RpcClient} for which codes the transport itself produces.
 */
package io.catena.rpc;
