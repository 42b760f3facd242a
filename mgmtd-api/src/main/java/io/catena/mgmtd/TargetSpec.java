package io.catena.mgmtd;

/** An operator's request to create a target on a storage node's disk. Immutable. */
public record TargetSpec(long targetId, long nodeId, int diskIndex) {}
