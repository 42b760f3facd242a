/**
 * Data placement: builds chains of R targets on R distinct storage nodes so that every node hosts the same number
 * of targets per disk and every pair of nodes shares (almost) the same number of chains, then writes the target,
 * chain and chain-table files the admin commands consume. Entry points: {@link io.catena.placement.PlacementPlanner}
 * and {@link io.catena.placement.PlacementFiles}.
 */
package io.catena.placement;
