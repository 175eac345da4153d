package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.proxy.demo.RespClient;
import io.switchboard.proxy.resp.RespValue;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Connection state the proxy owns, seen through raw RESP as redis-cli and telnet see it. */
class ConnectionStateIT {

  private static TestProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    proxy = TestProxy.start(SharedTopology.get(), "");
    proxy.awaitPrimary();
  }

  @AfterAll
  static void stop() {
    proxy.close();
  }

  private static RespClient connect() throws IOException {
    return RespClient.connect(proxy.address(), Duration.ofSeconds(10));
  }

  @Test
  void pingEchoAndClientNamesAreAnsweredPerConnection() throws IOException {
    try (RespClient a = connect();
        RespClient b = connect()) {
      assertThat(a.call("PING")).isEqualTo("PONG");
      assertThat(a.call("PING", "hi")).isEqualTo("hi");
      assertThat(a.call("ECHO", "bin\r\nary")).isEqualTo("bin\r\nary");
      assertThat(a.call("CLIENT", "SETNAME", "worker-a")).isEqualTo("OK");
      assertThat(a.call("CLIENT", "GETNAME")).isEqualTo("worker-a");
      assertThat(b.call("CLIENT", "GETNAME")).isNull();
      assertThat(a.call("CLIENT", "ID")).isNotEqualTo(b.call("CLIENT", "ID"));
      assertThat(a.call("CLIENT", "SETNAME", "has space"))
          .isEqualTo(
              new RespValue.Error(
                  "ERR Client names cannot contain spaces, newlines or special characters."));
      assertThat(a.call("ECHO"))
          .isEqualTo(new RespValue.Error("ERR wrong number of arguments for 'echo' command"));
    }
  }

  @Test
  void selectKeepsDatabasesApartOverSharedConnections() throws IOException {
    try (RespClient db0 = connect();
        RespClient db5 = connect()) {
      assertThat(db5.call("SELECT", "5")).isEqualTo("OK");
      assertThat(db0.call("SET", "it:db", "zero")).isEqualTo("OK");
      assertThat(db5.call("SET", "it:db", "five")).isEqualTo("OK");
      assertThat(db0.call("GET", "it:db")).isEqualTo("zero");
      assertThat(db5.call("GET", "it:db")).isEqualTo("five");
      assertThat(db5.call("SELECT", "16"))
          .isEqualTo(new RespValue.Error("ERR DB index is out of range"));
      assertThat(db5.call("SELECT", "x"))
          .isEqualTo(new RespValue.Error("ERR value is not an integer or out of range"));
      try (RespClient primary =
          RespClient.connect(SharedTopology.get().primary().address(), Duration.ofSeconds(5))) {
        primary.call("SELECT", "5");
        assertThat(primary.call("GET", "it:db")).as("db 5 on the server itself").isEqualTo("five");
      }
      db5.call("DEL", "it:db");
      db0.call("DEL", "it:db");
    }
  }

  @Test
  void aSessionsCommandsRunInTheOrderSentEvenAcrossDatabases() throws IOException {
    try (RespClient client = connect()) {
      // Warm the shared connections for databases 2 and 3.
      client.send(
          concat(
              RespClient.encode("SELECT", "2"),
              RespClient.encode("DEL", "it:order:big", "it:order:k"),
              RespClient.encode("SELECT", "3"),
              RespClient.encode("DEL", "it:order:big", "it:order:k")));
      for (int i = 0; i < 4; i++) {
        client.read();
      }
      // Redis reads the 10 MB SET in 16 KB pieces: if the proxy sent SWAPDB (database 3's
      // connection) without waiting for the SETs (database 2's), Redis would run it first.
      client.send(
          concat(
              RespClient.encode("SELECT", "2"),
              RespClient.encode("SET", "it:order:big", new byte[10 * 1024 * 1024]),
              RespClient.encode("SET", "it:order:k", "v"),
              RespClient.encode("SELECT", "3"),
              RespClient.encode("SWAPDB", "2", "3"),
              RespClient.encode("EXISTS", "it:order:k")));
      for (int i = 0; i < 5; i++) {
        assertThat(client.read()).isEqualTo("OK");
      }
      assertThat(client.read()).as("the key moved to database 3 with the swap").isEqualTo(1L);
      client.call("DEL", "it:order:big", "it:order:k");
    }
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  @Test
  void helloSwitchesTheConnectionToResp3() throws IOException {
    try (RespClient client = connect()) {
      Object hello = client.call("HELLO", "3", "SETNAME", "resp3-client");
      assertThat(hello).isInstanceOf(Map.class);
      Map<?, ?> fields = (Map<?, ?>) hello;
      assertThat(fields.get("proto")).isEqualTo(3L);
      assertThat(fields.get("server")).isEqualTo("redis");
      assertThat(String.valueOf(fields.get("version"))).matches("\\d+\\.\\d+\\.\\d+");
      client.call("DEL", "it:h3");
      client.call("HSET", "it:h3", "f", "v");
      client.send(RespClient.encode("HGETALL", "it:h3"));
      assertThat(client.readRaw()).isEqualTo("%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
      client.send(RespClient.encode("GET", "it:nothing-here"));
      assertThat(client.readRaw()).isEqualTo("_\r\n");
      assertThat(client.call("HELLO", "4"))
          .isEqualTo(new RespValue.Error("NOPROTO unsupported protocol version"));
      assertThat(client.call("RESET")).isEqualTo("RESET");
      client.send(RespClient.encode("GET", "it:nothing-here"));
      assertThat(client.readRaw()).isEqualTo("$-1\r\n");
      client.call("DEL", "it:h3");
    }
  }

  @Test
  void inlineCommandsWorkAsFromTelnet() throws IOException {
    try (RespClient client = connect()) {
      client.send("SET it:inline \"two words\"\r\nGET it:inline\r\nPING\r\n".getBytes());
      assertThat(client.read()).isEqualTo("OK");
      assertThat(client.read()).isEqualTo("two words");
      assertThat(client.read()).isEqualTo("PONG");
      client.call("DEL", "it:inline");
    }
  }

  @Test
  void quitAnswersOkAfterEarlierRepliesAndCloses() throws IOException {
    try (RespClient client = connect()) {
      client.send(
          (new String(RespClient.encode("SET", "it:quit", "1"))
                  + new String(RespClient.encode("GET", "it:quit"))
                  + "QUIT\r\n"
                  + new String(RespClient.encode("GET", "it:quit")))
              .getBytes());
      assertThat(client.read()).isEqualTo("OK");
      assertThat(client.read()).isEqualTo("1");
      assertThat(client.read()).isEqualTo("OK");
      assertThat(client.isClosedByPeer()).isTrue();
    }
  }

  @Test
  void aProtocolErrorClosesThatClientOnly() throws IOException {
    try (RespClient bad = connect();
        RespClient good = connect()) {
      bad.send("*1\r\n$4\r\nPING\r\n*x\r\n".getBytes());
      assertThat(bad.read()).isEqualTo("PONG");
      assertThat(bad.read())
          .isEqualTo(new RespValue.Error("ERR Protocol error: invalid multibulk length"));
      assertThat(bad.isClosedByPeer()).isTrue();
      assertThat(good.call("PING")).isEqualTo("PONG");
    }
  }

  @Test
  void commandsThatCannotWorkThroughAProxyAreRefusedClearly() throws IOException {
    try (RespClient client = connect()) {
      for (List<String> command :
          List.of(List.of("MONITOR"), List.of("SYNC"), List.of("REPLICAOF", "NO", "ONE"))) {
        Object reply = client.call(command.toArray());
        assertThat(reply).isInstanceOf(RespValue.Error.class);
        assertThat(((RespValue.Error) reply).message())
            .startsWith("ERR '")
            .contains("not supported by Switchboard");
      }
      assertThat(client.call("XREAD", "STREAMS", "it:stream", "0")).isNull();
      assertThat(client.call("PING")).isEqualTo("PONG");
    }
  }

  /** Redis 7.4's MAXAGE filter works whatever the server's version (7.0 refuses it). */
  @Test
  void clientKillTakesTheMaxAgeFilter() throws IOException {
    try (RespClient killer = connect();
        RespClient young = connect()) {
      String id = String.valueOf(young.call("CLIENT", "ID"));
      assertThat(killer.call("CLIENT", "KILL", "ID", id, "MAXAGE", "3600")).isEqualTo(0L);
      assertThat(killer.call("CLIENT", "KILL", "MAXAGE", "old"))
          .isEqualTo(new RespValue.Error("ERR value is not an integer or out of range"));
      assertThat(young.call("PING")).isEqualTo("PONG");
      assertThat(killer.call("CLIENT", "KILL", "ID", id, "MAXAGE", "0")).isEqualTo(1L);
      assertThat(young.isClosedByPeer()).isTrue();
    }
  }

  /**
   * Commands answered from every event loop, or by the server later, cannot run in their place at
   * EXEC: refused inside MULTI (README), the transaction aborted, the connection fine.
   */
  @Test
  void clientCommandsAnsweredLaterAreRefusedInsideMulti() throws IOException {
    try (RespClient client = connect()) {
      for (String sub : List.of("UNBLOCK", "LIST", "KILL")) {
        List<Object> command = new java.util.ArrayList<>(List.of("CLIENT", sub));
        command.add(sub.equals("LIST") ? "TYPE" : "ID");
        command.add(sub.equals("LIST") ? "normal" : "12345");
        assertThat(client.call("MULTI")).isEqualTo("OK");
        assertThat(client.call(command.toArray()))
            .isEqualTo(
                new RespValue.Error(
                    "ERR 'client "
                        + sub.toLowerCase(java.util.Locale.ROOT)
                        + "' inside MULTI is not supported by Switchboard"));
        assertThat(client.call("EXEC"))
            .isEqualTo(
                new RespValue.Error("EXECABORT Transaction discarded because of previous errors."));
      }
      assertThat(client.call("PING")).isEqualTo("PONG");
    }
  }
}
