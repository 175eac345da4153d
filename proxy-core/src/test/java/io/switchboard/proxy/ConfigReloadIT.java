package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.demo.RespClient;
import io.switchboard.proxy.resp.RespValue;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Hot reload of the packaged proxy, as an operator does it: a ConfigMap's symlink swap seen by the
 * file watch, SIGHUP, and {@code POST /admin/reload}. Each runs while a client load goes on through
 * a port the reload leaves alone, which must see no error at all.
 */
class ConfigReloadIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String TOKEN = "reload-t0ken";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** The proxy's configuration file, with its ports and the parts a step changes. */
  private record Settings(
      int main, List<Integer> extra, int admin, String users, String more, boolean watch) {

    String text() {
      StringBuilder listeners = new StringBuilder();
      for (int port : extra) {
        listeners.append("{ host = \"127.0.0.1\", port = ").append(port).append(" }\n");
      }
      return "switchboard {\n"
          + "  listen { host = \"127.0.0.1\", port = "
          + main
          + " }\n"
          + "  listeners = [\n"
          + listeners
          + "  ]\n"
          + "  admin { host = \"127.0.0.1\", port = "
          + admin
          + ", token = \""
          + TOKEN
          + "\" }\n"
          + "  auth.users = [\n"
          + users
          + "  ]\n"
          + "  server.config-reload-interval = "
          + (watch ? "100ms" : "0")
          + "\n"
          + more
          + "}\n";
    }
  }

  private static final String APP = "{ name = \"app\", password = \"app-pass\" }\n";
  private static final String OLD = "{ name = \"old\", password = \"old-pass\" }\n";

  @Test
  void aConfigMapSwapChangesUsersAndDenyListsForConnectedClients() throws Exception {
    Path dir = Files.createTempDirectory(Path.of("target"), "reload-watch");
    Settings before =
        new Settings(
            PackagedProxy.freePort(), List.of(), PackagedProxy.freePort(), APP + OLD, "", true);
    // As a Kubernetes ConfigMap volume: the file is a symlink into a directory that is swapped.
    Path file = dir.resolve("switchboard.conf");
    configMap(dir, "v1", before.text());
    Files.createSymbolicLink(file, Path.of("..data", "switchboard.conf"));
    Process proxy = start("config-reload-watch.log", file);
    try (Load load = Load.on(awaitServing(before.main()))) {
      HostAndPort main = new HostAndPort("127.0.0.1", before.main());
      try (RespClient app = login(main, "app", "app-pass");
          RespClient old = login(main, "old", "old-pass")) {
        assertThat(app.call("KEYS", "it:reload:*")).isNotInstanceOf(RespValue.Error.class);

        Settings after =
            new Settings(
                before.main(),
                List.of(),
                before.admin(),
                "{ name = \"app\", password = \"app-pass\", deny = [\"KEYS\"] }\n"
                    + "{ name = \"fresh\", password = \"fresh-pass\" }\n",
                "",
                true);
        configMap(dir, "v2", after.text());
        await().atMost(TIMEOUT).until(() -> reloads(before.admin(), "applied") == 1);

        assertThat(app.call("KEYS", "it:reload:*"))
            .as("the connected client runs under its user's new deny list")
            .isEqualTo(
                new RespValue.Error(
                    "NOPERM this user has no permissions to run the 'keys' command"));
        assertThat(app.call("SET", "it:reload:k", "v")).as("what it may still run").isEqualTo("OK");
        await()
            .atMost(TIMEOUT)
            .untilAsserted(
                () -> assertThat(old.isClosedByPeer()).as("a removed user's client").isTrue());
        try (RespClient fresh = login(main, "fresh", "fresh-pass")) {
          assertThat(fresh.call("SET", "it:reload:fresh", "1")).isEqualTo("OK");
        }

        configMap(dir, "v3", after.text().replace("auth.users", "auth.usrs"));
        await().atMost(TIMEOUT).until(() -> reloads(before.admin(), "rejected") == 1);
        assertThat(Files.readString(Path.of("target", "config-reload-watch.log")))
            .as("one line, with the message start-up would print")
            .contains(
                "rejected, the running configuration is kept: configuration error:"
                    + " switchboard.auth.usrs: unknown key (did you mean switchboard.auth.users?)");
        assertThat(app.call("KEYS", "it:reload:*")).isInstanceOf(RespValue.Error.class);
        try (RespClient fresh = login(main, "fresh", "fresh-pass")) {
          assertThat(fresh.call("PING")).isEqualTo("PONG");
        }
      }
      load.assertNoErrors();
    } finally {
      stop(proxy);
    }
  }

  @Test
  void sighupAddsAndRemovesListenersAndTheAdminCallRejectsABrokenFile() throws Exception {
    Path dir = Files.createTempDirectory(Path.of("target"), "reload-signal");
    int removedPort = PackagedProxy.freePort();
    Settings before =
        new Settings(
            PackagedProxy.freePort(),
            List.of(removedPort),
            PackagedProxy.freePort(),
            APP,
            "sentinel.master = \"mymaster\"\n",
            false);
    Path file = dir.resolve("switchboard.conf");
    Files.writeString(file, before.text());
    Process proxy = start("config-reload-signal.log", file);
    try (Load load = Load.on(awaitServing(before.main()))) {
      HostAndPort removed = new HostAndPort("127.0.0.1", removedPort);
      try (RespClient onRemoved = login(removed, "app", "app-pass")) {
        assertThat(onRemoved.call("SET", "it:reload:removed", "1")).isEqualTo("OK");

        int addedPort = PackagedProxy.freePort();
        Settings moved =
            new Settings(
                before.main(), List.of(addedPort), before.admin(), APP, before.more(), false);
        Files.writeString(file, moved.text());
        new ProcessBuilder("kill", "-HUP", String.valueOf(proxy.pid())).start().waitFor();

        HostAndPort added = new HostAndPort("127.0.0.1", addedPort);
        await()
            .atMost(TIMEOUT)
            .ignoreExceptions()
            .untilAsserted(
                () -> {
                  try (RespClient client = login(added, "app", "app-pass")) {
                    assertThat(client.call("GET", "it:reload:removed")).isEqualTo("1");
                  }
                });
        await()
            .atMost(TIMEOUT)
            .untilAsserted(
                () ->
                    assertThat(onRemoved.isClosedByPeer())
                        .as("the removed port's client is drained and disconnected")
                        .isTrue());
        assertThatThrownBy(() -> RespClient.connect(removed, Duration.ofSeconds(2)).close())
            .as("the removed port accepts no one")
            .isInstanceOf(IOException.class);

        Files.writeString(file, moved.text().replace("auth.users", "auth.usrs"));
        HttpResponse<String> rejected = reload(before.admin());
        assertThat(rejected.statusCode()).isEqualTo(400);
        assertThat(rejected.body())
            .contains("\"status\":\"rejected\"")
            .contains(
                "\"error\":\"switchboard.auth.usrs: unknown key (did you mean"
                    + " switchboard.auth.users?)\"");
        assertThat(reloads(before.admin(), "rejected")).isEqualTo(1);
        try (RespClient client = login(added, "app", "app-pass")) {
          assertThat(client.call("PING")).as("the running configuration is kept").isEqualTo("PONG");
        }

        Settings restartOnly =
            new Settings(
                before.main(),
                List.of(addedPort),
                before.admin(),
                APP,
                "sentinel.master = \"othermaster\"\nrouting.deny = [\"FLUSHALL\"]\n",
                false);
        Files.writeString(file, restartOnly.text());
        HttpResponse<String> applied = reload(before.admin());
        assertThat(applied.statusCode()).isEqualTo(200);
        assertThat(applied.body())
            .contains("\"applied\":[\"switchboard.routing.deny\"]")
            .contains("\"needs-restart\":[\"switchboard.sentinel.master\"]");
        try (RespClient client = login(added, "app", "app-pass")) {
          assertThat(client.call("FLUSHALL"))
              .isEqualTo(
                  new RespValue.Error(
                      "ERR 'flushall' is denied by this proxy's configuration"
                          + " (switchboard.routing.deny)"));
        }
        String config = get(before.admin(), "/config");
        assertThat(config).contains("\"master\":\"mymaster\"").contains("\"loaded-at\":");
      }
      load.assertNoErrors();
    } finally {
      stop(proxy);
    }
  }

  /** Writes one version of the ConfigMap and swaps {@code ..data} to it, as the kubelet does. */
  private static void configMap(Path dir, String version, String text) throws IOException {
    Path data = Files.createDirectories(dir.resolve(".." + version));
    Files.writeString(data.resolve("switchboard.conf"), text);
    Path link = dir.resolve("..data_tmp");
    Files.deleteIfExists(link);
    Files.createSymbolicLink(link, Path.of(".." + version));
    Files.move(link, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
  }

  private static Process start(String log, Path file) throws IOException {
    Files.deleteIfExists(Path.of("target", log));
    return PackagedProxy.start(log, List.of("-Dconfig.file=" + file.toAbsolutePath()));
  }

  private static void stop(Process proxy) throws InterruptedException {
    proxy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  private static HostAndPort awaitServing(int port) {
    return PackagedProxy.awaitWritable(port, address -> login(address, "app", "app-pass"));
  }

  private static RespClient login(HostAndPort address, String user, String password)
      throws IOException {
    RespClient client = RespClient.connect(address, TIMEOUT);
    Object reply = client.call("AUTH", user, password);
    if (!"OK".equals(reply)) {
      client.close();
      throw new IOException("AUTH " + user + ": " + reply);
    }
    return client;
  }

  private static HttpResponse<String> reload(int admin) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/admin/reload"))
            .header("Authorization", "Bearer " + TOKEN)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private static String get(int admin, String path) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + path)).build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
        .body();
  }

  /** The count of {@code switchboard_config_reloads_total} with that result, from /metrics. */
  private static long reloads(int admin, String result) throws Exception {
    String prefix = "switchboard_config_reloads_total{result=\"" + result + "\"} ";
    for (String line : get(admin, "/metrics").split("\n")) {
      if (line.startsWith(prefix)) {
        return (long) Double.parseDouble(line.substring(prefix.length()));
      }
    }
    return -1;
  }

  /**
   * One client writing and reading its own key without pause, counting every reply that is not what
   * one Redis would answer and every dropped connection.
   */
  private static final class Load implements AutoCloseable {
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong done = new AtomicLong();
    private final AtomicReference<String> firstError = new AtomicReference<>();
    private final Thread thread;

    private Load(HostAndPort address) {
      thread =
          new Thread(
              () -> {
                try (RespClient client = login(address, "app", "app-pass")) {
                  for (long i = 0; !stop.get(); i++) {
                    String value = Long.toString(i);
                    Object set = client.call("SET", "it:reload:load", value);
                    Object got = client.call("GET", "it:reload:load");
                    if (!"OK".equals(set) || !value.equals(got)) {
                      firstError.compareAndSet(null, "SET " + set + ", GET " + got);
                    }
                    done.incrementAndGet();
                  }
                } catch (IOException | RuntimeException e) {
                  firstError.compareAndSet(null, e.toString());
                }
              },
              "reload-load");
      thread.start();
    }

    static Load on(HostAndPort address) {
      return new Load(address);
    }

    void assertNoErrors() throws InterruptedException {
      // The count below says the load ran, not how fast: a slow machine (a new user's first build,
      // the paranoid leak detector) once had done 94 round trips when the reloads were over.
      await().atMost(TIMEOUT).until(() -> done.get() > 100 || firstError.get() != null);
      stop.set(true);
      thread.join(TIMEOUT.toMillis());
      assertThat(firstError.get()).as("errors on the unchanged port").isNull();
      assertThat(done.get()).as("the load ran").isGreaterThan(100);
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join(TIMEOUT.toMillis());
    }
  }
}
