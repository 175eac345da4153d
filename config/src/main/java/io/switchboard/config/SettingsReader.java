package io.switchboard.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Reads typed, range-checked values; every error names the full key. */
final class SettingsReader {

  private static final Set<String> LISTENER_KEYS =
      Set.of("host", "port", "read-from", "consistency");

  private final Config config;
  private final String prefix;

  SettingsReader(Config config, String prefix) {
    this.config = config;
    this.prefix = prefix;
  }

  static SwitchboardConfig read(SettingsReader r) {
    Credentials redisCredentials =
        new Credentials(r.string("redis.username"), r.string("redis.password"));
    String sentinelPassword = r.string("sentinel.password");
    Credentials sentinelCredentials =
        new Credentials(
            r.string("sentinel.username"),
            sentinelPassword.isEmpty() ? redisCredentials.password() : sentinelPassword);
    Duration retryMin = r.duration("sentinel.retry-min");
    Duration retryMax = r.duration("sentinel.retry-max");
    if (retryMax.compareTo(retryMin) < 0) {
      throw r.invalid("sentinel.retry-max", retryMax + " is shorter than sentinel.retry-min");
    }
    Endpoint listen = new Endpoint(r.nonEmpty("listen.host"), r.listenPort("listen.port"));
    RoutingConfig routing = r.routing();
    return new SwitchboardConfig(
        listen,
        r.listeners(listen.host(), routing),
        new AdminConfig(
            new Endpoint(r.nonEmpty("admin.host"), r.listenPort("admin.port")),
            r.string("admin.token").trim()),
        new Credentials("default", r.string("auth.password")),
        new SentinelConfig(
            r.hostList("sentinel.hosts"),
            r.nonEmpty("sentinel.master"),
            sentinelCredentials,
            r.duration("sentinel.timeout"),
            r.duration("sentinel.reconcile-interval"),
            retryMin,
            retryMax),
        new RedisConfig(
            redisCredentials,
            r.intBetween("redis.databases", 1, Integer.MAX_VALUE),
            r.duration("redis.connect-timeout"),
            r.intBetween("redis.connections-per-node", 1, 64),
            r.duration("redis.reconnect-wait"),
            r.nonEmpty("redis.client-name")),
        routing,
        new FailoverConfig(
            r.duration("failover.hold-timeout"),
            r.bytes("failover.hold-bytes", Long.MAX_VALUE),
            r.duration("failover.drain-timeout"),
            r.option("failover.write-ack", FailoverConfig.WriteAck.class),
            r.intBetween("failover.ack-replicas", 1, 1024),
            r.duration("failover.ack-timeout")),
        new LimitsConfig(
            r.bytes("limits.max-bulk-bytes", Integer.MAX_VALUE - 1024),
            r.intBetween("limits.max-multibulk", 1, Integer.MAX_VALUE),
            r.bytes("limits.max-request-bytes", Integer.MAX_VALUE - 1024),
            (int) r.bytes("limits.max-inline-bytes", 1 << 30),
            r.intBetween("limits.max-reply-nesting", 1, 4096),
            r.intBetween("limits.max-inflight-per-client", 1, 1 << 20),
            r.bytes("limits.client-output-buffer-bytes", Long.MAX_VALUE),
            r.intBetween("limits.max-held-per-pool", 1, Integer.MAX_VALUE),
            r.intBetween("limits.max-exclusive-connections", 1, 1 << 20),
            r.intBetween("limits.max-clients", 1, 1 << 24),
            r.durationOrOff("limits.client-idle-timeout"),
            r.durationOrOff("limits.stalled-request-timeout")),
        new ServerConfig(
            r.intBetween("server.io-threads", 0, 1024),
            r.transport("server.transport"),
            r.duration("server.shutdown-timeout")));
  }

  private RoutingConfig routing() {
    long lagBytes;
    try {
      lagBytes = config.getBytes("routing.max-replica-lag-bytes");
    } catch (ConfigException e) {
      throw invalid("routing.max-replica-lag-bytes", "is not a size (examples: 0, 64k, 16m)");
    }
    if (lagBytes < 0) {
      throw invalid("routing.max-replica-lag-bytes", "must not be negative");
    }
    Set<String> deny = new LinkedHashSet<>();
    try {
      for (String name : config.getStringList("routing.deny")) {
        deny.add(name.trim().toUpperCase(Locale.ROOT));
      }
    } catch (ConfigException e) {
      throw invalid("routing.deny", "expected a list of command names");
    }
    return new RoutingConfig(
        option("routing.read-from", RoutingConfig.ReadFrom.class),
        option("routing.consistency", RoutingConfig.Consistency.class),
        option("routing.balancing", RoutingConfig.Balancing.class),
        duration("routing.max-replica-lag"),
        lagBytes,
        duration("routing.offset-poll-interval"),
        duration("routing.outlier-latency"),
        duration("routing.outlier-ejection"),
        intBetween("routing.script-cache-size", 1, 10_000_000),
        deny);
  }

  private List<ListenerConfig> listeners(String defaultHost, RoutingConfig routing) {
    List<? extends Config> items;
    try {
      items = config.getConfigList("listeners");
    } catch (ConfigException e) {
      throw invalid("listeners", "expected a list of { port = ..., read-from = ... } objects");
    }
    List<ListenerConfig> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      Config item = items.get(i);
      SettingsReader r = new SettingsReader(item, prefix + ".listeners." + i);
      for (String key : item.root().keySet()) {
        if (!LISTENER_KEYS.contains(key)) {
          throw r.invalid(key, "unknown key (expected one of " + LISTENER_KEYS + ")");
        }
      }
      if (!item.hasPath("port")) {
        throw r.invalid("port", "is required");
      }
      out.add(
          new ListenerConfig(
              new Endpoint(
                  item.hasPath("host") ? r.nonEmpty("host") : defaultHost, r.listenPort("port")),
              item.hasPath("read-from")
                  ? r.option("read-from", RoutingConfig.ReadFrom.class)
                  : routing.readFrom(),
              item.hasPath("consistency")
                  ? r.option("consistency", RoutingConfig.Consistency.class)
                  : routing.consistency()));
    }
    return out;
  }

  /** An enum option written in kebab case: "prefer-replica" is PREFER_REPLICA. */
  private <E extends Enum<E>> E option(String key, Class<E> type) {
    String value = string(key);
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      List<String> allowed = new ArrayList<>();
      for (E constant : type.getEnumConstants()) {
        allowed.add(constant.name().toLowerCase(Locale.ROOT).replace('_', '-'));
      }
      throw invalid(key, "'" + value + "' is not one of " + String.join(", ", allowed));
    }
  }

  private String string(String key) {
    try {
      return config.getString(key);
    } catch (ConfigException e) {
      throw invalid(key, "expected a string");
    }
  }

  private String nonEmpty(String key) {
    String value = string(key).trim();
    if (value.isEmpty()) {
      throw invalid(key, "must not be empty");
    }
    return value;
  }

  private int intBetween(String key, int min, int max) {
    long value;
    try {
      value = config.getLong(key);
    } catch (ConfigException e) {
      throw invalid(key, "'" + raw(key) + "' is not a whole number");
    }
    if (value < min || value > max) {
      throw invalid(key, value + " is out of range (" + min + "-" + max + ")");
    }
    return (int) value;
  }

  private int listenPort(String key) {
    return intBetween(key, 0, 65535);
  }

  private long bytes(String key, long max) {
    long value;
    try {
      value = config.getBytes(key);
    } catch (ConfigException e) {
      throw invalid(key, "'" + raw(key) + "' is not a size (examples: 65536, 64k, 512m)");
    }
    if (value < 1 || value > max) {
      throw invalid(key, value + " bytes is out of range (1-" + max + ")");
    }
    return value;
  }

  /** A duration where 0 means the feature is off. */
  private Duration durationOrOff(String key) {
    Duration value = anyDuration(key, "0, 500ms, 2s, 1m");
    if (value.isNegative()) {
      throw invalid(key, "must not be negative (0 turns it off)");
    }
    return value;
  }

  private Duration duration(String key) {
    Duration value = anyDuration(key, "500ms, 2s, 1m");
    if (value.isNegative() || value.isZero()) {
      throw invalid(key, "must be longer than zero");
    }
    return value;
  }

  private Duration anyDuration(String key, String examples) {
    try {
      return config.getDuration(key);
    } catch (ConfigException e) {
      throw invalid(key, "'" + raw(key) + "' is not a duration (examples: " + examples + ")");
    }
  }

  private List<HostAndPort> hostList(String key) {
    List<String> items = new ArrayList<>();
    if (config.getValue(key).valueType() == ConfigValueType.LIST) {
      try {
        items.addAll(config.getStringList(key));
      } catch (ConfigException e) {
        throw invalid(key, "expected a list of host:port strings");
      }
    } else {
      for (String part : string(key).split(",")) {
        if (!part.isBlank()) {
          items.add(part);
        }
      }
    }
    if (items.isEmpty()) {
      throw invalid(key, "no Sentinel given (expected host:port, comma-separated)");
    }
    List<HostAndPort> hosts = new ArrayList<>();
    for (String item : items) {
      try {
        hosts.add(HostAndPort.parse(item));
      } catch (IllegalArgumentException e) {
        throw invalid(key, e.getMessage());
      }
    }
    return hosts;
  }

  private ServerConfig.Transport transport(String key) {
    String value = string(key);
    try {
      return ServerConfig.Transport.valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw invalid(key, "'" + value + "' is not one of auto, epoll, nio");
    }
  }

  private String raw(String key) {
    return String.valueOf(config.getValue(key).unwrapped());
  }

  private InvalidConfigException invalid(String key, String problem) {
    return new InvalidConfigException(prefix + "." + key + ": " + problem);
  }
}
