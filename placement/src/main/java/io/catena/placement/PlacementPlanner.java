package io.catena.placement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds a {@link Placement} for a {@link PlacementRequest}. Stateless and thread-safe; the result depends only on
 * the request (its seed included).
 *
 * <p>Algorithm. Every node must be a member of exactly r = disks * targets-per-disk chains; we start from the cyclic
 * layout (chain c holds nodes cR..cR+R-1 mod N), which already gives every node r memberships on distinct nodes.
 * Simulated annealing then swaps one member of a chain with one member of another (which keeps every node's
 * membership count) to minimise the sum over node pairs of λ(u,v)², λ = chains shared by u and v. With the total of
 * λ fixed, that sum reaches its lower bound exactly when all λ differ by at most one (a nearly balanced incomplete
 * block design), and the search stops there; the per-node spread max_v λ(u,v) - min_v λ(u,v), which is what a
 * node failure moves to the peers, is then at most one as well. Finally the chains are ordered so consecutive
 * chains use the least recently used nodes, a head is chosen per chain by capacity-bounded bipartite matching
 * (heads per node differ by at most one), and each node's memberships are dealt round-robin over its disks in
 * table order.
 */
public final class PlacementPlanner {
  /** Iterations of the annealing per restart, scaled by the design size; measured: N ≤ 20 converges in far fewer. */
  private static final long ITERATIONS_PER_MEMBERSHIP = 20_000;
  /**
   * Caps one restart so parameters without a nearly balanced design (e.g. N=8, R=4, T=3) still answer in seconds;
   * measured: N=100, D=3, T=8, R=3 converges well inside it.
   */
  private static final long MAX_ITERATIONS = 5_000_000;
  private static final int RESTARTS = 4;

  private PlacementPlanner() {}

  /** Plans the request; throws {@link InfeasiblePlacementException} if no placement satisfies it. */
  public static Placement plan(PlacementRequest request) {
    request.infeasibility().ifPresent(i -> {
      throw new InfeasiblePlacementException(i);
    });
    int n = request.nodes();
    int r = request.replication();
    int chains = request.chains();
    int[][] members = balancedChains(n, r, chains, request.targetsPerNode(), new SplittableRandom(request.seed()));
    int[][] ordered = interleave(members, n);
    int[] heads = heads(ordered, n);
    return assemble(request, ordered, heads);
  }

  /** Chains as node indexes 0..n-1, each node in exactly perNode chains, pair counts as even as the search gets. */
  static int[][] balancedChains(int n, int r, int chains, int perNode, SplittableRandom random) {
    int[][] best = null;
    long bestCost = Long.MAX_VALUE;
    long lowerBound = lowerBound(n, r, chains);
    for (int attempt = 0; attempt < RESTARTS; attempt++) {
      int[][] c = cyclic(n, r, chains);
      long budget = Math.min(MAX_ITERATIONS, ITERATIONS_PER_MEMBERSHIP * Math.max(1, (long) n * perNode));
      long cost = anneal(c, n, r, random, budget, lowerBound);
      if (cost < bestCost) {
        bestCost = cost;
        best = c;
      }
      if (bestCost == lowerBound) {
        break;
      }
    }
    return best;
  }

  private static int[][] cyclic(int n, int r, int chains) {
    int[][] c = new int[chains][r];
    for (int i = 0; i < chains; i++) {
      for (int j = 0; j < r; j++) {
        c[i][j] = (i * r + j) % n; // r ≤ n consecutive values are distinct mod n
      }
    }
    return c;
  }

  /** The least possible sum of λ² given the fixed total: every pair at ⌊avg⌋ or ⌈avg⌉. */
  static long lowerBound(int n, int r, int chains) {
    long pairs = (long) n * (n - 1) / 2;
    if (pairs == 0) {
      return 0;
    }
    long total = (long) chains * r * (r - 1) / 2;
    long q = total / pairs;
    long rem = total % pairs;
    return rem * (q + 1) * (q + 1) + (pairs - rem) * q * q;
  }

  private static long anneal(int[][] c, int n, int r, SplittableRandom random, long iterations, long lowerBound) {
    int chains = c.length;
    int[][] lambda = new int[n][n];
    for (int[] chain : c) {
      for (int i = 0; i < r; i++) {
        for (int j = i + 1; j < r; j++) {
          lambda[chain[i]][chain[j]]++;
          lambda[chain[j]][chain[i]]++;
        }
      }
    }
    long cost = 0;
    for (int u = 0; u < n; u++) {
      for (int v = u + 1; v < n; v++) {
        cost += (long) lambda[u][v] * lambda[u][v];
      }
    }
    if (cost == lowerBound || chains < 2 || r == n) {
      return cost;
    }
    int[][] bestC = copy(c);
    long best = cost;
    double temperature = 2.0;
    // Cool geometrically to ~0.05 over the budget; deltas are even integers, so below ~0.3 only descents pass.
    double cooling = Math.pow(0.05 / temperature, 1.0 / iterations);
    for (long it = 0; it < iterations; it++) {
      temperature *= cooling;
      int a = random.nextInt(chains);
      int b = random.nextInt(chains - 1);
      if (b >= a) {
        b++;
      }
      int i = random.nextInt(r);
      int j = random.nextInt(r);
      int x = c[a][i];
      int y = c[b][j];
      if (x == y || contains(c[b], x) || contains(c[a], y)) {
        continue;
      }
      // Moving x from a to b and y from b to a: pairs with members only in a trade x for y, only in b y for x;
      // members in both keep both pairs (one lost, one gained).
      long delta = 0;
      for (int z : c[a]) {
        if (z != x && !contains(c[b], z)) {
          delta += 2L * (lambda[y][z] - lambda[x][z] + 1);
        }
      }
      for (int w : c[b]) {
        if (w != y && !contains(c[a], w)) {
          delta += 2L * (lambda[x][w] - lambda[y][w] + 1);
        }
      }
      if (delta > 0 && random.nextDouble() >= Math.exp(-delta / temperature)) {
        continue;
      }
      for (int z : c[a]) {
        if (z != x && !contains(c[b], z)) {
          add(lambda, x, z, -1);
          add(lambda, y, z, 1);
        }
      }
      for (int w : c[b]) {
        if (w != y && !contains(c[a], w)) {
          add(lambda, y, w, -1);
          add(lambda, x, w, 1);
        }
      }
      c[a][i] = y;
      c[b][j] = x;
      cost += delta;
      if (cost < best) {
        best = cost;
        bestC = copy(c);
        if (best == lowerBound) {
          break;
        }
      }
    }
    for (int k = 0; k < chains; k++) {
      c[k] = bestC[k];
    }
    return best;
  }

  private static void add(int[][] lambda, int u, int v, int d) {
    lambda[u][v] += d;
    lambda[v][u] += d;
  }

  private static boolean contains(int[] chain, int node) {
    for (int m : chain) {
      if (m == node) {
        return true;
      }
    }
    return false;
  }

  private static int[][] copy(int[][] c) {
    int[][] d = new int[c.length][];
    for (int i = 0; i < c.length; i++) {
      d[i] = c[i].clone();
    }
    return d;
  }

  /**
   * Orders chains so that a file striped over a window of consecutive chains touches as many nodes as possible:
   * each next chain is the one whose most recently used member was used longest ago (ties: fewer recent uses,
   * then the lower index, for determinism).
   */
  static int[][] interleave(int[][] chains, int n) {
    int count = chains.length;
    boolean[] used = new boolean[count];
    long[] lastUse = new long[n];
    Arrays.fill(lastUse, -1);
    int[][] out = new int[count][];
    for (int pos = 0; pos < count; pos++) {
      int pick = -1;
      long pickNewest = Long.MAX_VALUE;
      long pickSum = Long.MAX_VALUE;
      for (int k = 0; k < count; k++) {
        if (used[k]) {
          continue;
        }
        long newest = -1;
        long sum = 0;
        for (int m : chains[k]) {
          newest = Math.max(newest, lastUse[m]);
          sum += lastUse[m];
        }
        if (newest < pickNewest || (newest == pickNewest && sum < pickSum)) {
          pick = k;
          pickNewest = newest;
          pickSum = sum;
        }
      }
      used[pick] = true;
      out[pos] = chains[pick].clone();
      for (int m : out[pos]) {
        lastUse[m] = pos;
      }
    }
    return out;
  }

  /**
   * Picks the head of every chain so heads per node differ by at most one: first every node gets ⌊C/N⌋ heads
   * (a maximum matching with that capacity saturates every node, because spreading each chain 1/R over its members
   * gives every node exactly C/N), then the remaining chains are matched with capacity ⌈C/N⌉. Augmenting paths never
   * lower a node's count, so the first phase's floor survives.
   */
  static int[] heads(int[][] chains, int n) {
    int count = chains.length;
    int[] head = new int[count];
    Arrays.fill(head, -1);
    int[] load = new int[n];
    int floor = count / n;
    int ceil = (count + n - 1) / n;
    for (int cap : new int[] {floor, ceil}) {
      if (cap == 0) {
        continue;
      }
      for (int k = 0; k < count; k++) {
        if (head[k] < 0) {
          augment(k, chains, head, load, cap, new boolean[count]);
        }
      }
    }
    for (int k = 0; k < count; k++) {
      if (head[k] < 0) {
        throw new IllegalStateException("no head for chain " + k); // impossible by the argument above
      }
    }
    return head;
  }

  private static boolean augment(int k, int[][] chains, int[] head, int[] load, int cap, boolean[] visited) {
    visited[k] = true;
    for (int m : chains[k]) {
      if (load[m] < cap) {
        head[k] = m;
        load[m]++;
        return true;
      }
    }
    for (int m : chains[k]) {
      for (int other = 0; other < chains.length; other++) {
        if (!visited[other] && head[other] == m && augment(other, chains, head, load, cap, visited)) {
          // `other` moved to another node (whose load rose); m hands its slot to k, keeping its own load.
          load[m]--;
          head[k] = m;
          load[m]++;
          return true;
        }
      }
    }
    return false;
  }

  private static Placement assemble(PlacementRequest request, int[][] chains, int[] heads) {
    int n = request.nodes();
    int disks = request.disksPerNode();
    int[] memberships = new int[n];
    List<Placement.Chain> outChains = new ArrayList<>(chains.length);
    List<Placement.Target> targets = new ArrayList<>();
    for (int k = 0; k < chains.length; k++) {
      long chainId = Placement.chainId(request.tableId(), k);
      // Head first, then the other members in their cyclic order after the head.
      int[] c = chains[k];
      int h = indexOf(c, heads[k]);
      List<Long> nodeIds = new ArrayList<>(c.length);
      List<Long> targetIds = new ArrayList<>(c.length);
      for (int j = 0; j < c.length; j++) {
        int node = c[(h + j) % c.length];
        long nodeId = request.nodeIdBegin() + node;
        // A node's memberships are dealt round-robin over its disks in table order, so consecutive chains of one
        // node land on different disks.
        int seq = memberships[node]++;
        int disk = seq % disks;
        int index = seq / disks + 1;
        long targetId = Placement.targetId(nodeId, disk, index);
        nodeIds.add(nodeId);
        targetIds.add(targetId);
        targets.add(new Placement.Target(targetId, nodeId, disk, chainId));
      }
      outChains.add(new Placement.Chain(chainId, targetIds, nodeIds));
    }
    targets.sort((p, q) -> Long.compare(p.targetId(), q.targetId()));
    return new Placement(request, outChains, targets);
  }

  private static int indexOf(int[] chain, int node) {
    for (int j = 0; j < chain.length; j++) {
      if (chain[j] == node) {
        return j;
      }
    }
    throw new IllegalArgumentException("node " + node + " not in chain");
  }
}
