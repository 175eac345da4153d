package io.switchboard.proxy.backend;

import io.switchboard.config.ClientAuthConfig;
import io.switchboard.config.HostAndPort;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * One event loop's shared backend pools, by node, database and protocol (RESP2, RESP3, or RESP3
 * with key tracking for sessions that track keys), and, with {@code auth.mode = redis}, the pools
 * per Redis user ({@link LoginPools}). Found per command without allocating.
 */
public final class BackendPools {

  private record PoolKey(HostAndPort node, int db, int protocol, boolean tracking) {}

  private final BackendLoop loop;
  private final Map<PoolKey, BackendPool> pools = new HashMap<>();

  /** The same pools by node, then by {@link #slot}: found per command without a key object. */
  private final Map<HostAndPort, BackendPool[]> poolsByNode = new HashMap<>();

  /** auth.mode = redis: pools per Redis user; else null. */
  private final LoginPools loginPools;

  public BackendPools(BackendLoop loop) {
    this.loop = loop;
    ClientAuthConfig auth = loop.config().auth();
    if (auth.mode() == ClientAuthConfig.Mode.REDIS) {
      long idle = auth.userPoolIdleTimeout().toNanos();
      this.loginPools = new LoginPools(loop, auth.maxUserPools(), idle);
      long every = Math.max(TimeUnit.SECONDS.toNanos(1), idle / 2);
      loop.eventLoop()
          .scheduleAtFixedRate(loginPools::closeIdle, every, every, TimeUnit.NANOSECONDS);
    } else {
      this.loginPools = null;
    }
  }

  /**
   * The pool of {@code login}'s connections ({@code auth.mode = redis}), or the shared one for a
   * null login; null when {@code auth.max-user-pools} are all busy. {@code tracking} (RESP3 only):
   * connections with {@code CLIENT TRACKING ON}.
   */
  public BackendPool pool(
      HostAndPort node, int db, int protocol, boolean tracking, BackendLogin login) {
    return login == null
        ? pool(node, db, protocol, tracking)
        : loginPools.get(node, db, protocol, tracking, login, loop.topology().serves(node, true));
  }

  /** As {@link #pool(HostAndPort, int, int, boolean, BackendLogin)}, without key tracking. */
  public BackendPool pool(HostAndPort node, int db, int protocol, BackendLogin login) {
    return pool(node, db, protocol, false, login);
  }

  public boolean loginPoolsEnabled() {
    return loginPools != null;
  }

  /** Whether a session's pool could not be had because every user pool is busy. */
  public boolean loginPoolsFull() {
    return loginPools != null && loginPools.full();
  }

  /** The shared pool for a node, without key tracking. */
  public BackendPool pool(HostAndPort node, int db, int protocol) {
    return pool(node, db, protocol, false);
  }

  /** The shared pool for a node of the current topology (primary or replica). */
  public BackendPool pool(HostAndPort node, int db, int protocol, boolean tracking) {
    BackendPool pool = existing(node, db, protocol, tracking);
    if (pool == null) {
      pool =
          new BackendPool(
              loop,
              node,
              db,
              protocol,
              tracking,
              loop.topology().serves(node, true),
              loop.config().redis().connectionsPerNode(),
              null);
      pools.put(new PoolKey(node, db, protocol, tracking), pool);
      BackendPool[] ofNode = poolsByNode.get(node);
      int slot = slot(db, protocol, tracking);
      if (ofNode == null || ofNode.length <= slot) {
        ofNode = ofNode == null ? new BackendPool[slot + 1] : Arrays.copyOf(ofNode, slot + 1);
        poolsByNode.put(node, ofNode);
      }
      ofNode[slot] = pool;
    }
    return pool;
  }

  private BackendPool existing(HostAndPort node, int db, int protocol, boolean tracking) {
    BackendPool[] ofNode = poolsByNode.get(node);
    int slot = slot(db, protocol, tracking);
    return ofNode == null || ofNode.length <= slot ? null : ofNode[slot];
  }

  private static int slot(int db, int protocol, boolean tracking) {
    return db * 4 + (tracking ? 2 : 0) + (protocol == 3 ? 1 : 0);
  }

  /** Shared-pool load on a node (requests sent or waiting), for the read balancer. */
  public int load(HostAndPort node, int db, int protocol, boolean tracking) {
    BackendPool pool = existing(node, db, protocol, tracking);
    return pool == null ? 0 : pool.load();
  }

  /**
   * Retires the pools of nodes that left the topology or changed role: they take no new commands,
   * and in-flight ones finish there. Returns their nodes.
   */
  public List<HostAndPort> retireGone() {
    LoopTopology topology = loop.topology();
    List<BackendPool> retired = retireIf(pool -> !topology.serves(pool.node(), pool.primary()));
    List<HostAndPort> nodes = new ArrayList<>(retired.size());
    retired.forEach(pool -> nodes.add(pool.node()));
    return nodes;
  }

  /**
   * Retires the RESP2 tracking pools of {@code node}: the connection their invalidations were
   * redirected to is gone, and the server sends them nowhere now. New ones redirect to the next.
   */
  public void retireRedirected(HostAndPort node) {
    retireIf(pool -> pool.tracking() && pool.protocol() == 2 && pool.node().equals(node));
  }

  /** Forgets and retires the pools {@code gone} picks, shared and per user; returns the shared. */
  private List<BackendPool> retireIf(Predicate<BackendPool> gone) {
    ArrayList<BackendPool> retired = new ArrayList<>();
    for (Iterator<Map.Entry<PoolKey, BackendPool>> it = pools.entrySet().iterator();
        it.hasNext(); ) {
      BackendPool pool = it.next().getValue();
      if (gone.test(pool)) {
        retired.add(pool);
        it.remove();
        BackendPool[] ofNode = poolsByNode.get(pool.node());
        if (ofNode != null) {
          ofNode[slot(pool.db(), pool.protocol(), pool.tracking())] = null;
        }
      }
    }
    retired.forEach(BackendPool::retire);
    if (loginPools != null) {
      loginPools.retireIf(gone);
    }
    return retired;
  }

  /** Each pool, shared ones first, over a copy: what {@code action} sets off may open pools. */
  void forEach(Consumer<BackendPool> action) {
    new ArrayList<>(pools.values()).forEach(action);
    if (loginPools != null) {
      loginPools.forEach(action);
    }
  }

  /** Each shared pool (not the per-user ones), over a copy. */
  void forEachShared(Consumer<BackendPool> action) {
    new ArrayList<>(pools.values()).forEach(action);
  }

  /** The write gate opened: primary connections send what they held. */
  public void resumePrimaries() {
    forEach(
        pool -> {
          if (pool.primary()) {
            pool.forEach(BackendConnection::resume);
          }
        });
  }

  /** Shutdown: closing a connection fails what it holds unsent. */
  public void closeAll() {
    forEach(pool -> pool.forEach(BackendConnection::close));
  }
}
