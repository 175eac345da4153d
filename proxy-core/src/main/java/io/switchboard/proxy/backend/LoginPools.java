package io.switchboard.proxy.backend;

import io.switchboard.config.HostAndPort;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One event loop's backend pools per Redis user ({@code auth.mode = redis}): by node, database,
 * protocol and login, one connection each. At most {@code auth.max-user-pools}; the least recently
 * used idle one makes room, and pools unused for {@code auth.user-pool-idle-timeout} are closed.
 * Used on the loop's thread only.
 */
final class LoginPools {

  private record Key(
      HostAndPort node, int db, int protocol, boolean tracking, BackendLogin login) {}

  private final BackendLoop loop;
  private final int max;
  private final long idleNanos;

  /** In access order: the first is the least recently used. */
  private final LinkedHashMap<Key, BackendPool> pools = new LinkedHashMap<>(16, 0.75f, true);

  LoginPools(BackendLoop loop, int max, long idleNanos) {
    this.loop = loop;
    this.max = max;
    this.idleNanos = idleNanos;
  }

  /** The pool, made if need be; null when all {@code max} are busy. */
  BackendPool get(
      HostAndPort node,
      int db,
      int protocol,
      boolean tracking,
      BackendLogin login,
      boolean primary) {
    Key key = new Key(node, db, protocol, tracking, login);
    BackendPool pool = pools.get(key);
    if (pool == null) {
      if (pools.size() >= max && !closeLeastRecentlyUsedIdle()) {
        return null;
      }
      pool = new BackendPool(loop, node, db, protocol, tracking, primary, 1, login);
      pools.put(key, pool);
    }
    return pool;
  }

  boolean full() {
    return pools.size() >= max;
  }

  private boolean closeLeastRecentlyUsedIdle() {
    for (Iterator<BackendPool> it = pools.values().iterator(); it.hasNext(); ) {
      BackendPool pool = it.next();
      if (pool.load() == 0) {
        it.remove();
        pool.retire();
        return true;
      }
    }
    return false;
  }

  /** Closes pools nobody used for the idle timeout; runs periodically on the loop. */
  void closeIdle() {
    long now = System.nanoTime();
    retireIf(pool -> pool.load() == 0 && now - pool.lastUsedNanos() > idleNanos);
  }

  /** Retires and forgets the pools {@code gone} picks (their node left, or changed role). */
  void retireIf(Predicate<BackendPool> gone) {
    // Forgotten first, retired after: retiring hands commands back to their sessions, which look
    // pools up again (an access-ordered map changes on every lookup).
    List<BackendPool> retired = new ArrayList<>();
    for (Iterator<Map.Entry<Key, BackendPool>> it = pools.entrySet().iterator(); it.hasNext(); ) {
      BackendPool pool = it.next().getValue();
      if (gone.test(pool)) {
        retired.add(pool);
        it.remove();
      }
    }
    retired.forEach(BackendPool::retire);
  }

  /** Over a copy: what {@code action} sets off may look pools up. */
  void forEach(java.util.function.Consumer<BackendPool> action) {
    List.copyOf(pools.values()).forEach(action);
  }
}
