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
      Set.of("host", "port", "read-from", "consistency", "tls", "replica-subscriptions", "cache");
  private static final Set<String> USER_KEYS =
      Set.of("name", "password", "password-sha256", "read-only", "deny");

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
    OutboundTlsConfig redisTls = r.outboundTls("redis.tls", OutboundTlsConfig.OFF);
    Endpoint listen = new Endpoint(r.nonEmpty("listen.host"), r.listenPort("listen.port"));
    RoutingConfig routing = r.routing();
    CacheConfig cache = r.cache();
    List<ListenerConfig> listeners = r.listeners(listen.host(), routing, cache.enabled());
    ListenerTlsConfig listenerTls = r.listenerTls();
    if (listenerTls.certFile().isEmpty()
        && (listenerTls.onMainPort() || listeners.stream().anyMatch(ListenerConfig::tls))) {
      throw r.invalid("tls.cert-file", "is required by a port with tls = true");
    }
    SwitchboardConfig config =
        new SwitchboardConfig(
            listen,
            listeners,
            new AdminConfig(
                new Endpoint(r.nonEmpty("admin.host"), r.listenPort("admin.port")),
                r.string("admin.token").trim()),
            r.clientAuth(listenerTls),
            listenerTls,
            new SentinelConfig(
                r.hostList("sentinel.hosts"),
                r.nonEmpty("sentinel.master"),
                sentinelCredentials,
                r.duration("sentinel.timeout"),
                r.duration("sentinel.reconcile-interval"),
                retryMin,
                retryMax,
                r.outboundTls("sentinel.tls", redisTls)),
            new ClusterConfig(
                r.hostList("cluster.nodes"),
                r.duration("cluster.refresh-interval"),
                r.option("cluster.order", ClusterConfig.Order.class)),
            new RedisConfig(
                redisCredentials,
                r.intBetween("redis.databases", 1, Integer.MAX_VALUE),
                r.duration("redis.connect-timeout"),
                r.intBetween("redis.connections-per-node", 1, 64),
                r.duration("redis.reconnect-wait"),
                r.nonEmpty("redis.client-name"),
                redisTls),
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
                r.intBetween("limits.max-inflight-per-client", 1, 1 << 20),
                r.bytes("limits.client-output-buffer-bytes", Long.MAX_VALUE),
                r.intBetween("limits.max-held-per-pool", 1, Integer.MAX_VALUE),
                r.intBetween("limits.max-exclusive-connections", 1, 1 << 20),
                r.intBetween("limits.max-clients", 1, 1 << 24),
                r.durationOrOff("limits.client-idle-timeout"),
                r.durationOrOff("limits.stalled-request-timeout"),
                r.intBetween("limits.tracking-table-max-keys", 1, 1 << 30)),
            cache,
            new SlowLogConfig(
                r.slowlogThreshold("slowlog.threshold"),
                r.intBetween("slowlog.max-len", 0, 1 << 20)),
            new HotKeysConfig(
                r.bool("hotkeys.enabled"),
                r.intBetween("hotkeys.top", 1, 1000),
                r.duration("hotkeys.window"),
                r.option("hotkeys.export", HotKeysConfig.Export.class)
                    == HotKeysConfig.Export.HASHES),
            new BigKeysConfig(
                r.bytes("bigkeys.threshold", Long.MAX_VALUE),
                r.intBetween("bigkeys.max-len", 0, 1 << 20)),
            new ServerConfig(
                r.intBetween("server.io-threads", 0, 1024),
                r.transport("server.transport"),
                r.duration("server.shutdown-timeout"),
                r.durationOrOff("server.config-reload-interval"),
                r.option("server.log-level", ServerConfig.LogLevel.class)));
    r.oneDiscovery(); // last: a malformed value elsewhere is the more precise error
    return config;
  }

  /**
   * Exactly one of Sentinel mode and cluster mode: both would leave the proxy guessing which
   * servers are authoritative, neither leaves it nothing to serve.
   */
  private void oneDiscovery() {
    boolean sentinel = !hostList("sentinel.hosts").isEmpty();
    boolean cluster = !hostList("cluster.nodes").isEmpty();
    if (sentinel == cluster) {
      throw new InvalidConfigException(
          (sentinel ? "both " : "neither ")
              + prefix
              + ".sentinel.hosts (REDIS_SENTINEL_HOSTS) "
              + (sentinel ? "and " : "nor ")
              + prefix
              + ".cluster.nodes (REDIS_CLUSTER_NODES) "
              + (sentinel ? "are" : "is")
              + " set: set exactly one, the Sentinels of a primary or the seed nodes of a Redis"
              + " Cluster");
    }
  }

  private ClientAuthConfig clientAuth(ListenerTlsConfig listenerTls) {
    ClientAuthConfig auth =
        new ClientAuthConfig(
            option("auth.mode", ClientAuthConfig.Mode.class),
            string("auth.password"),
            users(),
            intBetween("auth.max-failures-per-address", 1, Integer.MAX_VALUE),
            duration("auth.failure-window"),
            intBetween("auth.max-user-pools", 1, 1 << 20),
            duration("auth.user-pool-idle-timeout"));
    if (auth.mode() == ClientAuthConfig.Mode.REDIS) {
      // One source of users: the servers'. Proxy-side users would silently be ignored.
      if (!auth.password().isEmpty() || !auth.users().isEmpty()) {
        throw invalid(
            "auth.mode",
            "redis checks clients against the servers' own ACL users; remove auth.password and"
                + " auth.users");
      }
      if (listenerTls.userFromCertificate()) {
        throw invalid(
            "auth.mode",
            "redis needs each client's password for the servers; tls.user-from-certificate has"
                + " none");
      }
    }
    return auth;
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
    Set<String> deny = commandNames("routing.deny");
    return new RoutingConfig(
        option("routing.read-from", RoutingConfig.ReadFrom.class),
        option("routing.consistency", RoutingConfig.Consistency.class),
        option("routing.balancing", RoutingConfig.Balancing.class),
        duration("routing.max-replica-lag"),
        lagBytes,
        duration("routing.offset-poll-interval"),
        duration("routing.idle-poll-interval"),
        duration("routing.outlier-latency"),
        duration("routing.outlier-ejection"),
        intBetween("routing.script-cache-size", 1, 10_000_000),
        deny);
  }

  private List<ListenerConfig> listeners(
      String defaultHost, RoutingConfig routing, boolean cacheByDefault) {
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
                  : routing.consistency(),
              item.hasPath("tls") && r.bool("tls"),
              item.hasPath("replica-subscriptions") && r.bool("replica-subscriptions"),
              item.hasPath("cache") ? r.bool("cache") : cacheByDefault));
    }
    return out;
  }

  private List<UserConfig> users() {
    List<? extends Config> items;
    try {
      items = config.getConfigList("auth.users");
    } catch (ConfigException e) {
      throw invalid("auth.users", "expected a list of { name = ..., password = ... } objects");
    }
    List<UserConfig> out = new ArrayList<>();
    Set<String> names = new java.util.HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      Config item = items.get(i);
      SettingsReader r = new SettingsReader(item, prefix + ".auth.users." + i);
      for (String key : item.root().keySet()) {
        if (!USER_KEYS.contains(key)) {
          throw r.invalid(key, "unknown key (expected one of " + USER_KEYS + ")");
        }
      }
      String name = item.hasPath("name") ? r.nonEmpty("name") : "";
      if (name.isEmpty() || !name.chars().allMatch(c -> c > ' ' && c <= '~')) {
        throw r.invalid("name", "is required: printable characters, no spaces");
      }
      if (name.equals("default")) {
        throw r.invalid("name", "'default' is the user of auth.password; pick another name");
      }
      if (!names.add(name)) {
        throw r.invalid("name", "'" + name + "' is listed twice");
      }
      out.add(
          new UserConfig(
              name,
              r.passwordDigest(item),
              item.hasPath("read-only") && r.bool("read-only"),
              item.hasPath("deny") ? r.commandNames("deny") : Set.of()));
    }
    return out;
  }

  /** The SHA-256 of a user's password, given either in clear or as its digest. */
  private String passwordDigest(Config item) {
    boolean clear = item.hasPath("password");
    boolean digest = item.hasPath("password-sha256");
    if (clear == digest) {
      throw invalid("password", "give exactly one of password and password-sha256");
    }
    if (clear) {
      String password = string("password");
      if (password.isEmpty()) {
        throw invalid("password", "must not be empty");
      }
      return Passwords.sha256Hex(password);
    }
    String hex = string("password-sha256").trim().toLowerCase(Locale.ROOT);
    if (!hex.matches("[0-9a-f]{64}")) {
      throw invalid("password-sha256", "expected 64 hex digits (sha256sum of the password)");
    }
    return hex;
  }

  private CacheConfig cache() {
    List<String> prefixes;
    try {
      prefixes = config.getStringList("cache.prefixes");
    } catch (ConfigException e) {
      throw invalid("cache.prefixes", "expected a list of key prefixes");
    }
    return new CacheConfig(
        bool("cache.enabled"),
        bytes("cache.max-bytes", Long.MAX_VALUE),
        commandNames("cache.commands"),
        prefixes);
  }

  private Set<String> commandNames(String key) {
    Set<String> names = new LinkedHashSet<>();
    try {
      for (String name : config.getStringList(key)) {
        names.add(name.trim().toUpperCase(Locale.ROOT));
      }
    } catch (ConfigException e) {
      throw invalid(key, "expected a list of command names");
    }
    return names;
  }

  /** TLS settings under {@code key}; a key set to null takes its value from {@code fallback}. */
  private OutboundTlsConfig outboundTls(String key, OutboundTlsConfig fallback) {
    OutboundTlsConfig tls =
        new OutboundTlsConfig(
            isNull(key + ".enabled") ? fallback.enabled() : bool(key + ".enabled"),
            isNull(key + ".ca-file") ? fallback.caFile() : file(key + ".ca-file"),
            isNull(key + ".cert-file") ? fallback.certFile() : file(key + ".cert-file"),
            isNull(key + ".key-file") ? fallback.keyFile() : file(key + ".key-file"),
            isNull(key + ".verify-hostname")
                ? fallback.verifyHostname()
                : bool(key + ".verify-hostname"));
    if (tls.certFile().isEmpty() != tls.keyFile().isEmpty()) {
      throw invalid(key + ".key-file", "cert-file and key-file go together");
    }
    return tls;
  }

  private ListenerTlsConfig listenerTls() {
    ListenerTlsConfig tls =
        new ListenerTlsConfig(
            bool("listen.tls"),
            file("tls.cert-file"),
            file("tls.key-file"),
            file("tls.ca-file"),
            option("tls.client-auth", ListenerTlsConfig.ClientCertificates.class),
            bool("tls.user-from-certificate"),
            durationOrOff("tls.reload-interval"));
    if (tls.certFile().isEmpty() != tls.keyFile().isEmpty()) {
      throw invalid("tls.key-file", "cert-file and key-file go together");
    }
    if (tls.clientAuth() != ListenerTlsConfig.ClientCertificates.NONE && tls.caFile().isEmpty()) {
      throw invalid("tls.ca-file", "is required to check client certificates (tls.client-auth)");
    }
    if (tls.userFromCertificate()
        && tls.clientAuth() == ListenerTlsConfig.ClientCertificates.NONE) {
      throw invalid("tls.user-from-certificate", "needs tls.client-auth = optional or require");
    }
    return tls;
  }

  private boolean isNull(String key) {
    return config.getIsNull(key);
  }

  /** A path that must name a readable file, or empty for none. */
  private String file(String key) {
    String path = string(key).trim();
    if (!path.isEmpty() && !java.nio.file.Files.isReadable(java.nio.file.Path.of(path))) {
      throw invalid(key, path + " is not a readable file");
    }
    return path;
  }

  private boolean bool(String key) {
    try {
      return config.getBoolean(key);
    } catch (ConfigException e) {
      throw invalid(key, "'" + raw(key) + "' is not true or false");
    }
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

  /** As Redis's slowlog-log-slower-than, but a duration: 0 logs every command. */
  private Duration slowlogThreshold(String key) {
    Duration value = anyDuration(key, "0, 500us, 10ms");
    if (value.isNegative()) {
      throw invalid(key, "must not be negative (0 logs every command; slowlog.max-len = 0 none)");
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
