package io.switchboard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  /** A Sentinel, since exactly one of Sentinel and cluster mode must be set; then the text. */
  private static SwitchboardConfig parse(String hocon) {
    return ConfigLoader.parse(SENTINEL + hocon);
  }

  private static final String SENTINEL = "switchboard.sentinel.hosts = \"127.0.0.1:26379\"\n";

  @Test
  void defaultsDescribeTheRedisPort() {
    SwitchboardConfig config = parse("");
    assertThat(config.listen().port()).isEqualTo(6379);
    assertThat(config.admin().endpoint().port()).isEqualTo(8080);
    assertThat(config.sentinel().hosts()).containsExactly(new HostAndPort("127.0.0.1", 26379));
    assertThat(config.cluster().enabled()).isFalse();
    assertThat(config.sentinel().master()).isEqualTo("mymaster");
    assertThat(config.sentinel().reconcileInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(config.limits().maxBulkBytes()).isEqualTo(512L * 1024 * 1024);
    assertThat(config.server().transport()).isEqualTo(ServerConfig.Transport.AUTO);
  }

  @Test
  void eventLoopsDefaultToOnePerTwoCoresUnlessSet() {
    ServerConfig byCores = parse("").server();
    assertThat(byCores.eventLoops(1)).isEqualTo(1);
    assertThat(byCores.eventLoops(2)).isEqualTo(1);
    assertThat(byCores.eventLoops(3)).isEqualTo(1);
    assertThat(byCores.eventLoops(8)).isEqualTo(4);
    assertThat(parse("switchboard.server.io-threads = 3").server().eventLoops(2)).isEqualTo(3);
  }

  @Test
  void kubernetesEnvironmentVariablesConfigureSentinelsPasswordAndPorts() {
    SwitchboardConfig config =
        ConfigLoader.load(
            Map.of(
                "REDIS_SENTINEL_HOSTS", "redis-node-0.redis-headless:26379, redis-node-1:26379",
                "REDIS_SENTINEL_MASTER", "mymaster2",
                "REDIS_PASSWORD", "s3cret",
                "SWITCHBOARD_PORT", "7000",
                "SWITCHBOARD_ADMIN_PORT", "7001",
                "UNRELATED", "ignored"),
            new Properties());
    assertThat(config.sentinel().hosts())
        .containsExactly(
            new HostAndPort("redis-node-0.redis-headless", 26379),
            new HostAndPort("redis-node-1", 26379));
    assertThat(config.sentinel().master()).isEqualTo("mymaster2");
    assertThat(config.redis().credentials().password()).isEqualTo("s3cret");
    assertThat(config.sentinel().credentials().password())
        .as("Sentinel inherits the Redis password unless set separately")
        .isEqualTo("s3cret");
    assertThat(config.listen().port()).isEqualTo(7000);
    assertThat(config.admin().endpoint().port()).isEqualTo(7001);
  }

  @Test
  void systemPropertiesOverrideTheFileWhichOverridesTheEnvironment(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("switchboard.conf");
    Files.writeString(
        file,
        SENTINEL + "switchboard.listen.port = 7100\nswitchboard.sentinel.master = fromfile\n");
    Properties props = new Properties();
    props.setProperty("config.file", file.toString());
    props.setProperty("switchboard.listen.port", "7600");
    SwitchboardConfig config =
        ConfigLoader.load(
            Map.of("SWITCHBOARD_PORT", "7200", "REDIS_SENTINEL_MASTER", "fromenv"), props);
    assertThat(config.listen().port()).isEqualTo(7600);
    assertThat(config.sentinel().master()).isEqualTo("fromfile");
  }

  @Test
  void sentinelHostsMayBeAHoconList() {
    SwitchboardConfig config =
        parse("switchboard.sentinel.hosts = [\"10.0.0.1:26379\", \"[::1]:26380\"]");
    assertThat(config.sentinel().hosts())
        .containsExactly(new HostAndPort("10.0.0.1", 26379), new HostAndPort("::1", 26380));
  }

  @Test
  void passwordsNeverAppearInToString() {
    SwitchboardConfig config = parse("switchboard.redis.password = hunter2");
    assertThat(config.toString()).doesNotContain("hunter2").contains("***");
  }

  @Test
  void badValuesNameTheKeyAndTheProblem() {
    assertError(
        "switchboard.listen.port = 70000", "switchboard.listen.port: 70000 is out of range");
    assertError("switchboard.lisen.port = 7000", "switchboard.lisen.port: unknown key")
        .hasMessageContaining("did you mean switchboard.listen.port?");
    assertError(
        "switchboard.sentinel.hosts = \"localhost\"",
        "switchboard.sentinel.hosts: 'localhost' is not host:port");
    assertError(
        "switchboard.sentinel.hosts = \"h:99999\"",
        "switchboard.sentinel.hosts: 'h:99999': port 99999 is out of range");
    assertError("switchboard.sentinel.hosts = \"\"", "neither switchboard.sentinel.hosts");
    assertError("switchboard.sentinel.hosts = []", "neither switchboard.sentinel.hosts");
    assertError(
        "switchboard.listen.port = abc", "switchboard.listen.port: 'abc' is not a whole number");
    assertError(
        "switchboard.redis.reconnect-wait = soon",
        "switchboard.redis.reconnect-wait: 'soon' is not a duration");
    assertError("switchboard.server.transport = dpdk", "'dpdk' is not one of auto, epoll, nio");
    assertError(
        "switchboard.sentinel.master = \"  \"", "switchboard.sentinel.master: must not be empty");
  }

  @Test
  void aMissingConfigFileIsNamed() {
    Properties props = new Properties();
    props.setProperty("config.file", "/nonexistent/switchboard.conf");
    assertThatThrownBy(() -> ConfigLoader.load(Map.of(), props))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("config.file: /nonexistent/switchboard.conf does not exist");
  }

  @Test
  void brokenHoconSyntaxIsReportedWithoutAStackTraceType() {
    assertThatThrownBy(() -> parse("switchboard { listen { port = "))
        .isInstanceOf(InvalidConfigException.class);
  }

  @Test
  void hostAndPortParsesIpv6AndRejectsGarbage() {
    assertThat(HostAndPort.parse("[::1]:6379")).isEqualTo(new HostAndPort("::1", 6379));
    assertThat(HostAndPort.parse("[::1]:6379").toString()).isEqualTo("[::1]:6379");
    for (String bad : List.of("::1:6379", "host:", ":6379", "host:x")) {
      assertThatThrownBy(() -> HostAndPort.parse(bad)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void routingDefaultsAreReadsFromReplicasWithReadYourWrites() {
    RoutingConfig routing = parse("").routing();
    assertThat(routing.readFrom()).isEqualTo(RoutingConfig.ReadFrom.PREFER_REPLICA);
    assertThat(routing.consistency()).isEqualTo(RoutingConfig.Consistency.READ_YOUR_WRITES);
    assertThat(routing.balancing()).isEqualTo(RoutingConfig.Balancing.LEAST_OUTSTANDING);
    assertThat(routing.maxReplicaLagBytes()).isZero();
    assertThat(routing.deny()).isEmpty();
  }

  @Test
  void extraListenersTakeTheirOwnPolicyAndDefaultTheRest() {
    SwitchboardConfig config =
        parse(
            """
            switchboard.routing.consistency = eventual
            switchboard.routing.deny = [flushall, "config|set"]
            switchboard.listeners = [
              { port = 6380, read-from = primary }
              { port = 6381, read-from = replica, replica-subscriptions = true }
            ]
            """);
    assertThat(config.allListeners()).hasSize(3);
    ListenerConfig extra = config.allListeners().get(1);
    assertThat(extra.endpoint()).isEqualTo(new Endpoint("0.0.0.0", 6380));
    assertThat(extra.readFrom()).isEqualTo(RoutingConfig.ReadFrom.PRIMARY);
    assertThat(extra.consistency()).isEqualTo(RoutingConfig.Consistency.EVENTUAL);
    assertThat(config.allListeners())
        .extracting(ListenerConfig::replicaSubscriptions)
        .as("subscriptions on the primary unless a listener opts in")
        .containsExactly(false, false, true);
    assertThat(config.routing().deny()).containsExactlyInAnyOrder("FLUSHALL", "CONFIG|SET");
  }

  @Test
  void failoverDefaultsHoldWritesTenSecondsAndAcknowledgeAsRedisDoes() {
    FailoverConfig failover = parse("").failover();
    assertThat(failover.holdTimeout()).isEqualTo(java.time.Duration.ofSeconds(10));
    assertThat(failover.holdBytes()).isEqualTo(64L << 20);
    assertThat(failover.drainTimeout()).isEqualTo(java.time.Duration.ofSeconds(2));
    assertThat(failover.writeAck()).isEqualTo(FailoverConfig.WriteAck.ASYNC);
    FailoverConfig replicated =
        parse(
                "switchboard.failover { write-ack = replicated, ack-replicas = 2, ack-timeout = 50ms }")
            .failover();
    assertThat(replicated.writeAck()).isEqualTo(FailoverConfig.WriteAck.REPLICATED);
    assertThat(replicated.ackReplicas()).isEqualTo(2);
    assertThat(replicated.ackTimeout()).isEqualTo(java.time.Duration.ofMillis(50));
    assertError(
        "switchboard.failover.write-ack = sync",
        "switchboard.failover.write-ack: 'sync' is not one of async, replicated");
  }

  @Test
  void badRoutingValuesNameTheChoices() {
    assertError(
        "switchboard.routing.read-from = replicas",
        "switchboard.routing.read-from: 'replicas' is not one of primary, prefer-replica, replica,"
            + " any");
    assertError(
        "switchboard.listeners = [{ port = 6380, read_from = primary }]",
        "switchboard.listeners.0.read_from: unknown key");
    assertError(
        "switchboard.listeners = [{ read-from = primary }]", "listeners.0.port: is required");
  }

  @Test
  void redisAuthModeTakesTheServersUsersAndNoneOfTheProxys() {
    ClientAuthConfig proxy = parse("").auth();
    assertThat(proxy.mode()).isEqualTo(ClientAuthConfig.Mode.PROXY);
    ClientAuthConfig redis = parse("switchboard.auth.mode = redis").auth();
    assertThat(redis.mode()).isEqualTo(ClientAuthConfig.Mode.REDIS);
    assertThat(redis.required()).as("Redis decides, per user").isFalse();
    assertThat(redis.maxUserPools()).isEqualTo(1000);
    assertError(
        "switchboard.auth { mode = redis, password = x }",
        "switchboard.auth.mode: redis checks clients against the servers' own ACL users; remove"
            + " auth.password and auth.users");
    assertError("switchboard.auth.mode = both", "switchboard.auth.mode: 'both' is not one of");
  }

  @Test
  void namedUsersKeepOnlyAPasswordDigestAndTheirRestrictions() {
    ClientAuthConfig auth =
        parse(
                """
                switchboard.auth.users = [
                  { name = app, password = s3cret }
                  { name = reports, read-only = true,
                    password-sha256 = "2BB80D537B1DA3E38BD30361AA855686BDE0EACD7162FEF6A25FE97BF527A25B" }
                  { name = ops, password = x, deny = [flushall, "config|set"] }
                ]
                """)
            .auth();
    assertThat(auth.required()).isTrue();
    assertThat(auth.password()).isEmpty();
    assertThat(auth.users()).extracting(UserConfig::name).containsExactly("app", "reports", "ops");
    assertThat(auth.users().get(0).passwordSha256()).isEqualTo(Passwords.sha256Hex("s3cret"));
    assertThat(auth.users().get(1).passwordSha256())
        .isEqualTo(Passwords.sha256Hex("secret"))
        .isEqualTo("2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b");
    assertThat(auth.users().get(1).readOnly()).isTrue();
    assertThat(auth.users().get(2).deny()).containsExactlyInAnyOrder("FLUSHALL", "CONFIG|SET");
    assertThat(auth.toString()).doesNotContain("s3cret").doesNotContain("2bb80d");
    assertThat(auth.maxFailuresPerAddress()).isEqualTo(10);
    assertThat(auth.failureWindow()).isEqualTo(Duration.ofMinutes(1));
    assertThat(parse("").auth().required()).isFalse();
    assertThat(parse("switchboard.auth.password = p").auth().required()).isTrue();
  }

  @Test
  void badUsersAreNamedByPosition() {
    assertError("switchboard.auth.users = [{ password = x }]", "auth.users.0.name: is required");
    assertError(
        "switchboard.auth.users = [{ name = default, password = x }]",
        "auth.users.0.name: 'default' is the user of auth.password");
    assertError(
        "switchboard.auth.users = [{ name = a, password = x }, { name = a, password = y }]",
        "auth.users.1.name: 'a' is listed twice");
    assertError(
        "switchboard.auth.users = [{ name = a }]",
        "auth.users.0.password: give exactly one of password and password-sha256");
    assertError(
        "switchboard.auth.users = [{ name = a, password-sha256 = abc }]",
        "auth.users.0.password-sha256: expected 64 hex digits");
    assertError(
        "switchboard.auth.users = [{ name = a, password = x, readonly = true }]",
        "auth.users.0.readonly: unknown key");
  }

  @Test
  void sentinelTlsFollowsRedisTlsUnlessSetItself(@TempDir Path dir) throws Exception {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "pem");
    SwitchboardConfig config =
        parse("switchboard.redis.tls { enabled = true, ca-file = \"" + ca + "\" }");
    assertThat(config.redis().tls().enabled()).isTrue();
    assertThat(config.sentinel().tls()).isEqualTo(config.redis().tls());
    assertThat(config.redis().tls().verifyHostname()).isTrue();
    SwitchboardConfig split =
        parse(
            "switchboard.redis.tls { enabled = true, ca-file = \""
                + ca
                + "\" }\nswitchboard.sentinel.tls.enabled = false");
    assertThat(split.sentinel().tls().enabled()).isFalse();
    assertThat(split.sentinel().tls().caFile()).isEqualTo(ca.toString());
    assertThat(parse("").redis().tls()).isEqualTo(OutboundTlsConfig.OFF);
    assertError(
        "switchboard.redis.tls.ca-file = /no/such/ca.pem",
        "switchboard.redis.tls.ca-file: /no/such/ca.pem is not a readable file");
    assertError(
        "switchboard.redis.tls.cert-file = \"" + ca + "\"",
        "switchboard.redis.tls.key-file: cert-file and key-file go together");
  }

  @Test
  void tlsPortsNeedACertificateAndClientAuthNeedsACa(@TempDir Path dir) throws Exception {
    Path cert = Files.writeString(dir.resolve("cert.pem"), "pem");
    assertError(
        "switchboard.listeners = [{ port = 6380, tls = true }]",
        "switchboard.tls.cert-file: is required by a port with tls = true");
    assertError("switchboard.listen.tls = true", "switchboard.tls.cert-file: is required");
    String files =
        "switchboard.tls { cert-file = \"" + cert + "\", key-file = \"" + cert + "\" }\n";
    SwitchboardConfig both = parse(files + "switchboard.listeners = [{ port = 6380, tls = true }]");
    assertThat(both.allListeners()).extracting(ListenerConfig::tls).containsExactly(false, true);
    assertThat(both.tls().clientAuth()).isEqualTo(ListenerTlsConfig.ClientCertificates.NONE);
    assertError(
        files + "switchboard.tls.client-auth = require",
        "switchboard.tls.ca-file: is required to check client certificates");
    assertError(
        files + "switchboard.tls.user-from-certificate = true",
        "switchboard.tls.user-from-certificate: needs tls.client-auth = optional or require");
    assertError(
        files + "switchboard.tls.client-auth = sometimes",
        "'sometimes' is not one of none, optional, require");
  }

  @Test
  void everyEnvironmentVariableReferenceConfNamesIsRead() {
    SwitchboardConfig config =
        ConfigLoader.load(
            Map.of(
                "REDIS_SENTINEL_HOSTS", "s:26379",
                "SWITCHBOARD_ADMIN_TOKEN", "t0ken",
                "SWITCHBOARD_AUTH_MODE", "redis"),
            new Properties());
    assertThat(config.admin().token()).isEqualTo("t0ken");
    assertThat(config.auth().mode()).isEqualTo(ClientAuthConfig.Mode.REDIS);
    // Only the names the loader lets through are visible to reference.conf's substitutions.
    java.util.Set<String> named = new java.util.TreeSet<>();
    try (var in = ConfigLoader.class.getResourceAsStream("/reference.conf")) {
      String reference = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      var uses =
          java.util.regex.Pattern.compile(
                  "^[^#]*\\$\\{\\?([A-Z_]+)}", java.util.regex.Pattern.MULTILINE)
              .matcher(reference);
      while (uses.find()) {
        named.add(uses.group(1));
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    assertThat(named).isNotEmpty();
    assertThat(ConfigLoader.ENVIRONMENT).containsAll(named);
  }

  @Test
  void exactlyOneOfSentinelAndClusterModeIsSet() {
    SwitchboardConfig cluster =
        ConfigLoader.load(
            Map.of("REDIS_CLUSTER_NODES", "redis-cluster-0:6379, redis-cluster-1:6379"),
            new Properties());
    assertThat(cluster.cluster().enabled()).isTrue();
    assertThat(cluster.cluster().nodes())
        .containsExactly(
            new HostAndPort("redis-cluster-0", 6379), new HostAndPort("redis-cluster-1", 6379));
    assertThat(cluster.sentinel().hosts()).isEmpty();
    assertThatThrownBy(() -> ConfigLoader.parse(""))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage(
            "neither switchboard.sentinel.hosts (REDIS_SENTINEL_HOSTS) nor"
                + " switchboard.cluster.nodes (REDIS_CLUSTER_NODES) is set: set exactly one, the"
                + " Sentinels of a primary or the seed nodes of a Redis Cluster");
    assertError("switchboard.cluster.nodes = [\"10.0.0.1:6379\"]", "both switchboard.sentinel");
    assertError("switchboard.cluster.nodes = \"10.0.0.1\"", "'10.0.0.1' is not host:port");
  }

  private static org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> assertError(
      String hocon, String message) {
    return assertThatThrownBy(() -> parse(hocon))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining(message);
  }
}
