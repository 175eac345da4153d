package io.switchboard.proxy.reload;

import io.switchboard.config.ClientAuthConfig;
import io.switchboard.config.ConfigDiff;
import io.switchboard.config.ListenerConfig;
import io.switchboard.config.ListenerKey;
import io.switchboard.config.RoutingConfig;
import io.switchboard.config.ServerConfig;
import io.switchboard.config.SwitchboardConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a reload does: the configuration that runs after it, made of the loaded file's settings that
 * apply live and the running ones for the rest, and which ports open and close. What still differs
 * from the file after that is exactly what needs a restart.
 *
 * <p>Live: {@code listen.host/port} and {@code listeners} (added, removed, and each kept port's
 * read-from, consistency and replica-subscriptions; tls needs a restart, cache applies to new
 * connections), {@code auth} users, password and failure limits ({@code auth.mode} and the user
 * pools need a restart), {@code routing.read-from}, {@code consistency}, {@code max-replica-lag},
 * {@code max-replica-lag-bytes} and {@code deny}, every {@code limits.*}, {@code slowlog.*}, {@code
 * hotkeys.*} and {@code bigkeys.*}, {@code server.shutdown-timeout} and {@code server.log-level}.
 * Everything else needs a restart: Sentinel and cluster discovery, {@code redis.*}, {@code tls.*},
 * {@code admin.*}, {@code failover.*}, {@code cache.*}, poll intervals, balancing, threads and
 * transport.
 */
public record ReloadPlan(
    SwitchboardConfig before,
    SwitchboardConfig loaded,
    SwitchboardConfig running,
    Map<ListenerKey, ListenerConfig> added,
    Map<ListenerKey, ListenerConfig> removed) {

  /**
   * @param tlsReady whether client TLS was set up at start, so a new port with tls = true can speak
   *     it
   */
  public static ReloadPlan between(
      SwitchboardConfig before, SwitchboardConfig loaded, boolean tlsReady) {
    boolean nearCache = before.allListeners().stream().anyMatch(ListenerConfig::cache);
    Map<ListenerKey, ListenerConfig> old = ListenerKey.of(before.allListeners());
    Map<ListenerKey, ListenerConfig> loadedByKey = ListenerKey.of(loaded.allListeners());
    List<ListenerConfig> extra = new ArrayList<>();
    // Past the first, the main port: that one is made of listen, routing, tls and cache below.
    for (Map.Entry<ListenerKey, ListenerConfig> entry :
        new ArrayList<>(loadedByKey.entrySet()).subList(1, loadedByKey.size())) {
      ListenerConfig listener = entry.getValue();
      ListenerConfig kept = old.get(entry.getKey());
      boolean tls = kept != null ? kept.tls() : listener.tls() && tlsReady;
      extra.add(
          new ListenerConfig(
              listener.endpoint(),
              listener.readFrom(),
              listener.consistency(),
              tls,
              listener.replicaSubscriptions(),
              listener.cache() && nearCache));
    }
    ClientAuthConfig auth =
        new ClientAuthConfig(
            before.auth().mode(),
            loaded.auth().password(),
            loaded.auth().users(),
            loaded.auth().maxFailuresPerAddress(),
            loaded.auth().failureWindow(),
            before.auth().maxUserPools(),
            before.auth().userPoolIdleTimeout());
    RoutingConfig was = before.routing();
    RoutingConfig now = loaded.routing();
    RoutingConfig routing =
        new RoutingConfig(
            now.readFrom(),
            now.consistency(),
            was.balancing(),
            now.maxReplicaLag(),
            now.maxReplicaLagBytes(),
            was.offsetPollInterval(),
            was.idlePollInterval(),
            was.outlierLatency(),
            was.outlierEjection(),
            was.scriptCacheSize(),
            now.deny());
    ServerConfig server =
        new ServerConfig(
            before.server().ioThreads(),
            before.server().transport(),
            loaded.server().shutdownTimeout(),
            before.server().configReloadInterval(),
            loaded.server().logLevel());
    SwitchboardConfig running =
        new SwitchboardConfig(
            loaded.listen(),
            extra,
            before.admin(),
            auth,
            before.tls(),
            before.sentinel(),
            before.cluster(),
            before.redis(),
            routing,
            before.failover(),
            loaded.limits(),
            before.cache(),
            loaded.slowlog(),
            loaded.hotkeys(),
            loaded.bigkeys(),
            server);
    Map<ListenerKey, ListenerConfig> after = ListenerKey.of(running.allListeners());
    return new ReloadPlan(before, loaded, running, absent(after, old), absent(old, after));
  }

  /** The listeners of {@code from} that {@code in} does not have, in order. */
  private static Map<ListenerKey, ListenerConfig> absent(
      Map<ListenerKey, ListenerConfig> from, Map<ListenerKey, ListenerConfig> in) {
    Map<ListenerKey, ListenerConfig> out = new LinkedHashMap<>(from);
    out.keySet().removeAll(in.keySet());
    return out;
  }

  /** Keys whose new values apply with this reload. */
  public List<String> applied() {
    return ConfigDiff.changedKeys(before, running);
  }

  /** Keys the file changed that apply only after a restart. */
  public List<String> needsRestart() {
    return ConfigDiff.changedKeys(running, loaded);
  }
}
