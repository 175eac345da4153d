package io.switchboard.proxy.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.switchboard.config.ConfigLoader;
import io.switchboard.config.HostAndPort;
import io.switchboard.config.SwitchboardConfig;
import io.switchboard.proxy.backend.BackendLoop;
import io.switchboard.proxy.backend.BootstrapConnector;
import io.switchboard.proxy.backend.LoopTopology;
import io.switchboard.proxy.backend.ServerFacts;
import io.switchboard.proxy.backend.SharedBudget;
import io.switchboard.proxy.demo.LocalCluster;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.routing.KeySlot;
import io.switchboard.routing.ReplicationSnapshot;
import io.switchboard.routing.Shard;
import io.switchboard.routing.Topology;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The cluster watcher follows a real cluster from one seed, through a failover. */
class ClusterWatcherIT {

  @Test
  void fromOneSeedItFindsEveryShardAndFollowsAFailover() throws Exception {
    MultiThreadIoEventLoopGroup group =
        new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    ClusterWatcher watcher = null;
    try (LocalCluster cluster = LocalCluster.start()) {
      EventLoop loop = group.next();
      SwitchboardConfig config =
          ConfigLoader.parse("switchboard.cluster.nodes = \"127.0.0.1:6379\"");
      AtomicReference<ReplicationSnapshot> replication =
          new AtomicReference<>(ReplicationSnapshot.NONE);
      SharedBudget held = new SharedBudget(config.failover().holdBytes());
      BackendLoop home =
          new BackendLoop(
              loop,
              config,
              new ServerFacts(config.routing()),
              new ProxyMetrics(replication, held::inUse, () -> 0),
              new LoopTopology(Topology.unknown("cluster", "starting")),
              held,
              replication::get,
              node -> {},
              () -> {});
      home.connector(
          new BootstrapConnector(
              new Bootstrap().group(loop).channel(NioSocketChannel.class), null, home));
      AtomicReference<Topology> seen = new AtomicReference<>();
      watcher =
          new ClusterWatcher(
              home, List.of(cluster.seeds().get(0)), Duration.ofMillis(200), seen::set);
      watcher.start();

      List<HostAndPort> primaries = cluster.primaries().stream().map(RedisNode::address).toList();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  seen.get() != null
                      && seen.get().shards().stream()
                          .map(Shard::primary)
                          .toList()
                          .containsAll(primaries));
      assertThat(seen.get().shards()).hasSize(3);

      // A planned failover of the shard that holds "foo": the replica takes the slots over.
      Shard before = seen.get().shardFor(KeySlot.of("foo"));
      HostAndPort promoted = before.replicas().get(0);
      RedisNode replica =
          cluster.replicas().stream()
              .filter(n -> n.address().equals(promoted))
              .findFirst()
              .orElseThrow();
      assertThat(replica.call("CLUSTER", "FAILOVER")).isEqualTo("OK");
      // Named primary, and the old primary listed as its replica once it has rejoined.
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                Shard now = seen.get().shardFor(KeySlot.of("foo"));
                return promoted.equals(now.primary()) && now.replicas().contains(before.primary());
              });
    } finally {
      if (watcher != null) {
        watcher.close();
      }
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
