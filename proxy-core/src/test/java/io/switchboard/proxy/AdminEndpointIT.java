package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.switchboard.proxy.demo.LocalTopology;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The admin endpoint against a real topology: probes, topology, metrics and configuration, and a
 * readiness probe that follows the primary through a crash and a failover.
 */
class AdminEndpointIT {

  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static HttpResponse<String> get(TestProxy proxy, String path) throws Exception {
    return send(proxy, HttpRequest.newBuilder(uri(proxy, path)).GET());
  }

  private static HttpResponse<String> send(TestProxy proxy, HttpRequest.Builder request)
      throws Exception {
    return http.send(
        request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(TestProxy proxy, String path) {
    return URI.create("http://127.0.0.1:" + proxy.adminPort() + path);
  }

  @Test
  void everyEndpointAnswersAboutTheRealTopology() throws Exception {
    LocalTopology topology = SharedTopology.get();
    try (TestProxy proxy =
            TestProxy.start(
                topology,
                "switchboard.redis.password = \"\"\n"
                    + "switchboard.auth.password = \"proxy-secret\"\n");
        RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(10))) {
      assertThat(client.call("AUTH", "proxy-secret")).isEqualTo("OK");
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .until(() -> "OK".equals(client.call("SET", "it:admin", "1")));
      assertThat(client.call("GET", "it:admin")).isEqualTo("1");
      assertThat(client.call("PING")).isEqualTo("PONG");

      HttpResponse<String> live = get(proxy, "/health/live");
      assertThat(live.statusCode()).isEqualTo(200);
      assertThat(live.body()).isEqualTo("{\"status\":\"live\"}");

      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> get(proxy, "/health/ready").statusCode() == 200);
      assertThat(get(proxy, "/health/ready").body()).isEqualTo("{\"status\":\"ready\"}");

      RedisNode primary = topology.currentPrimary();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> get(proxy, "/topology").body().contains("\"eligible\":true"));
      String body = get(proxy, "/topology").body();
      assertThat(body)
          .startsWith("{\"master\":\"mymaster\",\"primary\":{\"address\":\"" + primary.address())
          .contains("\"confirmedByRole\":true")
          .contains("\"failoverUnderway\":false");
      for (RedisNode node : topology.dataNodes()) {
        if (node != primary) {
          assertThat(body).contains("{\"address\":\"" + node.address() + "\",\"eligible\":");
        }
      }
      for (RedisNode sentinel : topology.sentinels()) {
        assertThat(body).contains("{\"address\":\"" + sentinel.address() + "\",\"connected\":");
      }

      HttpResponse<String> metrics = get(proxy, "/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
      assertThat(metrics.body())
          .contains("switchboard_commands_seconds_count{command=\"set\",route=\"primary\"} 1")
          .contains("switchboard_commands_seconds_count{command=\"ping\",route=\"local\"} 1")
          .contains("switchboard_commands_seconds_bucket{command=\"set\",route=\"primary\",le=")
          .contains("switchboard_clients_connected 1")
          .contains("switchboard_client_received_bytes_total")
          .contains("switchboard_errors_total{kind=\"lost_in_flight\"} 0")
          .contains("switchboard_sentinel_up{sentinel=\"" + topology.sentinels().get(0).address())
          .contains("switchboard_replica_lag_seconds{replica=")
          .contains(
              "switchboard_backend_connections{node=\""
                  + primary.address()
                  + "\",role=\"primary\"}")
          .contains("switchboard_backend_inflight{node=")
          .contains("jvm_memory_used_bytes")
          .contains("netty_allocator_memory_used");

      assertThat(client.call("CLIENT", "SETNAME", "admin-it")).isEqualTo("OK");
      assertThat(client.call("SELECT", "3")).isEqualTo("OK");
      assertThat(client.call("MULTI")).isEqualTo("OK");
      HttpResponse<String> clients = get(proxy, "/clients");
      assertThat(clients.statusCode()).isEqualTo(200);
      assertThat(clients.body())
          .startsWith("{\"clients\":[{\"id\":")
          .contains("\"name\":\"admin-it\"")
          .contains(
              "\"db\":3,\"protocol\":2,\"authenticated\":true,\"user\":\"default\",\"state\":\"multi\"")
          .contains("\"commands\":7,");
      assertThat(client.call("DISCARD")).isEqualTo("OK");

      String scraped = get(proxy, "/metrics").body();
      for (String metric : DeploymentFilesTest.dashboardMetrics()) {
        assertThat(scraped).as("the Grafana dashboard's %s is exported", metric).contains(metric);
      }

      HttpResponse<String> config = get(proxy, "/config");
      assertThat(config.statusCode()).isEqualTo(200);
      assertThat(config.body())
          .contains("\"auth\":{\"mode\":\"proxy\",\"password\":\"<redacted>\",\"users\":[]")
          .contains("\"hold-timeout\":\"10000ms\"")
          .contains("\"write-ack\":\"async\"")
          .doesNotContain("proxy-secret");

      HttpResponse<String> missing = get(proxy, "/nope");
      assertThat(missing.statusCode()).isEqualTo(404);
      assertThat(missing.body()).isEqualTo("{\"error\":\"no such path: /nope\"}");
      HttpResponse<String> wrongMethod =
          send(proxy, HttpRequest.newBuilder(uri(proxy, "/topology")).DELETE());
      assertThat(wrongMethod.statusCode()).isEqualTo(405);
      assertThat(wrongMethod.body()).contains("/topology answers GET, not DELETE");
    }
  }

  @Test
  void readinessFollowsThePrimaryThroughACrashAndAFailover() throws Exception {
    try (LocalTopology topology = LocalTopology.start(1, 1);
        TestProxy proxy = TestProxy.start(topology, "")) {
      proxy.awaitPrimary();
      topology.awaitSentinelsSettled(Duration.ofSeconds(30));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> get(proxy, "/health/ready").statusCode() == 200);
      RedisNode crashed = topology.primary();
      crashed.kill();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> get(proxy, "/health/ready").statusCode() == 503);
      assertThat(get(proxy, "/health/ready").body())
          .startsWith("{\"status\":\"not ready\",\"reason\":\"the primary " + crashed.address());
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> get(proxy, "/health/ready").statusCode() == 200);
      String topologyJson = get(proxy, "/topology").body();
      assertThat(topologyJson)
          .contains("\"primary\":{\"address\":\"" + topology.replicas().get(0).address())
          .contains("\"failovers\":[{\"at\":")
          .contains("\"from\":\"" + crashed.address() + "\"");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> get(proxy, "/topology").body().matches(".*\"writesHeldMillis\":[0-9]+.*"));
      assertThat(get(proxy, "/metrics").body()).contains("switchboard_failovers_total 1.0");
    }
  }

  private static HttpResponse<String> post(TestProxy proxy, String path, String token)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(proxy, path)).POST(HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return send(proxy, request);
  }

  @Test
  void actionsNeedTheConfiguredTokenAndDrainKeepsConnectedClients() throws Exception {
    LocalTopology topology = SharedTopology.get();
    try (TestProxy proxy = TestProxy.start(topology, "switchboard.admin.token = t0ken-123\n");
        RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(10))) {
      proxy.awaitPrimary();
      assertThat(post(proxy, "/admin/reconcile", null).statusCode()).isEqualTo(401);
      HttpResponse<String> wrong = post(proxy, "/admin/reconcile", "t0ken-12");
      assertThat(wrong.statusCode()).isEqualTo(401);
      assertThat(wrong.body()).isEqualTo("{\"error\":\"missing or wrong bearer token\"}");
      assertThat(wrong.headers().firstValue("www-authenticate")).contains("Bearer");
      assertThat(get(proxy, "/admin/reconcile").statusCode()).isEqualTo(405);
      assertThat(post(proxy, "/admin/nothing", "t0ken-123").statusCode()).isEqualTo(404);
      HttpResponse<String> reconcile = post(proxy, "/admin/reconcile", "t0ken-123");
      assertThat(reconcile.statusCode()).isEqualTo(202);
      assertThat(get(proxy, "/config").body())
          .contains("\"token\":\"<redacted>\"")
          .doesNotContain("t0ken-123");

      assertThat(client.call("SET", "it:drain", "before")).isEqualTo("OK");
      HttpResponse<String> drain = post(proxy, "/admin/drain", "t0ken-123");
      assertThat(drain.statusCode()).isEqualTo(202);
      assertThat(drain.body()).isEqualTo("{\"status\":\"draining\",\"clients\":1}");
      HttpResponse<String> ready = get(proxy, "/health/ready");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains("draining");
      assertThatThrownBy(() -> RespClient.connect(proxy.address(), Duration.ofSeconds(2)))
          .as("no new client is accepted")
          .isInstanceOf(java.io.IOException.class);
      assertThat(client.call("SET", "it:drain", "after"))
          .as("the connected client is served")
          .isEqualTo("OK");
      assertThat(client.call("GET", "it:drain")).isEqualTo("after");
    }
    try (TestProxy withoutToken = TestProxy.start(topology, "")) {
      HttpResponse<String> refused = post(withoutToken, "/admin/drain", "anything");
      assertThat(refused.statusCode()).isEqualTo(403);
      assertThat(refused.body()).contains("admin actions are disabled: set admin.token");
    }
  }

  @Test
  void theFailoverActionAsksSentinel() throws Exception {
    try (LocalTopology topology = LocalTopology.start(1, 1);
        TestProxy proxy = TestProxy.start(topology, "switchboard.admin.token = go\n")) {
      proxy.awaitPrimary();
      topology.awaitSentinelsSettled(Duration.ofSeconds(30));
      HttpResponse<String> failover = post(proxy, "/admin/failover", "go");
      assertThat(failover.statusCode()).isEqualTo(202);
      assertThat(failover.body())
          .isEqualTo(
              "{\"status\":\"failover started\",\"sentinel\":\""
                  + topology.sentinels().get(0).address()
                  + "\"}");
      RedisNode replica = topology.replicas().get(0);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  get(proxy, "/topology")
                      .body()
                      .contains("\"primary\":{\"address\":\"" + replica.address()));
      HttpResponse<String> again = post(proxy, "/admin/failover", "go");
      assertThat(again.statusCode())
          .as("a second one while the first runs, or with no replica")
          .isIn(202, 502);
    }
  }

  @Test
  void clientsBeyondMaxClientsAreRefusedAndCounted() throws Exception {
    try (TestProxy proxy =
            TestProxy.start(SharedTopology.get(), "switchboard.limits.max-clients = 2\n");
        RespClient first = RespClient.connect(proxy.address(), Duration.ofSeconds(10));
        RespClient second = RespClient.connect(proxy.address(), Duration.ofSeconds(10))) {
      assertThat(first.call("PING")).isEqualTo("PONG");
      assertThat(second.call("PING")).isEqualTo("PONG");
      try (RespClient third = RespClient.connect(proxy.address(), Duration.ofSeconds(10))) {
        Object refused = third.read();
        assertThat(refused).isInstanceOf(io.switchboard.proxy.resp.RespValue.Error.class);
        assertThat(((io.switchboard.proxy.resp.RespValue.Error) refused).message())
            .isEqualTo("ERR max number of clients reached");
        assertThat(third.isClosedByPeer()).isTrue();
      }
      assertThat(get(proxy, "/metrics").body())
          .contains("switchboard_clients_rejected_total 1.0")
          .contains("switchboard_clients_connected 2.0");
      first.close();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> get(proxy, "/metrics").body().contains("switchboard_clients_connected 1.0"));
      try (RespClient again = RespClient.connect(proxy.address(), Duration.ofSeconds(10))) {
        assertThat(again.call("PING")).as("a freed place is taken again").isEqualTo("PONG");
      }
    }
  }
}
