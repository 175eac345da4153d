package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.demo.RespClient;
import io.switchboard.proxy.resp.RespValue;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Part of {@link RedisSemanticsContract}: CLIENT LIST, INFO and KILL see and close the clients of
 * the server the client talks to, in Redis's format. Through the proxy that server is the proxy.
 */
interface ClientListContract {

  HostAndPort target();

  private RespClient connect() throws IOException {
    return RespClient.connect(target(), Duration.ofSeconds(10));
  }

  private static Map<String, String> fields(Object line) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String field : String.valueOf(line).strip().split(" ")) {
      int equals = field.indexOf('=');
      fields.put(field.substring(0, equals), field.substring(equals + 1));
    }
    return fields;
  }

  /** The CLIENT LIST line of client {@code id}, parsed; asked of {@code from}. */
  private static Map<String, String> listed(RespClient from, Object id) throws IOException {
    Object list = from.call("CLIENT", "LIST", "ID", String.valueOf(id));
    assertThat(String.valueOf(list).lines()).hasSize(1);
    return fields(list);
  }

  @Test
  default void clientInfoAndListDescribeEachConnectionInRedissFormat() throws IOException {
    HostAndPort server = SharedTopology.get().primary().address();
    String channel = "it:list:" + UUID.randomUUID();
    try (RespClient a = connect();
        RespClient b = connect();
        RespClient direct = RespClient.connect(server, Duration.ofSeconds(10))) {
      assertThat(a.call("CLIENT", "SETNAME", "lister")).isEqualTo("OK");
      assertThat(a.call("SELECT", "2")).isEqualTo("OK");
      Object id = a.call("CLIENT", "ID");
      Map<String, String> info = fields(a.call("CLIENT", "INFO"));
      assertThat(info.keySet())
          .as("the fields, in Redis's order")
          .containsExactlyElementsOf(fields(direct.call("CLIENT", "INFO")).keySet());
      assertThat(info)
          .containsEntry("id", String.valueOf(id))
          .containsEntry("laddr", target().toString())
          .containsEntry("name", "lister")
          .containsEntry("flags", "N")
          .containsEntry("db", "2")
          .containsEntry("sub", "0")
          .containsEntry("multi", "-1")
          .containsEntry("cmd", "client|info")
          .containsEntry("user", "default")
          .containsEntry("resp", "2");
      assertThat(info.get("addr")).startsWith("127.0.0.1:");

      Map<String, String> self = listed(a, id);
      assertThat(self).containsEntry("name", "lister").containsEntry("cmd", "client|list");
      assertThat(self.get("addr")).isEqualTo(info.get("addr"));
      assertThat(String.valueOf(a.call("CLIENT", "LIST"))).contains("id=" + id + " ");

      Object bId = b.call("CLIENT", "ID");
      assertThat(b.call("SUBSCRIBE", channel)).isEqualTo(List.of("subscribe", channel, 1L));
      assertThat(listed(a, bId))
          .containsEntry("flags", "P")
          .containsEntry("sub", "1")
          .containsEntry("cmd", "subscribe");
      assertThat(String.valueOf(a.call("CLIENT", "LIST", "TYPE", "pubsub")))
          .contains("id=" + bId + " ")
          .doesNotContain("id=" + id + " ");
      assertThat(String.valueOf(a.call("CLIENT", "LIST", "TYPE", "normal")))
          .contains("id=" + id + " ")
          .doesNotContain("id=" + bId + " ");

      assertThat(a.call("CLIENT", "LIST", "foo"))
          .isEqualTo(new RespValue.Error("ERR syntax error"));
      assertThat(a.call("CLIENT", "LIST", "TYPE", "x"))
          .isEqualTo(new RespValue.Error("ERR Unknown client type 'x'"));
      assertThat(a.call("CLIENT", "LIST", "ID", "x"))
          .isEqualTo(new RespValue.Error("ERR Invalid client ID"));
    }
  }

  @Test
  default void clientListShowsAClientInsideMulti() throws IOException {
    try (RespClient a = connect();
        RespClient watcher = connect()) {
      Object id = a.call("CLIENT", "ID");
      assertThat(a.call("MULTI")).isEqualTo("OK");
      assertThat(a.call("PING")).isEqualTo("QUEUED");
      assertThat(listed(watcher, id)).containsEntry("flags", "x").containsEntry("multi", "1");
      assertThat(a.call("DISCARD")).isEqualTo("OK");
    }
  }

  @Test
  default void clientKillClosesTheClientsItNamesAndAnswersAsRedisDoes() throws IOException {
    try (RespClient killer = connect();
        RespClient byId = connect();
        RespClient byAddress = connect();
        RespClient byOldForm = connect();
        RespClient self = connect()) {
      Object id = byId.call("CLIENT", "ID");
      assertThat(killer.call("CLIENT", "KILL", "ID", String.valueOf(id), "USER", "default"))
          .isEqualTo(1L);
      assertThat(byId.isClosedByPeer()).isTrue();

      String address = fields(byAddress.call("CLIENT", "INFO")).get("addr");
      assertThat(killer.call("CLIENT", "KILL", "ADDR", address, "TYPE", "normal")).isEqualTo(1L);
      assertThat(byAddress.isClosedByPeer()).isTrue();

      String oldForm = fields(byOldForm.call("CLIENT", "INFO")).get("addr");
      assertThat(killer.call("CLIENT", "KILL", oldForm)).isEqualTo("OK");
      assertThat(byOldForm.isClosedByPeer()).isTrue();

      Object selfId = self.call("CLIENT", "ID");
      assertThat(self.call("CLIENT", "KILL", "ID", String.valueOf(selfId)))
          .as("SKIPME")
          .isEqualTo(0L);
      assertThat(self.call("CLIENT", "KILL", "ID", String.valueOf(selfId), "SKIPME", "no"))
          .isEqualTo(1L);
      assertThat(self.isClosedByPeer()).isTrue();

      assertThat(killer.call("CLIENT", "KILL", "ID", "999999999")).isEqualTo(0L);
      assertThat(killer.call("CLIENT", "KILL", "LADDR", "1.2.3.4:5")).isEqualTo(0L);
      assertThat(killer.call("CLIENT", "KILL", "1.2.3.4:5"))
          .isEqualTo(new RespValue.Error("ERR No such client"));
      assertThat(killer.call("CLIENT", "KILL", "ID", "0"))
          .isEqualTo(new RespValue.Error("ERR client-id should be greater than 0"));
      assertThat(killer.call("CLIENT", "KILL", "TYPE", "x"))
          .isEqualTo(new RespValue.Error("ERR Unknown client type 'x'"));
      assertThat(killer.call("CLIENT", "KILL", "SKIPME", "maybe"))
          .isEqualTo(new RespValue.Error("ERR syntax error"));
      assertThat(killer.call("CLIENT", "KILL", "USER", "nobody"))
          .isEqualTo(new RespValue.Error("ERR No such user 'nobody'"));
      assertThat(killer.call("CLIENT", "KILL", "foo", "bar"))
          .isEqualTo(new RespValue.Error("ERR syntax error"));
      assertThat(killer.call("CLIENT", "KILL", "ID", "1", "TYPE"))
          .isEqualTo(new RespValue.Error("ERR syntax error"));
      assertThat(killer.call("PING")).isEqualTo("PONG");
    }
  }

  @Test
  default void clientUnblockEndsABlockingCommandAsATimeoutOrAnError() throws IOException {
    String key = "it:unblock:" + UUID.randomUUID();
    try (RespClient blocked = connect();
        RespClient other = connect()) {
      String id = String.valueOf(blocked.call("CLIENT", "ID"));
      assertThat(other.call("CLIENT", "UNBLOCK", id)).as("not blocked yet").isEqualTo(0L);

      blocked.send(RespClient.encode("BLPOP", key, "30"));
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> Long.valueOf(1).equals(other.call("CLIENT", "UNBLOCK", id)));
      assertThat(blocked.read()).as("as if it timed out").isNull();

      blocked.send(RespClient.encode("BLPOP", key, "30"));
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> Long.valueOf(1).equals(other.call("CLIENT", "UNBLOCK", id, "ERROR")));
      assertThat(blocked.read())
          .isEqualTo(new RespValue.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK"));
      assertThat(blocked.call("PING")).isEqualTo("PONG");

      assertThat(other.call("CLIENT", "UNBLOCK", id, "MAYBE"))
          .isEqualTo(new RespValue.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"));
      assertThat(other.call("CLIENT", "UNBLOCK", "x"))
          .isEqualTo(new RespValue.Error("ERR value is not an integer or out of range"));
    }
  }
}
