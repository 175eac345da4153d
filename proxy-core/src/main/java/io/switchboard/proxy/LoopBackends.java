package io.switchboard.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchboard.config.HostAndPort;
import io.switchboard.config.SwitchboardConfig;
import io.switchboard.proxy.resp.RespReplyDecoder;
import io.switchboard.routing.Topology;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Everything one event loop owns on the backend side: the topology it currently acts on, its
 * backend pools, and the connections and sessions to flush at the end of the current read batch.
 * Only that loop's thread touches it; topology snapshots arrive through {@code execute}.
 */
final class LoopBackends {

  private record PoolKey(HostAndPort node, int db, int protocol) {}

  private final EventLoop eventLoop;
  private final SwitchboardConfig config;
  private final ServerFacts facts;
  private final Bootstrap bootstrap;
  private final Map<PoolKey, BackendPool> pools = new HashMap<>();
  private final ArrayList<BackendConnection> dirtyBackends = new ArrayList<>();
  private final ArrayList<ClientSession> dirtyClients = new ArrayList<>();
  private Topology topology;
  private int generation;

  LoopBackends(
      EventLoop eventLoop,
      SwitchboardConfig config,
      ServerFacts facts,
      Bootstrap bootstrap,
      Topology initial) {
    this.eventLoop = eventLoop;
    this.config = config;
    this.facts = facts;
    this.bootstrap = bootstrap;
    this.topology = initial;
  }

  SwitchboardConfig config() {
    return config;
  }

  ServerFacts facts() {
    return facts;
  }

  ByteBufAllocator alloc() {
    return ByteBufAllocator.DEFAULT;
  }

  Topology topology() {
    return topology;
  }

  /** Changes whenever sessions must look up their backend connection again. */
  int generation() {
    return generation;
  }

  BackendPool primaryPool(int db, int protocol) {
    PoolKey key = new PoolKey(topology.primary(), db, protocol);
    BackendPool pool = pools.get(key);
    if (pool == null) {
      pool = new BackendPool(this, key.node(), db, protocol, config.redis().connectionsPerNode());
      pools.put(key, pool);
    }
    return pool;
  }

  void onTopology(Topology next) {
    Topology previous = topology;
    topology = next;
    if (previous == null || !Objects.equals(previous.primary(), next.primary())) {
      generation++;
      ArrayList<BackendPool> retired = new ArrayList<>();
      for (Iterator<Map.Entry<PoolKey, BackendPool>> it = pools.entrySet().iterator();
          it.hasNext(); ) {
        Map.Entry<PoolKey, BackendPool> entry = it.next();
        if (!entry.getKey().node().equals(next.primary())) {
          retired.add(entry.getValue());
          it.remove();
        }
      }
      retired.forEach(BackendPool::retire);
    }
    flushAll();
  }

  ChannelFuture connect(HostAndPort node, BackendConnection connection) {
    return bootstrap
        .clone()
        .handler(
            new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                ch.pipeline()
                    .addLast(new RespReplyDecoder(config.limits().maxReplyNesting()))
                    .addLast(new BackendHandler(connection, LoopBackends.this));
              }
            })
        .connect(InetSocketAddress.createUnresolved(node.host(), node.port()));
  }

  ScheduledFuture<?> schedule(Runnable task, long delayMillis) {
    return eventLoop.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
  }

  void markDirty(BackendConnection connection) {
    if (!connection.dirty) {
      connection.dirty = true;
      dirtyBackends.add(connection);
    }
  }

  void markDirty(ClientSession session) {
    if (!session.dirty) {
      session.dirty = true;
      dirtyClients.add(session);
    }
  }

  /** One flush per touched channel per read batch, instead of one per command. */
  void flushAll() {
    for (int i = 0; i < dirtyBackends.size(); i++) {
      BackendConnection connection = dirtyBackends.get(i);
      connection.dirty = false;
      connection.flush();
    }
    dirtyBackends.clear();
    for (int i = 0; i < dirtyClients.size(); i++) {
      ClientSession session = dirtyClients.get(i);
      session.dirty = false;
      session.flush();
    }
    dirtyClients.clear();
  }
}
