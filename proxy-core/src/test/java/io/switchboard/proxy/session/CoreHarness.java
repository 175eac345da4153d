package io.switchboard.proxy.session;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.switchboard.config.ConfigLoader;
import io.switchboard.config.HostAndPort;
import io.switchboard.config.LimitsConfig;
import io.switchboard.config.ListenerConfig;
import io.switchboard.config.ListenerKey;
import io.switchboard.config.SwitchboardConfig;
import io.switchboard.proxy.auth.ClientAuth;
import io.switchboard.proxy.backend.EmbeddedNodes;
import io.switchboard.proxy.backend.ReplicationDemand;
import io.switchboard.proxy.backend.ServerFacts;
import io.switchboard.proxy.backend.SharedBudget;
import io.switchboard.proxy.insight.SharedInsight;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.proxy.resp.RespRequestDecoder;
import io.switchboard.routing.ReplicaState;
import io.switchboard.routing.ReplicationSnapshot;
import io.switchboard.routing.Topology;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One event loop of the proxy, with client sessions on {@link EmbeddedChannel}s and backend
 * connections on {@link EmbeddedNodes}: the real sessions, dispatcher, reply queue, pools, write
 * gate and framers, driven step by step from the test's thread. {@link #pump} runs what the loop
 * would run next (flushes, handshakes, timers due).
 */
final class CoreHarness implements AutoCloseable {

  static final HostAndPort PRIMARY = new HostAndPort("10.0.0.1", 6379);
  static final HostAndPort REPLICA = new HostAndPort("10.0.0.2", 6379);
  static final HostAndPort OTHER = new HostAndPort("10.0.0.3", 6379);

  final EmbeddedChannel loopChannel = new EmbeddedChannel();
  final EmbeddedNodes nodes = new EmbeddedNodes();
  final SwitchboardConfig config;
  final ServerFacts facts;
  final AtomicReference<ReplicationSnapshot> replication =
      new AtomicReference<>(ReplicationSnapshot.NONE);
  final SessionLoop loop;
  final ClientAuth auth;
  final ClientDirectory directory = new ClientDirectory();
  private final List<Client> clients = new ArrayList<>();

  /** Times the loop asked discovery to look at the primary again. */
  int primaryDoubts;

  CoreHarness() {
    this("");
  }

  /**
   * @param hocon settings over the defaults, as in a configuration file
   */
  CoreHarness(String hocon) {
    config =
        ConfigLoader.parse(
            (hocon.contains("cluster.nodes")
                    ? ""
                    : "switchboard.sentinel.hosts = \"127.0.0.1:26379\"\n")
                + hocon);
    facts = new ServerFacts(config.routing());
    ProxyMetrics metrics = new ProxyMetrics(replication, () -> 0, () -> 0);
    loop =
        new SessionLoop(
            loopChannel.eventLoop(),
            config,
            facts,
            metrics,
            new SharedBudget(config.limits().maxExclusiveConnections()),
            new SharedBudget(config.failover().holdBytes()),
            replication::get,
            new ReplicationDemand(),
            node -> primaryDoubts++,
            new ScriptCache(config.routing().scriptCacheSize()),
            SharedInsight.of(config),
            nodes::on,
            Topology.unknown("mymaster", "still asking the Sentinels for the primary"));
    directory.add(loop);
    auth = new ClientAuth(config.auth(), facts.commands());
  }

  /** Discovery names a primary and replicas, ROLE confirms the primary: writes may flow. */
  CoreHarness started(HostAndPort... replicas) {
    topology(PRIMARY, replicas);
    confirm(PRIMARY);
    return this;
  }

  void topology(HostAndPort primary, HostAndPort... replicas) {
    loop.onTopology(
        Topology.sentinel("mymaster", primary, Arrays.asList(replicas), 1, false, null));
    pump();
  }

  void failoverUnderway() {
    loop.onTopology(loop.backend().topology().current().withFailoverUnderway());
    pump();
  }

  void confirm(HostAndPort primary) {
    loop.onPrimaryRole(primary, true);
    pump();
  }

  /** The replication monitor's view: the primary at {@code offset}, asked now; replicas fit. */
  void replicasFit(long offset, HostAndPort... replicas) {
    Map<HostAndPort, Long> atThePrimary = new LinkedHashMap<>();
    for (HostAndPort replica : replicas) {
      atThePrimary.put(replica, offset);
    }
    offsets(offset, atThePrimary);
  }

  /**
   * The replication monitor's view: the primary at {@code primaryOffset}, asked now; each replica
   * at its own offset.
   */
  void offsets(long primaryOffset, Map<HostAndPort, Long> replicaOffsets) {
    List<ReplicaState> states = new ArrayList<>();
    long now = System.nanoTime();
    replicaOffsets.forEach(
        (replica, offset) -> states.add(new ReplicaState(replica, offset, 0, null, now)));
    replication.set(new ReplicationSnapshot(PRIMARY, primaryOffset, now, states));
  }

  /** What the loop's timer does every offset poll: settle the held acknowledgements it can. */
  void checkHeldAcks() {
    loop.backend().gate().checkHeldAcks();
    pump();
  }

  Client client() {
    return client(config.allListeners().get(0));
  }

  Client client(ListenerConfig listener) {
    LimitsConfig limits = config.limits();
    EmbeddedChannel channel =
        new EmbeddedChannel(
            new RespRequestDecoder(
                loop.backend().clock(),
                limits.maxBulkBytes(),
                limits.maxMultibulk(),
                limits.maxInlineBytes(),
                limits.maxRequestBytes()),
            new ClientSession(
                loop, new ListenerKey(listener.endpoint(), 0), listener, auth, directory));
    Client client = new Client(channel);
    clients.add(client);
    pump();
    return client;
  }

  /** Runs what the loop would run next, until nothing is left to do. */
  void pump() {
    nodes.settle(
        () -> {
          loopChannel.runPendingTasks();
          for (Client client : clients) {
            client.channel.runPendingTasks();
          }
        });
  }

  /** Answers the oldest request {@code node} has, then lets the loop run. */
  void answer(HostAndPort node, String resp) {
    nodes.answer(node, resp);
    pump();
  }

  @Override
  public void close() {
    for (Client client : clients) {
      client.channel.finishAndReleaseAll();
    }
    pump();
    loop.releaseHeld();
    nodes.close();
    loopChannel.finishAndReleaseAll();
  }

  /** A client connection: sends commands as RESP arrays, reads what the proxy wrote back. */
  final class Client {
    final EmbeddedChannel channel;

    Client(EmbeddedChannel channel) {
      this.channel = channel;
    }

    ClientSession session() {
      return channel.pipeline().get(ClientSession.class);
    }

    /** Sends one command; the loop runs. */
    Client send(String... args) {
      return raw(encode(args));
    }

    Client raw(String resp) {
      channel.writeInbound(Unpooled.copiedBuffer(resp, UTF_8));
      pump();
      return this;
    }

    /** Everything the proxy has written to this client since the last call, as text. */
    String replies() {
      StringBuilder out = new StringBuilder();
      ByteBuf reply;
      while ((reply = channel.readOutbound()) != null) {
        out.append(reply.toString(UTF_8));
        reply.release();
      }
      return out.toString();
    }
  }

  static String encode(String... args) {
    StringBuilder out = new StringBuilder("*").append(args.length).append("\r\n");
    for (String arg : args) {
      out.append('$').append(arg.getBytes(UTF_8).length).append("\r\n").append(arg).append("\r\n");
    }
    return out.toString();
  }
}
