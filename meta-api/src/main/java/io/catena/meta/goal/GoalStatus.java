package io.catena.meta.goal;

/**
 * The goal mover's backlog: files whose move is pending (of them, those moving to more replicas: under goal until
 * done) and old copies of moved files still waiting for removal. Immutable.
 */
public record GoalStatus(long movingFiles, long underGoalFiles, long oldCopies) {}
