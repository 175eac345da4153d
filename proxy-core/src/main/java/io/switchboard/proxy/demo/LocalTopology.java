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
 * A real Sentinel deployment on loopback: one primary, replicas and Sentinels, as {@code
 * redis-server} processes on free ports, for the demo and the integration tests. {@link #close}
 * stops every process and deletes the working folder.
 */
public final class LocalTopology implements AutoCloseable {

  public static final String MASTER = "mymaster";

  private final Path dir;
  private final RedisBinary binary;
  private final RedisNode primary;
  private final List<RedisNode> replicas = new ArrayList<>();
  private final List<RedisNode> sentinels = new ArrayList<>();

  private LocalTopology(
      Path dir, RedisBinary binary, int replicaCount, int sentinelCount, Security security)
      throws IOException {
    this.dir = dir;
    this.binary = binary;
    String host = security.hostnames() ? "localhost" : "127.0.0.1";
    String password = security.password();
    boolean tls = security.tls() != null;
    this.primary =
        new RedisNode("primary", binary, dir, false, dataNodeConfig(security), password, tls);
    int primaryPort = tls ? primary.tlsPort() : primary.port();
    for (int i = 1; i <= replicaCount; i++) {
      List<String> config = dataNodeConfig(security);
      config.add("replicaof " + host + " " + primaryPort);
      replicas.add(new RedisNode("replica-" + i, binary, dir, false, config, password, tls));
    }
    for (int i = 1; i <= sentinelCount; i++) {
      int quorum = sentinelCount / 2 + 1;
      List<String> config = new ArrayList<>();
      if (security.hostnames()) {
        // Before the monitor line, which names the primary by hostname.
        config.add("sentinel resolve-hostnames yes");
        config.add("sentinel announce-hostnames yes");
      }
      config.add("sentinel monitor " + MASTER + " " + host + " " + primaryPort + " " + quorum);
      config.add("sentinel down-after-milliseconds " + MASTER + " 2000");
      config.add("sentinel failover-timeout " + MASTER + " 10000");
      config.add("sentinel parallel-syncs " + MASTER + " 1");
      if (password != null) {
        config.add("sentinel auth-pass " + MASTER + " " + password);
        config.add("requirepass " + password);
      }
      config.addAll(sharedConfig(security));
      sentinels.add(new RedisNode("sentinel-" + i, binary, dir, true, config, password, tls));
    }
  }

  /**
   * How the nodes are secured and named.
   *
   * @param password required by every node (data and Sentinel) when not null: the default user's
   * @param hostnames nodes announce, and Sentinels report, "localhost" instead of an IP
   * @param user an ACL user every node and Sentinel also has (full access), or null
   * @param tls TLS on every node and Sentinel, for clients and among themselves, or null
   */
  public record Security(String password, boolean hostnames, AclUser user, TlsFiles tls) {
    public static final Security NONE = new Security(null, false);

    public Security(String password, boolean hostnames) {
      this(password, hostnames, null, null);
    }
  }

  /** A named Redis ACL user with a password. */
  public record AclUser(String name, String password) {}

  /**
   * PEM files for TLS: the CA, and the certificate and key every node presents (as server and, to
   * each other, as client).
   *
   * @param authClients the nodes require client certificates ({@code tls-auth-clients yes})
   */
  public record TlsFiles(Path ca, Path cert, Path key, boolean authClients) {}

  /** One primary, two replicas, three Sentinels: the shape DESIGN.md describes. */
  public static LocalTopology start() throws IOException {
    return start(2, 3);
  }

  /** On the {@linkplain RedisBinary#pinned pinned} redis-server, as the tests need. */
  public static LocalTopology start(int replicaCount, int sentinelCount) throws IOException {
    return start(RedisBinary.pinned(), replicaCount, sentinelCount);
  }

  public static LocalTopology start(RedisBinary binary, int replicaCount, int sentinelCount)
      throws IOException {
    return start(binary, replicaCount, sentinelCount, Security.NONE);
  }

  public static LocalTopology start(int replicaCount, int sentinelCount, Security security)
      throws IOException {
    return start(RedisBinary.pinned(), replicaCount, sentinelCount, security);
  }

  /** Started again on other ports if a node's port was taken meanwhile ({@link PortClashRetry}). */
  private static LocalTopology start(
      RedisBinary binary, int replicaCount, int sentinelCount, Security security)
      throws IOException {
    return PortClashRetry.start(
        "LocalTopology", () -> startOnce(binary, replicaCount, sentinelCount, security));
  }

  private static LocalTopology startOnce(
      RedisBinary binary, int replicaCount, int sentinelCount, Security security)
      throws IOException {
    Path dir = Files.createTempDirectory("switchboard-topology-");
    LocalTopology topology = new LocalTopology(dir, binary, replicaCount, sentinelCount, security);
    try {
      topology.primary.start();
      for (RedisNode replica : topology.replicas) {
        replica.start();
      }
      for (RedisNode replica : topology.replicas) {
        topology.awaitReplicating(replica, Duration.ofSeconds(30));
      }
      for (RedisNode sentinel : topology.sentinels) {
        sentinel.start();
      }
      return topology;
    } catch (IOException | RuntimeException e) {
      topology.close();
      throw e;
    }
  }

  /** ACL user and TLS lines, the same for data nodes and Sentinels. */
  private static List<String> sharedConfig(Security security) {
    List<String> config = new ArrayList<>();
    if (security.user() != null) {
      config.add(
          "user " + security.user().name() + " on >" + security.user().password() + " ~* &* +@all");
    }
    TlsFiles tls = security.tls();
    if (tls != null) {
      config.add("tls-cert-file " + tls.cert());
      config.add("tls-key-file " + tls.key());
      config.add("tls-ca-cert-file " + tls.ca());
      config.add("tls-auth-clients " + (tls.authClients() ? "yes" : "no"));
      // Replication, and Sentinel's links to nodes and to other Sentinels, over TLS as well.
      config.add("tls-replication yes");
    }
    return config;
  }

  private List<String> dataNodeConfig(Security security) {
    List<String> config = sharedConfig(security);
    if (security.password() != null) {
      config.add("requirepass " + security.password());
      config.add("masterauth " + security.password());
    }
    if (security.hostnames()) {
      config.add("replica-announce-ip localhost");
    }
    config.add("save \"\"");
    config.add("appendonly no");
    config.add("repl-diskless-sync yes");
    config.add("repl-diskless-sync-delay 0");
    if (binary.majorVersion() >= 7) {
      config.add("enable-debug-command yes");
    }
    return config;
  }

  private void awaitReplicating(RedisNode replica, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Object info = replica.call("INFO", "replication");
      if (String.valueOf(info).contains("master_link_status:up")) {
        return;
      }
      RedisNode.sleep(50);
    }
    throw new IOException(replica.name() + " did not finish its initial sync");
  }

  /**
   * Waits until every Sentinel knows all replicas and all other Sentinels (needed to fail over).
   */
  public void awaitSentinelsSettled(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (RedisNode sentinel : sentinels) {
      while (true) {
        Object reply = sentinel.call("SENTINEL", "MASTER", MASTER);
        if (reply instanceof List<?> fields
            && field(fields, "num-slaves") == replicas.size()
            && field(fields, "num-other-sentinels") == sentinels.size() - 1) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new IOException(
              sentinel.name()
                  + " did not discover the topology: "
                  + reply
                  + "; "
                  + dataNodeRoles());
        }
        RedisNode.sleep(100);
      }
    }
  }

  /**
   * What each data node says of its role, for an error: Sentinel learns replicas only from the
   * primary's INFO, so one it misses was not attached to the primary when it asked.
   */
  private String dataNodeRoles() {
    StringBuilder roles = new StringBuilder();
    for (RedisNode node : dataNodes()) {
      Object role;
      try {
        role = node.call("ROLE");
      } catch (IOException e) {
        role = e.getMessage();
      }
      roles.append(node.name()).append(" (").append(node.address()).append(") ROLE ");
      roles.append(role).append("; ");
    }
    return roles.toString();
  }

  /** The node the Sentinels name as primary now (asking each until one answers). */
  public RedisNode currentPrimary() throws IOException {
    IOException last = null;
    for (RedisNode sentinel : sentinels) {
      if (!sentinel.isAlive()) {
        continue;
      }
      try {
        if (sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER) instanceof List<?> addr) {
          return node(Integer.parseInt(String.valueOf(addr.get(1))));
        }
      } catch (IOException e) {
        last = e;
      }
    }
    throw new IOException("no Sentinel named the primary", last);
  }

  private RedisNode node(int port) throws IOException {
    if (primary.listensOn(port)) {
      return primary;
    }
    for (RedisNode replica : replicas) {
      if (replica.listensOn(port)) {
        return replica;
      }
    }
    throw new IOException("no data node on port " + port);
  }

  /** Every data node: the first primary and the first replicas, whatever their roles are now. */
  public List<RedisNode> dataNodes() {
    List<RedisNode> nodes = new ArrayList<>();
    nodes.add(primary);
    nodes.addAll(replicas);
    return nodes;
  }

  /**
   * Waits until the deployment is whole again after a failover or a restart: every live Sentinel
   * names the same primary, which answers ROLE as master with every other data node connected as a
   * replica in sync, and the Sentinels know them all. Returns that primary.
   */
  public RedisNode awaitHealthy(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "not checked";
    while (System.nanoTime() < deadline) {
      try {
        last = unhealthy();
        if (last == null) {
          return currentPrimary();
        }
      } catch (IOException e) {
        last = e.getMessage();
      }
      RedisNode.sleep(100);
    }
    throw new IOException("the topology did not heal within " + timeout + ": " + last);
  }

  private String unhealthy() throws IOException {
    RedisNode named = currentPrimary();
    for (RedisNode sentinel : sentinels) {
      if (sentinel.isAlive()
          && sentinel.call("SENTINEL", "MASTER", MASTER) instanceof List<?> fields
          && (!named.listensOn((int) field(fields, "port"))
              || field(fields, "num-slaves") < replicas.size())) {
        return sentinel.name() + " does not see " + named.name() + " with every replica yet";
      }
    }
    for (RedisNode node : dataNodes()) {
      Object role = node.call("ROLE");
      if (!(role instanceof List<?> fields)) {
        return node.name() + " answers ROLE with " + role;
      }
      if (node == named) {
        if (!"master".equals(fields.get(0)) || ((List<?>) fields.get(2)).size() < replicas.size()) {
          return named.name() + " is not yet a primary with every replica: " + role;
        }
      } else if (!"slave".equals(fields.get(0))
          || !named.listensOn(((Number) fields.get(2)).intValue())
          || !"connected".equals(fields.get(3))) {
        return node.name() + " is not yet a synced replica of " + named.name() + ": " + role;
      }
    }
    return null;
  }

  private static long field(List<?> fields, String name) {
    for (int i = 0; i + 1 < fields.size(); i += 2) {
      if (name.equals(fields.get(i))) {
        return Long.parseLong(String.valueOf(fields.get(i + 1)));
      }
    }
    return -1;
  }

  public RedisNode primary() {
    return primary;
  }

  public List<RedisNode> replicas() {
    return List.copyOf(replicas);
  }

  public List<RedisNode> sentinels() {
    return List.copyOf(sentinels);
  }

  public List<HostAndPort> sentinelAddresses() {
    return sentinels.stream().map(RedisNode::address).toList();
  }

  public RedisBinary binary() {
    return binary;
  }

  @Override
  public void close() {
    sentinels.forEach(RedisNode::stop);
    replicas.forEach(RedisNode::stop);
    primary.stop();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A leftover temp folder is harmless; the processes are what matter.
    }
  }
}
