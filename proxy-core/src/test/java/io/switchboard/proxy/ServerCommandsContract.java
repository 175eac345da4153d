package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
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
}
