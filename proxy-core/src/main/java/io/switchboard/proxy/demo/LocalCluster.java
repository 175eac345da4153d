package io.switchboard.proxy.demo;

import io.switchboard.config.HostAndPort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real Redis Cluster on loopback: primaries and their replicas as {@code redis-server} processes
 * with {@code cluster-enabled yes}, created from Java ({@code CLUSTER MEET}, {@code CLUSTER
 * ADDSLOTSRANGE}, {@code CLUSTER REPLICATE}), since {@code redis-cli} is not there on a JDK-only
 * machine. Each node's cluster bus gets a free port of its own ({@code cluster-port}): the default,
 * port + 10000, may be taken or past 65535. {@link #close} stops every process and deletes the
 * working folder.
 */
public final class LocalCluster implements AutoCloseable {

  private final Path dir;
  private final List<RedisNode> primaries = new ArrayList<>();
  private final List<RedisNode> replicas = new ArrayList<>();

  /** Each node's cluster bus port, by node name. */
  private final java.util.Map<String, Integer> busPorts = new java.util.HashMap<>();

  private final RedisBinary binary;

  /** Configuration lines every node gets besides the fixture's own. */
  private final List<String> extraConfig;

  private LocalCluster(
      Path dir, RedisBinary binary, int shards, int replicasPerShard, List<String> extraConfig)
      throws IOException {
    this.binary = binary;
    this.dir = dir;
    this.extraConfig = List.copyOf(extraConfig);
    for (int shard = 1; shard <= shards; shard++) {
      primaries.add(node(binary, "primary-" + shard));
      for (int r = 1; r <= replicasPerShard; r++) {
        replicas.add(node(binary, "replica-" + shard + "-" + r));
      }
    }
  }

  private RedisNode node(RedisBinary binary, String name) throws IOException {
    int busPort = RedisNode.freePort();
    busPorts.put(name, busPort);
    List<String> config =
        new ArrayList<>(
            List.of(
                "cluster-enabled yes",
                "cluster-config-file nodes.conf",
                "cluster-port " + busPort,
                "cluster-node-timeout 2000",
                "save \"\"",
                "appendonly no",
                "repl-diskless-sync yes",
                "repl-diskless-sync-delay 0"));
    if (binary.majorVersion() >= 7) {
      config.add("enable-debug-command yes");
    }
    config.addAll(extraConfig);
    return new RedisNode(name, binary, dir, false, config);
  }

  /** Three primaries with one replica each, on the pinned redis-server: the tests' cluster. */
  public static LocalCluster start() throws IOException {
    return start(RedisBinary.pinned(), 3, 1);
  }

  public static LocalCluster start(RedisBinary binary, int shards, int replicasPerShard)
      throws IOException {
    return start(binary, shards, replicasPerShard, List.of());
  }

  /**
   * As {@link #start(RedisBinary, int, int)}, every node also configured with {@code extra};
   * started again on other ports if a node's port was taken meanwhile ({@link PortClashRetry}).
   */
  public static LocalCluster start(
      RedisBinary binary, int shards, int replicasPerShard, List<String> extra) throws IOException {
    return PortClashRetry.start(
        "LocalCluster", () -> startOnce(binary, shards, replicasPerShard, extra));
  }

  private static LocalCluster startOnce(
      RedisBinary binary, int shards, int replicasPerShard, List<String> extra) throws IOException {
    Path dir = Files.createTempDirectory("switchboard-cluster-");
    LocalCluster cluster = new LocalCluster(dir, binary, shards, replicasPerShard, extra);
    try {
      for (RedisNode node : cluster.nodes()) {
        node.start();
      }
      cluster.create(replicasPerShard);
      return cluster;
    } catch (IOException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  private void create(int replicasPerShard) throws IOException {
    List<RedisNode> all = nodes();
    RedisNode first = all.get(0);
    for (int i = 1; i < all.size(); i++) {
      meet(first, all.get(i));
    }
    int slotsPerShard = 16_384 / primaries.size();
    for (int i = 0; i < primaries.size(); i++) {
      int from = i * slotsPerShard;
      int to = i == primaries.size() - 1 ? 16_383 : from + slotsPerShard - 1;
      expectOk(
          primaries
              .get(i)
              .call("CLUSTER", "ADDSLOTSRANGE", Integer.toString(from), Integer.toString(to)));
    }
    awaitEveryNodeKnows(all.size(), Duration.ofSeconds(30));
    for (int i = 0; i < replicas.size(); i++) {
      RedisNode primary = primaries.get(i / replicasPerShard);
      String id = String.valueOf(primary.call("CLUSTER", "MYID"));
      expectOk(replicas.get(i).call("CLUSTER", "REPLICATE", id));
    }
    awaitReady(Duration.ofSeconds(60));
  }

  /** {@code introducer} meets {@code node} on its client and bus ports; gossip does the rest. */
  private void meet(RedisNode introducer, RedisNode node) throws IOException {
    expectOk(
        introducer.call(
            "CLUSTER",
            "MEET",
            "127.0.0.1",
            Integer.toString(node.port()),
            Integer.toString(busPortOf(node))));
  }

  private int busPortOf(RedisNode node) {
    return busPorts.get(node.name());
  }

  private static void expectOk(Object reply) throws IOException {
    if (!"OK".equals(reply)) {
      throw new IOException("the cluster could not be created: " + reply);
    }
  }

  private void awaitEveryNodeKnows(int count, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (RedisNode node : nodes()) {
      while (String.valueOf(node.call("CLUSTER", "NODES")).lines().count() < count) {
        if (System.nanoTime() > deadline) {
          throw new IOException(node.name() + " did not meet every node of the cluster");
        }
        RedisNode.sleep(50);
      }
    }
  }

  /**
   * Waits until every node says the cluster is ok and knows every replica as one (gossip takes a
   * moment after CLUSTER REPLICATE), and every replica (by its role now: failovers swap them) has
   * synced.
   */
  public void awaitReady(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (RedisNode node : nodes()) {
      while (!String.valueOf(node.call("CLUSTER", "INFO")).contains("cluster_state:ok")
          || knownReplicas(node) < replicas.size()
          || unsyncedReplica(node)) {
        if (System.nanoTime() > deadline) {
          throw new IOException(node.name() + " did not reach cluster_state:ok in time");
        }
        RedisNode.sleep(50);
      }
    }
  }

  private static boolean unsyncedReplica(RedisNode node) throws IOException {
    String replication = String.valueOf(node.call("INFO", "replication"));
    return replication.contains("role:slave") && !replication.contains("master_link_status:up");
  }

  /**
   * Starts one more node and joins it to the cluster, holding no slots: a primary to move slots to
   * (as {@code redis-cli --cluster add-node} does). Stopped with the others.
   */
  public RedisNode addNode(Duration timeout) throws IOException {
    RedisNode node = node(binary, "added-" + (nodes().size() + 1));
    primaries.add(node);
    node.start();
    meet(nodes().get(0), node);
    awaitEveryNodeKnows(nodes().size(), timeout);
    return node;
  }

  /**
   * Takes a replica out of the cluster as {@code redis-cli --cluster del-node} does: every other
   * node forgets it, then it stops.
   */
  public void removeReplica(RedisNode replica) throws IOException {
    String id = String.valueOf(replica.call("CLUSTER", "MYID"));
    for (RedisNode other : nodes()) {
      if (other != replica) {
        expectOk(other.call("CLUSTER", "FORGET", id));
      }
    }
    replica.stop();
    replicas.remove(replica);
  }

  /** The live node that replicates {@code primary} now (roles swap with failovers). */
  public RedisNode replicaOf(RedisNode primary) throws IOException {
    String id = String.valueOf(primary.call("CLUSTER", "MYID"));
    for (RedisNode node : nodes()) {
      if (node.isAlive()
          && node.call("ROLE") instanceof List<?> role
          && "slave".equals(role.get(0))
          && String.valueOf(node.call("CLUSTER", "NODES"))
              .lines()
              .anyMatch(line -> line.contains("myself") && line.contains(id))) {
        return node;
      }
    }
    throw new IOException("no live replica of " + primary.name());
  }

  /** The nodes that are primaries now, by their own ROLE. */
  public List<RedisNode> currentPrimaries() throws IOException {
    List<RedisNode> now = new ArrayList<>();
    for (RedisNode node : nodes()) {
      if (node.isAlive()
          && node.call("ROLE") instanceof List<?> role
          && "master".equals(role.get(0))) {
        now.add(node);
      }
    }
    return now;
  }

  /** How many nodes {@code node} knows as replicas (flag "slave" in CLUSTER NODES). */
  private static long knownReplicas(RedisNode node) throws IOException {
    return String.valueOf(node.call("CLUSTER", "NODES"))
        .lines()
        .filter(line -> line.split(" ").length > 2 && line.split(" ")[2].contains("slave"))
        .count();
  }

  public RedisBinary binary() {
    return binary;
  }

  public List<RedisNode> primaries() {
    return List.copyOf(primaries);
  }

  public List<RedisNode> replicas() {
    return List.copyOf(replicas);
  }

  /** Primaries first, then replicas. */
  public List<RedisNode> nodes() {
    List<RedisNode> all = new ArrayList<>(primaries);
    all.addAll(replicas);
    return all;
  }

  /** Addresses to give the proxy as seed nodes. */
  public List<HostAndPort> seeds() {
    return nodes().stream().map(RedisNode::address).toList();
  }

  @Override
  public void close() {
    nodes().forEach(RedisNode::close);
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // Best effort: a temp folder left behind is harmless.
    }
  }
}
