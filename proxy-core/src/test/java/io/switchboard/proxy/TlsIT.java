package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.switchboard.config.HostAndPort;
import io.switchboard.config.InvalidConfigException;
import io.switchboard.proxy.demo.LocalTopology;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;

/**
 * TLS end to end with a CA made for the run: Redis nodes and a Sentinel that speak only TLS to each
 * other and require client certificates, the proxy reaching them with its own client certificate
 * (netty SslHandler to the nodes, Lettuce to the Sentinel), and serving a plain and a TLS client
 * port side by side, with client certificates optional or required.
 */
class TlsIT {

  @TempDir static Path dir;

  private static TestCertificates ca;
  private static TestCertificates.Issued appCertificate;
  private static TestCertificates.Issued rogueCertificate;
  private static TestCertificates.Issued proxyClient;
  private static LocalTopology topology;
  private static String backendTls;
  private static String clientTls;

  @BeforeAll
  static void start() throws Exception {
    ca = TestCertificates.authority(dir, "test");
    TestCertificates.Issued node = ca.issue("redis");
    TestCertificates.Issued proxyServer = ca.issue("switchboard-server");
    proxyClient = ca.issue("switchboard");
    appCertificate = ca.issue("app");
    rogueCertificate = TestCertificates.authority(dir, "rogue").issue("app");
    topology =
        LocalTopology.start(
            1,
            1,
            new LocalTopology.Security(
                null,
                false,
                null,
                new LocalTopology.TlsFiles(node.ca(), node.cert(), node.key(), true)));
    backendTls =
        """
        switchboard.redis.tls { enabled = true, ca-file = "%s", cert-file = "%s", key-file = "%s" }
        """
            .formatted(ca.caFile(), proxyClient.cert(), proxyClient.key());
    clientTls =
        """
        switchboard.tls { cert-file = "%s", key-file = "%s", ca-file = "%s" }
        switchboard.listeners = [{ port = 0, tls = true, read-from = replica }]
        """
            .formatted(proxyServer.cert(), proxyServer.key(), ca.caFile());
  }

  @AfterAll
  static void stop() {
    if (topology != null) {
      topology.close();
    }
  }

  /** The Sentinel's TLS port: every address Sentinel hands out is a TLS port too. */
  private static List<HostAndPort> sentinelsOverTls() {
    return List.of(new HostAndPort("127.0.0.1", topology.sentinels().get(0).tlsPort()));
  }

  private static HostAndPort tlsPort(TestProxy proxy) {
    return new HostAndPort("127.0.0.1", proxy.ports().get(1));
  }

  private static RespClient overTls(TestProxy proxy, TestCertificates.Issued identity)
      throws IOException {
    return RespClient.connectTls(
        tlsPort(proxy), Duration.ofSeconds(10), ca.clientContext(identity));
  }

  @Test
  void clientsOnPlainAndTlsPortsReachTlsOnlyBackendsAndFollowAFailover() throws Exception {
    try (TestProxy proxy = TestProxy.start(sentinelsOverTls(), backendTls + clientTls);
        RespClient plain = RespClient.connect(proxy.address(), Duration.ofSeconds(10));
        RespClient secure = overTls(proxy, null)) {
      await()
          .atMost(Duration.ofSeconds(15))
          .ignoreExceptions()
          .until(() -> "OK".equals(plain.call("SET", "it:tls:plain", "1")));
      assertThat(secure.call("SET", "it:tls:secure", "2")).isEqualTo("OK");
      RedisNode primary = topology.primary();
      assertThat(primary.call("GET", "it:tls:plain")).isEqualTo("1");
      assertThat(primary.call("GET", "it:tls:secure")).isEqualTo("2");
      // The TLS port reads only from replicas: an answer proves the replica link works over TLS.
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .until(() -> "2".equals(secure.call("GET", "it:tls:secure")));

      // A real client library over TLS, trusting the test CA.
      SSLContext trust = ca.clientContext(null);
      try (Jedis jedis =
          new Jedis(
              new redis.clients.jedis.HostAndPort("localhost", tlsPort(proxy).port()),
              DefaultJedisClientConfig.builder()
                  .ssl(true)
                  .sslSocketFactory(trust.getSocketFactory())
                  .build())) {
        assertThat(jedis.set("it:tls:jedis", "3")).isEqualTo("OK");
        assertThat(primary.call("GET", "it:tls:jedis")).isEqualTo("3");
      }

      topology.awaitSentinelsSettled(Duration.ofSeconds(30));
      RedisNode sentinel = topology.sentinels().get(0);
      assertThat(sentinel.call("SENTINEL", "FAILOVER", LocalTopology.MASTER)).isEqualTo("OK");
      TestProxy.awaitWritesReach(secure, topology.replicas().get(0), "it:tls:after");
      topology.awaitHealthy(Duration.ofSeconds(30));
    }
  }

  @Test
  void requiredClientCertificatesMustChainToTheConfiguredCa() throws Exception {
    try (TestProxy proxy =
        TestProxy.start(
            sentinelsOverTls(),
            backendTls + clientTls + "switchboard.tls.client-auth = require\n")) {
      try (RespClient app = overTls(proxy, appCertificate)) {
        assertThat(app.call("PING")).isEqualTo("PONG");
      }
      assertRefused(proxy, null);
      assertRefused(proxy, rogueCertificate);
      // The plain port is untouched by client-auth.
      try (RespClient plain = RespClient.connect(proxy.address(), Duration.ofSeconds(10))) {
        assertThat(plain.call("PING")).isEqualTo("PONG");
      }
    }
  }

  /**
   * A TLS client presenting {@code identity} (none when null) gets no answer. With TLS 1.3 the
   * client may finish its handshake before the proxy checks its certificate; the refusal then shows
   * on the first read.
   */
  private static void assertRefused(TestProxy proxy, TestCertificates.Issued identity) {
    assertThatThrownBy(
            () -> {
              try (RespClient client = overTls(proxy, identity)) {
                client.call("PING");
              }
            })
        .isInstanceOf(IOException.class);
  }

  @Test
  void optionalClientCertificatesAreCheckedWhenSent() throws Exception {
    try (TestProxy proxy =
        TestProxy.start(
            sentinelsOverTls(),
            backendTls + clientTls + "switchboard.tls.client-auth = optional\n")) {
      try (RespClient anonymous = overTls(proxy, null);
          RespClient app = overTls(proxy, appCertificate)) {
        assertThat(anonymous.call("PING")).isEqualTo("PONG");
        assertThat(app.call("PING")).isEqualTo("PONG");
      }
      assertRefused(proxy, rogueCertificate);
    }
  }

  @Test
  void aClientCertificateNamingAUserAuthenticatesAsThatUser() throws Exception {
    try (TestProxy proxy =
        TestProxy.start(
            sentinelsOverTls(),
            backendTls
                + clientTls
                + """
                switchboard.tls { client-auth = optional, user-from-certificate = true }
                switchboard.auth.users = [
                  { name = app, password = "app-pw", read-only = true }
                  { name = other, password = "other-pw" }
                ]
                """)) {
      try (RespClient app = overTls(proxy, appCertificate);
          RespClient anonymous = overTls(proxy, null);
          RespClient plain = RespClient.connect(proxy.address(), Duration.ofSeconds(10))) {
        // CN=app: authenticated as app (read-only) without AUTH.
        await()
            .atMost(Duration.ofSeconds(15))
            .ignoreExceptions()
            .until(() -> app.call("GET", "it:tls:cert") == null);
        assertThat(TestProxy.errorOf(app.call("SET", "it:tls:cert", "1"))).startsWith("NOPERM");
        assertThat(TestProxy.errorOf(anonymous.call("GET", "it:tls:cert"))).startsWith("NOAUTH");
        assertThat(TestProxy.errorOf(plain.call("GET", "it:tls:cert"))).startsWith("NOAUTH");
        // AUTH still switches user, as in Redis.
        assertThat(app.call("AUTH", "other", "other-pw")).isEqualTo("OK");
        assertThat(app.call("SET", "it:tls:cert", "1")).isEqualTo("OK");
      }
    }
  }

  @Test
  void aBackendCertificateFromAnUntrustedCaIsRefused() throws Exception {
    TestCertificates.Issued otherCa = TestCertificates.authority(dir, "other").issue("switchboard");
    String untrusting =
        """
        switchboard.redis.tls { enabled = true, ca-file = "%s", cert-file = "%s", key-file = "%s" }
        switchboard.sentinel.tls { ca-file = "%s", cert-file = "%s", key-file = "%s" }
        switchboard.redis.reconnect-wait = 500ms
        switchboard.failover.hold-timeout = 1s
        """
            .formatted(
                otherCa.ca(),
                otherCa.cert(),
                otherCa.key(),
                ca.caFile(),
                proxyClient.cert(),
                proxyClient.key());
    try (TestProxy proxy = TestProxy.start(sentinelsOverTls(), untrusting);
        RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(10))) {
      // The Sentinel is trusted, so the proxy knows the primary; the primary is not.
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> proxy.admin("/topology").contains("\"primary\":{\"address\":\"127.0.0.1:"));
      await()
          .atMost(Duration.ofSeconds(15))
          .until(
              () ->
                  String.valueOf(client.call("SET", "it:tls:untrusted", "1")).contains("TRYAGAIN"));
      assertThat(topology.currentPrimary().call("GET", "it:tls:untrusted")).isNull();
      // Left waiting for the primary when the proxy closes: shutdown must release it (LeakGate).
      client.send(RespClient.encode("SET", "it:tls:untrusted", "2"));
    }
  }

  @Test
  void aNodeCertificateNamingAnotherHostIsRefusedUnlessHostNamesAreNotChecked() throws Exception {
    TestCertificates.Issued elsewhere =
        ca.issue("elsewhere", new GeneralName(GeneralName.dNSName, "elsewhere.invalid"));
    try (LocalTopology other =
        LocalTopology.start(
            0,
            1,
            new LocalTopology.Security(
                null,
                false,
                null,
                new LocalTopology.TlsFiles(
                    elsewhere.ca(), elsewhere.cert(), elsewhere.key(), false)))) {
      List<HostAndPort> sentinel =
          List.of(new HostAndPort("127.0.0.1", other.sentinels().get(0).tlsPort()));
      String tls =
          """
          switchboard.redis.tls { enabled = true, ca-file = "%s" }
          switchboard.sentinel.tls.verify-hostname = false
          switchboard.failover.hold-timeout = 1s
          """
              .formatted(ca.caFile());
      try (TestProxy checking = TestProxy.start(sentinel, tls);
          RespClient client = RespClient.connect(checking.address(), Duration.ofSeconds(10))) {
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () ->
                    checking.admin("/topology").contains("\"primary\":{\"address\":\"127.0.0.1:"));
        assertThat(TestProxy.errorOf(client.call("SET", "it:tls:host", "1")))
            .startsWith("TRYAGAIN");
      }
      try (TestProxy trusting =
              TestProxy.start(sentinel, tls + "switchboard.redis.tls.verify-hostname = false\n");
          RespClient client = RespClient.connect(trusting.address(), Duration.ofSeconds(10))) {
        await()
            .atMost(Duration.ofSeconds(15))
            .ignoreExceptions()
            .until(() -> "OK".equals(client.call("SET", "it:tls:host", "2")));
        assertThat(other.primary().call("GET", "it:tls:host")).isEqualTo("2");
      }
    }
  }

  @Test
  void certificatesReplacedInPlaceServeNewConnectionsWithoutARestart() throws Exception {
    Path live = Files.createDirectories(dir.resolve("live"));
    TestCertificates.Issued first = ca.issue("first");
    Files.copy(first.cert(), live.resolve("tls.crt"));
    Files.copy(first.key(), live.resolve("tls.key"));
    String config =
        """
        switchboard.tls { cert-file = "%s", key-file = "%s", reload-interval = 200ms }
        switchboard.listeners = [{ port = 0, tls = true }]
        """
            .formatted(live.resolve("tls.crt"), live.resolve("tls.key"));
    try (TestProxy proxy = TestProxy.start(sentinelsOverTls(), config);
        RespClient before = overTls(proxy, null)) {
      assertThat(presentedName(proxy)).isEqualTo("CN=first");
      TestCertificates.Issued second = ca.issue("second");
      // Key first: in between, the pair does not match, which must keep the old one in use.
      Files.copy(second.key(), live.resolve("tls.key"), StandardCopyOption.REPLACE_EXISTING);
      Thread.sleep(500);
      assertThat(presentedName(proxy)).isEqualTo("CN=first");
      Files.copy(second.cert(), live.resolve("tls.crt"), StandardCopyOption.REPLACE_EXISTING);
      await().atMost(Duration.ofSeconds(10)).until(() -> presentedName(proxy).equals("CN=second"));
      assertThat(before.call("PING")).as("a connection made before goes on").isEqualTo("PONG");
    }
  }

  /** The subject of the certificate the proxy's TLS port presents to a new connection. */
  private static String presentedName(TestProxy proxy) throws IOException {
    try (SSLSocket socket =
        (SSLSocket)
            ca.clientContext(null)
                .getSocketFactory()
                .createSocket("127.0.0.1", tlsPort(proxy).port())) {
      socket.startHandshake();
      return ((java.security.cert.X509Certificate) socket.getSession().getPeerCertificates()[0])
          .getSubjectX500Principal()
          .getName();
    }
  }

  @Test
  void unreadableOrMismatchedTlsFilesStopStartUpNamingTheKey() throws Exception {
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate");
    assertThatThrownBy(
            () ->
                TestProxy.start(
                    sentinelsOverTls(),
                    "switchboard.redis.tls { enabled = true, ca-file = \"" + garbage + "\" }\n"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageStartingWith("switchboard.redis.tls: ");
    assertThatThrownBy(
            () ->
                TestProxy.start(
                    sentinelsOverTls(),
                    "switchboard.tls { cert-file = \"%s\", key-file = \"%s\" }\n"
                            .formatted(appCertificate.cert(), garbage)
                        + "switchboard.listen.tls = true\n"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageStartingWith("switchboard.tls: ");
    assertThatThrownBy(
            () ->
                TestProxy.start(
                    sentinelsOverTls(),
                    "switchboard.tls { cert-file = \"%s\", key-file = \"%s\" }\n"
                            .formatted(appCertificate.cert(), proxyClient.key())
                        + "switchboard.listen.tls = true\n"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("does not belong to the certificate");
  }
}
