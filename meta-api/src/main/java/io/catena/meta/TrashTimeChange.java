package io.catena.meta;

/**
 * What a set-trashtime did, counted per inode as MooseFS's mfssettrashtime reports: set to the new time,
 * already at it, or skipped because the caller neither owns the inode nor is root. Immutable.
 */
public record TrashTimeChange(long changed, long notChanged, long notPermitted) {}
