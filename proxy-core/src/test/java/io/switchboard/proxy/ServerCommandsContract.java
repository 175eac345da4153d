package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import io.switchboard.proxy.resp.RespValue;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Part of {@link RedisSemanticsContract}: commands about the server and how it stores keys, whose
 * answers would differ from node to node behind the proxy.
 */
interface ServerCommandsContract {

  HostAndPort target();

  private RespClient connect() throws IOException {
    return RespClient.connect(target(), Duration.ofSeconds(10));
  }

  /** The operator tuned the primary alone; a client asks how its key is stored. */
  @Test
  default void howAKeyIsStoredIsAnsweredByTheNodeThatTookTheWrite() throws IOException {
    RedisNode primary = SharedTopology.get().primary();
    String key = "it:storage:" + UUID.randomUUID();
    primary.call("CONFIG", "SET", "zset-max-listpack-entries", "0");
    try (RespClient c = connect()) {
      assertThat(c.call("ZADD", key, "1", "a")).isEqualTo(1L);
      assertThat(c.call("OBJECT", "ENCODING", key)).isEqualTo("skiplist");
      assertThat(c.call("OBJECT", "REFCOUNT", key)).isEqualTo(1L);
      assertThat(c.call("MEMORY", "USAGE", key)).isEqualTo(primary.call("MEMORY", "USAGE", key));
      assertThat(c.call("DBSIZE")).isEqualTo(primary.call("DBSIZE"));
    } finally {
      primary.call("CONFIG", "SET", "zset-max-listpack-entries", "128");
    }
  }

  @Test
  default void configSetTakesEffectForTheCommandsThatFollow() throws IOException {
    String key = "it:config:" + UUID.randomUUID();
    try (RespClient c = connect()) {
      assertThat(c.call("CONFIG", "SET", "hash-max-listpack-entries", "0")).isEqualTo("OK");
      assertThat(c.call("CONFIG", "GET", "hash-max-listpack-entries"))
          .isEqualTo(List.of("hash-max-listpack-entries", "0"));
      assertThat(c.call("HSET", key, "f", "v")).isEqualTo(1L);
      assertThat(c.call("OBJECT", "ENCODING", key)).isEqualTo("hashtable");
    } finally {
      try (RespClient c = connect()) {
        c.call("CONFIG", "SET", "hash-max-listpack-entries", "128");
      }
    }
  }

  /**
   * The slow log as a client reads it: every command logged (threshold 0, on the primary directly
   * and in the proxy's own log through the proxy), Redis's entry shape, arguments trimmed as Redis
   * trims them, the client's address and name, and Redis's errors.
   */
  @Test
  default void theSlowLogListsCommandsInRedisShape() throws IOException {
    RedisNode primary = SharedTopology.get().primary();
    String key = "it:slowlog:" + UUID.randomUUID();
    primary.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
    primary.call("CONFIG", "SET", "slowlog-max-len", "1024");
    try (RespClient c = connect()) {
      assertThat(c.call("CLIENT", "SETNAME", "slowlog-contract")).isEqualTo("OK");
      String info = (String) c.call("CLIENT", "INFO");
      String addr = info.replaceAll("(?s).*\\baddr=(\\S+).*", "$1");
      String longValue = "v".repeat(200);
      assertThat(c.call("SET", key, longValue)).isEqualTo("OK");

      List<?> entries = (List<?>) c.call("SLOWLOG", "GET", "-1");
      List<?> entry =
          entries.stream()
              .map(e -> (List<?>) e)
              .filter(
                  e -> ((List<?>) e.get(3)).size() == 3 && key.equals(((List<?>) e.get(3)).get(1)))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no entry for SET " + key + " in " + entries));
      assertThat(entry).hasSize(6);
      assertThat(entry.get(0)).isInstanceOf(Long.class);
      assertThat((Long) entry.get(1))
          .as("unix time")
          .isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(60L));
      assertThat((Long) entry.get(2)).as("microseconds").isNotNegative();
      assertThat(entry.get(3))
          .isEqualTo(List.of("SET", key, "v".repeat(128) + "... (72 more bytes)"));
      assertThat(entry.get(4)).isEqualTo(addr);
      assertThat(entry.get(5)).isEqualTo("slowlog-contract");

      assertThat((Long) c.call("SLOWLOG", "LEN")).isPositive();
      assertThat(((List<?>) c.call("SLOWLOG", "GET", "1"))).hasSize(1);
      assertThat(c.call("SLOWLOG", "GET", "-2"))
          .isEqualTo(new RespValue.Error("ERR count should be greater than or equal to -1"));
      assertThat(c.call("SLOWLOG", "GET", "x"))
          .isEqualTo(new RespValue.Error("ERR count should be greater than or equal to -1"));
      assertThat(c.call("SLOWLOG", "GET", "1", "2"))
          .isEqualTo(
              new RespValue.Error(
                  "ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG"
                      + " HELP."));
    } finally {
      primary.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
      primary.call("CONFIG", "SET", "slowlog-max-len", "128");
    }
  }
}
