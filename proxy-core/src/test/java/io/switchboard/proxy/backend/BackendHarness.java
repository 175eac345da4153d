package io.switchboard.proxy.backend;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.switchboard.config.ConfigLoader;
import io.switchboard.config.HostAndPort;
import io.switchboard.config.SwitchboardConfig;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.routing.CommandArgs;
import io.switchboard.routing.CommandTable;
import io.switchboard.routing.Commands;
import io.switchboard.routing.ReplicationSnapshot;
import io.switchboard.routing.Topology;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The backend side of one event loop (pools, leases, write gate, held commands) over {@link
 * EmbeddedNodes}, with sessions played by {@link Owner}s that record what their commands get.
 */
final class BackendHarness implements AutoCloseable {

  static final HostAndPort PRIMARY = new HostAndPort("10.0.0.1", 6379);
  static final HostAndPort REPLICA = new HostAndPort("10.0.0.2", 6379);
  static final HostAndPort OTHER = new HostAndPort("10.0.0.3", 6379);
  private static final CommandTable TABLE = CommandTable.builtIn();

  final EmbeddedChannel loopChannel = new EmbeddedChannel();
  final EmbeddedNodes nodes = new EmbeddedNodes();
  final SwitchboardConfig config;
  final SharedBudget exclusive;
  final SharedBudget held;
  final BackendLoop loop;
  final BackendPools pools;
  final ExclusiveLeases leases;
  int primaryDoubts;
  int gateOpenings;

  BackendHarness() {
    this("");
  }

  BackendHarness(String hocon) {
    config = ConfigLoader.parse("switchboard.sentinel.hosts = \"127.0.0.1:26379\"\n" + hocon);
    exclusive = new SharedBudget(config.limits().maxExclusiveConnections());
    held = new SharedBudget(config.failover().holdBytes());
    AtomicReference<ReplicationSnapshot> replication =
        new AtomicReference<>(ReplicationSnapshot.NONE);
    loop =
        new BackendLoop(
            loopChannel.eventLoop(),
            config,
            new ServerFacts(config.routing()),
            new ProxyMetrics(replication, held::inUse, exclusive::inUse),
            new LoopTopology(Topology.unknown("mymaster", "starting")),
            held,
            replication::get,
            node -> primaryDoubts++,
            this::resumePrimaries);
    loop.connector(nodes.on(loop));
    pools = new BackendPools(loop);
    leases = new ExclusiveLeases(loop, pools, exclusive);
  }

  private void resumePrimaries() {
    gateOpenings++;
    pools.resumePrimaries();
    leases.forEachHeld(BackendConnection::resume);
  }

  /** Discovery names the primary and ROLE confirms it. */
  BackendHarness started(HostAndPort... replicas) {
    topology(PRIMARY, replicas);
    loop.gate().onPrimaryRole(PRIMARY, true);
    pump();
    return this;
  }

  void topology(HostAndPort primary, HostAndPort... replicas) {
    topology(Topology.sentinel("mymaster", primary, Arrays.asList(replicas), 1, false, null));
  }

  void topology(Topology next) {
    loop.topology().replace(next);
    loop.gate().update();
    pools.retireGone();
    leases.retireGone();
    loop.gate().checkHeldAcks();
    pump();
  }

  void pump() {
    nodes.settle(
        () -> {
          loopChannel.runPendingTasks();
          loop.flushes().flushAll();
        });
  }

  void answer(HostAndPort node, String resp) {
    nodes.answer(node, resp);
    pump();
  }

  @Override
  public void close() {
    loop.gate().releaseHeld();
    pools.closeAll();
    leases.closeAll();
    pump();
    nodes.close();
    loopChannel.finishAndReleaseAll();
  }

  /** A session as the backend sees it: what its commands were answered, or handed back. */
  static class Owner implements CommandOwner {
    final List<String> replies = new ArrayList<>();
    final List<PendingCommand> redispatched = new ArrayList<>();
    final List<PendingCommand> stuck = new ArrayList<>();

    PendingCommand command(String... args) {
      StringBuilder resp = new StringBuilder("*").append(args.length).append("\r\n");
      for (String arg : args) {
        resp.append('$').append(arg.length()).append("\r\n").append(arg).append("\r\n");
      }
      ByteBuf request = Unpooled.copiedBuffer(resp, UTF_8);
      return new PendingCommand(this, Commands.classify(TABLE, CommandArgs.of(args)), request, 0);
    }

    @Override
    public void onReply(PendingCommand command) {
      replies.add(command.reply.toString(UTF_8));
      command.reply.release();
      command.reply = null;
    }

    @Override
    public void redispatch(PendingCommand command) {
      redispatched.add(command);
    }

    @Override
    public void retryStuckRead(PendingCommand command) {
      stuck.add(command);
    }

    /** Releases what was handed back and never sent elsewhere. */
    void release() {
      redispatched.forEach(PendingCommand::releaseRequest);
    }
  }
}
